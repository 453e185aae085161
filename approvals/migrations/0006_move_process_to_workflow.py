"""RegistrationProcess moves to the workflow app: state only, the table stays."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0005_otp_encrypted_totp_devices"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel("RegistrationProcess"),
            ],
            database_operations=[],
        ),
    ]
