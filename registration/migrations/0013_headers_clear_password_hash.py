"""The request keeps no password hash once its user exists (activation clears it)."""

from django.db import migrations, models


def clear_activated_password_hashes(apps, schema_editor):
    """Requests that already made their user: the user holds the hash, the request needs none."""
    RegistrationRequest = apps.get_model("registration", "RegistrationRequest")
    RegistrationRequest.objects.filter(user__isnull=False).exclude(password_hash="").update(
        password_hash=""
    )


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0012_enum_live_code_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="registrationrequest",
            name="password_hash",
            field=models.CharField(
                blank=True, max_length=256, verbose_name="contraseña (hash Argon2id)"
            ),
        ),
        migrations.RunPython(clear_activated_password_hashes, migrations.RunPython.noop),
    ]
