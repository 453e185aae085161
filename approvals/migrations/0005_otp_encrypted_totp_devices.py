"""TOTP secrets encrypted at rest: staff devices move from django-otp's TOTPDevice (hex key in
clear) to approvals.StaffTOTPDevice (a MultiFernet token under ECUAPASS_OTP_KEYS).

Every device is copied with its state (confirmed, drift, last used step, throttling) and its
clear row deleted, so nobody enrols again. Sessions verified with an old device verify again.
"""

from binascii import hexlify, unhexlify

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import approvals.otp_secrets
from approvals.otp_secrets import secret_decrypt, secret_encrypt

COPIED_FIELDS = (
    "user_id",
    "name",
    "confirmed",
    "throttling_failure_timestamp",
    "throttling_failure_count",
    "created_at",
    "last_used_at",
    "step",
    "t0",
    "digits",
    "tolerance",
    "drift",
    "last_t",
)


def encrypt_existing_devices(apps, schema_editor):
    """Each clear TOTPDevice becomes a StaffTOTPDevice with its secret encrypted; returns how many."""
    clear_model = apps.get_model("otp_totp", "TOTPDevice")
    encrypted_model = apps.get_model("approvals", "StaffTOTPDevice")
    moved = 0
    for device in clear_model.objects.order_by("pk"):
        encrypted_model.objects.create(
            encrypted_key=secret_encrypt(unhexlify(device.key.encode())),
            **{field: getattr(device, field) for field in COPIED_FIELDS},
        )
        device.delete()
        moved += 1
    return moved


def decrypt_devices_back(apps, schema_editor):
    clear_model = apps.get_model("otp_totp", "TOTPDevice")
    encrypted_model = apps.get_model("approvals", "StaffTOTPDevice")
    for device in encrypted_model.objects.order_by("pk"):
        clear_model.objects.create(
            key=hexlify(secret_decrypt(device.encrypted_key)).decode(),
            **{field: getattr(device, field) for field in COPIED_FIELDS},
        )
        device.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0004_search_indexes"),
        ("otp_totp", "0003_add_timestamps"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="StaffTOTPDevice",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "name",
                    models.CharField(
                        help_text="The human-readable name of this device.", max_length=64
                    ),
                ),
                (
                    "confirmed",
                    models.BooleanField(default=True, help_text="Is this device ready for use?"),
                ),
                (
                    "throttling_failure_timestamp",
                    models.DateTimeField(
                        blank=True,
                        default=None,
                        help_text="A timestamp of the last failed verification attempt. Null if last attempt succeeded.",
                        null=True,
                    ),
                ),
                (
                    "throttling_failure_count",
                    models.PositiveIntegerField(
                        default=0, help_text="Number of successive failed attempts."
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        auto_now_add=True,
                        help_text="The date and time when this device was initially created in the system.",
                        null=True,
                    ),
                ),
                (
                    "last_used_at",
                    models.DateTimeField(
                        blank=True,
                        help_text="The most recent date and time this device was used.",
                        null=True,
                    ),
                ),
                (
                    "encrypted_key",
                    models.TextField(
                        default=approvals.otp_secrets.new_encrypted_secret, editable=False
                    ),
                ),
                ("step", models.PositiveSmallIntegerField(default=30)),
                ("t0", models.BigIntegerField(default=0)),
                ("digits", models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)),
                ("tolerance", models.PositiveSmallIntegerField(default=1)),
                ("drift", models.SmallIntegerField(default=0)),
                ("last_t", models.BigIntegerField(default=-1)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="totp_devices",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "autenticador TOTP",
                "verbose_name_plural": "autenticadores TOTP",
                "abstract": False,
            },
        ),
        migrations.RunPython(encrypt_existing_devices, decrypt_devices_back),
    ]
