"""What the account pages leave behind: emailed notices and the account audit rows.

A notice is a row written in the transaction that made the change and emailed
once after commit (registration/services/delivery.py); the beat job re-sends
what the broker never got. Audit rows (AccountEvent) are append-only.
"""

from __future__ import annotations

import ipaddress
import logging
from datetime import timedelta

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from registration.models import (
    AccountAction,
    AccountEvent,
    AccountNotice,
    User,
)
from registration.services.delivery import deliver_once, undelivered

logger = logging.getLogger(__name__)


# Unsent notices older than this are not re-sent: "your password changed" days later
# is noise (and the audit row already records the change).
NOTICE_RESEND_WITHIN = timedelta(days=2)


def account_notice_queue(
    *, to: str, subject: str, body: str, user: User | None = None
) -> AccountNotice:
    """Write the notice in the caller's transaction; it is emailed once, after commit."""
    notice = AccountNotice.objects.create(user=user, to=to, subject=subject, body=body)
    transaction.on_commit(lambda: account_notice_enqueue(notice_id=notice.pk))
    return notice


def account_notice_enqueue(*, notice_id: int) -> bool:
    from registration.tasks import send_account_notice

    try:
        send_account_notice.apply_async(args=(notice_id,))
    except Exception:  # broker down: account_notices_resend_pending picks it up
        logger.warning("Could not enqueue account notice %s", notice_id, exc_info=True)
        return False
    return True


def account_notice_send(*, notice_id: int) -> bool:
    """Email the notice once (claimed first, marked sent after; see services.delivery)."""
    notice = AccountNotice.objects.filter(pk=notice_id).first()
    if notice is None:
        return False
    return deliver_once(
        AccountNotice.objects.filter(pk=notice_id),
        claimed="claimed",
        done="sent",
        send=lambda: send_mail(notice.subject, notice.body, None, [notice.to]),
    )


def account_notices_resend_pending(*, older_than: timedelta = timedelta(minutes=2)) -> int:
    """Enqueue again the notices that never left (broker down, retries used up).

    Only those younger than `NOTICE_RESEND_WITHIN`; returns how many reached the broker.
    """
    now = timezone.now()
    pending = (
        undelivered(
            AccountNotice.objects.filter(created__gt=now - NOTICE_RESEND_WITHIN),
            claimed="claimed",
            done="sent",
            older_than=older_than,
        )
        .order_by("created", "id")
        .values_list("pk", flat=True)
    )
    return sum(account_notice_enqueue(notice_id=pk) for pk in pending)


def account_notices_purge(*, older_than: timedelta = timedelta(days=90)) -> int:
    """Forget the text of old notices; the account audit (AccountEvent) keeps what happened."""
    deleted, _ = AccountNotice.objects.filter(created__lt=timezone.now() - older_than).delete()
    return deleted


def account_event_record(
    *,
    action: AccountAction,
    user: User | None,
    subject: str,
    outcome: str,
    source_ip: str | None,
) -> None:
    """Append an account audit row (the subject and outcome never hold a secret)."""
    try:
        address: str | None = str(ipaddress.ip_address(source_ip or ""))
    except ValueError:  # no REMOTE_ADDR (tests, some proxies): unknown
        address = None
    AccountEvent.objects.create(
        user=user, action=action, subject=subject[:200], outcome=outcome[:200], source_ip=address
    )
