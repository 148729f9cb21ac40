"""Email notifications through an outbox.

A message is queued in the same transaction as the change it reports, so a rolled-back
change sends nothing; delivery happens after commit (`deliver_pending`), and a message that
fails stays queued for the next attempt.
"""

import smtplib
from collections.abc import Iterable
from email.message import EmailMessage

import structlog
from sqlmodel import Session, col, select

from service import clock
from service.db import session_scope
from service.jobs import defer, job
from service.notifications.models import OutgoingMail
from service.settings import Settings, get_settings

log = structlog.get_logger()
MAX_ATTEMPTS = 5


def _single_line(text: str, limit: int) -> str:
    """Header values never carry line breaks: no header injection through a post's text."""
    return " ".join(text.split())[:limit]


def queue_mail(session: Session, recipients: Iterable[str], subject: str, body: str) -> int:
    queued = 0
    for address in sorted(set(recipients)):
        session.add(
            OutgoingMail(
                to_address=_single_line(address, 320),
                subject=_single_line(subject, 300),
                body=body,
                created_at=clock.now(),
            )
        )
        queued += 1
    if queued:
        session.flush()
        defer(session, deliver_in_own_session)
    return queued


def _message(mail: OutgoingMail, settings: Settings) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    return message


def _send(messages: list[EmailMessage], settings: Settings) -> None:
    assert settings.smtp_host is not None
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username and settings.smtp_password:
            smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        for message in messages:
            smtp.send_message(message)


def deliver_pending(session: Session, limit: int = 100) -> int:
    """Send what is queued; returns how many went out. Failures are recorded and retried later."""
    settings = get_settings()
    if settings.smtp_host is None:
        return 0
    pending = session.exec(
        select(OutgoingMail)
        .where(col(OutgoingMail.sent_at).is_(None), OutgoingMail.attempts < MAX_ATTEMPTS)
        .order_by(col(OutgoingMail.id))
        .limit(limit)
    ).all()
    sent = 0
    for mail in pending:
        mail.attempts += 1
        try:
            _send([_message(mail, settings)], settings)
        except (OSError, smtplib.SMTPException, ValueError) as error:
            mail.last_error = str(error)[:500]
            log.warning("mail_not_sent", mail_id=mail.id, error=mail.last_error)
        else:
            mail.sent_at = clock.now()
            sent += 1
        session.add(mail)
    session.flush()
    return sent


@job("imprimatur.deliver_mail")
def deliver_in_own_session() -> int:
    with session_scope() as session:
        return deliver_pending(session)
