"""Development email: each message written readably through the log, not MIME to stdout.

Django's console backend prints the raw MIME message (the subject as
``=?utf-8?q?…?=``) to stdout, which a Celery worker redirects to the logger
``celery.redirected`` at WARNING. This one logs the decoded subject and the
text at INFO on ``registration.mail``; it is the default with DJANGO_DEBUG=true.
"""

from __future__ import annotations

import logging

from django.core.mail import EmailMessage
from django.core.mail.backends.console import EmailBackend as ConsoleEmailBackend

logger = logging.getLogger(__name__)


class LoggingEmailBackend(ConsoleEmailBackend):
    def write_message(self, message: EmailMessage) -> None:
        attachments = [
            a[0] if isinstance(a, tuple) else a.get_filename() for a in message.attachments
        ]
        logger.info(
            "Correo (no enviado: modo de desarrollo)\nDe: %s\nPara: %s\nAsunto: %s\n%s\n%s",
            message.from_email,
            ", ".join(message.recipients()),
            message.subject,
            f"Adjuntos: {', '.join(str(a) for a in attachments)}\n" if attachments else "",
            message.body,
        )
