"""One-time codes also open a staff member's second-factor enrolment (approvals.two_factor)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0013_headers_clear_password_hash"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="onetimecode",
            name="code_purpose_valid",
        ),
        migrations.AlterField(
            model_name="onetimecode",
            name="purpose",
            field=models.CharField(
                choices=[
                    ("email_confirm", "Confirmación del correo de la solicitud"),
                    ("email_change", "Cambio de correo electrónico"),
                    ("password_reset", "Reinicio de clave"),
                    ("staff_enroll", "Activación del segundo factor (personal del SENAE)"),
                    ("correction", "Acceso a la corrección de la solicitud"),
                ],
                max_length=16,
            ),
        ),
        migrations.AddConstraint(
            model_name="onetimecode",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "purpose__in",
                        [
                            "email_confirm",
                            "email_change",
                            "password_reset",
                            "staff_enroll",
                            "correction",
                        ],
                    )
                ),
                name="code_purpose_valid",
            ),
        ),
    ]
