"""The rest of the Representante's company block moves to its own row (issue 12).

Every Representante request gets its CompanyDetails row with the address and phone
it held; the columns then leave the request. Reversible: the values go back.
"""

import django.db.models.deletion
from django.db import migrations, models

COPY_TO_DETAILS = """
INSERT INTO registration_companydetails (request_id, direccion_empresa, telefono_empresa)
SELECT id, direccion_empresa, telefono_empresa
FROM registration_registrationrequest
WHERE kind = 'representante'
"""

COPY_BACK = """
UPDATE registration_registrationrequest SET
  direccion_empresa = COALESCE((SELECT d.direccion_empresa FROM registration_companydetails d
                                WHERE d.request_id = registration_registrationrequest.id), ''),
  telefono_empresa = COALESCE((SELECT d.telefono_empresa FROM registration_companydetails d
                               WHERE d.request_id = registration_registrationrequest.id), '')
"""


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0015_general_kind"),
    ]

    operations = [
        migrations.CreateModel(
            name="CompanyDetails",
            fields=[
                (
                    "request",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="company_details",
                        serialize=False,
                        to="registration.registrationrequest",
                    ),
                ),
                (
                    "direccion_empresa",
                    models.CharField(max_length=300, verbose_name="Dirección de empresa"),
                ),
                (
                    "telefono_empresa",
                    models.CharField(max_length=16, verbose_name="Teléfono empresa"),
                ),
            ],
            options={
                "verbose_name": "información de empresa",
                "verbose_name_plural": "información de empresa",
            },
        ),
        migrations.RunSQL(
            sql=COPY_TO_DETAILS,
            reverse_sql=COPY_BACK,
        ),
        migrations.RemoveField(
            model_name="registrationrequest",
            name="direccion_empresa",
        ),
        migrations.RemoveField(
            model_name="registrationrequest",
            name="telefono_empresa",
        ),
    ]
