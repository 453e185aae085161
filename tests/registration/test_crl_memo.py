"""The per-process memo over the database CRL cache (ECUAPASS_CRL_MEMO_SECONDS)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from registration.models import CachedCrl
from registration.services import trust

URL = "http://crl.memo.invalid/sub.crl"


@pytest.fixture(autouse=True)
def empty_memo() -> Iterator[None]:
    trust._crl_memo.clear()
    yield
    trust._crl_memo.clear()


@pytest.mark.django_db
@override_settings(ECUAPASS_CRL_MEMO_SECONDS=60)
def test_a_crl_read_from_the_database_is_reused_without_a_query() -> None:
    CachedCrl.objects.create(
        url=URL,
        der=b"crl-1",
        next_update=timezone.now() + timedelta(hours=1),
        fetched=timezone.now(),
    )
    cache = trust.DatabaseCrlCache()

    assert cache.get(URL) == b"crl-1"
    with CaptureQueriesContext(connection) as queries:
        assert trust.DatabaseCrlCache().get(URL) == b"crl-1"
    assert len(queries) == 0


@pytest.mark.django_db
@override_settings(ECUAPASS_CRL_MEMO_SECONDS=60)
def test_the_memo_never_serves_a_crl_past_its_next_update() -> None:
    cache = trust.DatabaseCrlCache()
    cache.put(URL, b"crl-old", timezone.now() + timedelta(hours=1))
    past = timezone.now() - timedelta(seconds=1)
    trust._crl_memo[URL] = (b"crl-old", past, float("inf"))  # memo "fresh", CRL stale
    CachedCrl.objects.filter(url=URL).update(next_update=past)

    assert cache.get(URL) is None


@pytest.mark.django_db
@override_settings(ECUAPASS_CRL_MEMO_SECONDS=0)
def test_with_no_memo_every_read_asks_the_database() -> None:
    cache = trust.DatabaseCrlCache()
    cache.put(URL, b"crl-1", timezone.now() + timedelta(hours=1))
    CachedCrl.objects.filter(url=URL).update(der=b"crl-2")

    assert cache.get(URL) == b"crl-2"
