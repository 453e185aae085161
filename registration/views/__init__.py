"""Applicant pages: `portal` (Pasos 1–2, public services, login), `solicitud` (Pasos 3–5,
status, correction) and `lookups` (what the form asks while it is filled)."""
