"""Indexes behind the queue's search and sorting (PostgreSQL; SQLite needs none of them)."""

from django.db import migrations

INDEXES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # Name and company search: icontains is UPPER(col::text) LIKE UPPER('%q%').
    "CREATE INDEX IF NOT EXISTS request_nombre_trgm_idx ON registration_registrationrequest "
    "USING gin (UPPER(nombre_usuario::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS request_razon_trgm_idx ON registration_registrationrequest "
    "USING gin (UPPER(razon_social::text) gin_trgm_ops)",
    # RUC and cédula prefixes.
    "CREATE INDEX IF NOT EXISTS request_ruc_prefix_idx ON registration_registrationrequest "
    "(ruc varchar_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS request_cedula_prefix_idx ON registration_registrationrequest "
    "(cedula varchar_pattern_ops)",
    # Sorting by company or province, then id.
    "CREATE INDEX IF NOT EXISTS request_razon_id_idx ON registration_registrationrequest "
    "(razon_social, id)",
    "CREATE INDEX IF NOT EXISTS request_province_id_idx ON registration_registrationrequest "
    "(province_id, id)",
]
DROP = [
    "DROP INDEX IF EXISTS request_nombre_trgm_idx",
    "DROP INDEX IF EXISTS request_razon_trgm_idx",
    "DROP INDEX IF EXISTS request_ruc_prefix_idx",
    "DROP INDEX IF EXISTS request_cedula_prefix_idx",
    "DROP INDEX IF EXISTS request_razon_id_idx",
    "DROP INDEX IF EXISTS request_province_id_idx",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in INDEXES:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in DROP:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0003_rejection_reasons"),
        ("registration", "0004_verification_outcome"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
