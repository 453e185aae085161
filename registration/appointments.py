"""The appointment (nombramiento or delegation) of a Representante de la entidad: a real PDF.

"Real" means pypdf reads it as a PDF with at least one page, and it is not protected
with a password (the reviewer must be able to open it). The size limit is
ECUAPASS_APPOINTMENT_MAX_BYTES.
"""

from __future__ import annotations

import io
import logging

from django.conf import settings
from pypdf import PdfReader
from pypdf.errors import PyPdfError

logger = logging.getLogger(__name__)


class AppointmentError(ValueError):
    """The file is not an acceptable appointment; the message is for the applicant."""


def pdf_page_count(content: bytes) -> int:
    """The pages of an acceptable appointment PDF; AppointmentError otherwise."""
    if not content.lstrip()[:5] == b"%PDF-":
        raise AppointmentError("no es un documento PDF.")
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            raise AppointmentError(
                "está protegido con contraseña; adjunte el PDF sin protección, para que el "
                "SENAE pueda abrirlo."
            )
        pages = len(reader.pages)
    except AppointmentError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        logger.info("Appointment refused, unreadable PDF: %s", exc)
        raise AppointmentError("no se puede leer como PDF (¿está dañado?).") from exc
    if pages < 1:
        raise AppointmentError("el PDF no tiene páginas.")
    return pages


def appointment_check(name: str, content: bytes) -> str:
    """The Spanish refusal of an uploaded appointment, or "" when it is acceptable."""
    limit = settings.ECUAPASS_APPOINTMENT_MAX_BYTES
    if not content:
        return f"«{name}» está vacío. Adjunte el nombramiento o la delegación en PDF."
    if len(content) > limit:
        return (
            f"«{name}» pesa {len(content) / 1024:.0f} KB; el máximo para el nombramiento o "
            f"la delegación es {limit / 1024:.0f} KB."
        )
    try:
        pdf_page_count(content)
    except AppointmentError as exc:
        return f"«{name}» {exc}"
    return ""
