"""Email notifications through an outbox.

A message is queued in the same transaction as the change it reports, so a rolled-back
change sends nothing; delivery happens after commit.

Delivery takes one message per transaction: it locks the next due row (`FOR UPDATE SKIP
LOCKED` on PostgreSQL, so concurrent runs — the beat tick and the send deferred by
`queue_mail`, on several workers — each take a different message; SQLite serialises writers
at `BEGIN IMMEDIATE` anyway), sends it, records `sent_at` and commits before taking the next.
A run that dies therefore loses at most the message in hand. That message can still go out
twice: if the process dies after the SMTP server accepted it but before the commit, the row
is still unsent and the next run sends it again. Mail is at-least-once on purpose: a rare
duplicate beats a notification that silently never arrives.

A failed attempt is retried with exponential backoff (`retry_delay`) until `MAX_ATTEMPTS`;
then the message is given up and kept, with its last error, for someone to look at.
"""

import re
import smtplib
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime, timedelta
from email.message import EmailMessage

import structlog
from sqlalchemy import or_
from sqlmodel import Session, col, select

from service import clock
from service.db import session_scope
from service.jobs import defer, job
from service.notifications.models import OutgoingMail
from service.settings import Settings, get_settings

log = structlog.get_logger()
# 60 s, doubling, capped at an hour: the 10th attempt comes about 4 h after the first.
MAX_ATTEMPTS = 10
FIRST_RETRY_SECONDS = 60
MAX_RETRY_SECONDS = 3600


MAX_ADDRESS_LENGTH = 320
# One bare address: nothing that could make a header name a second recipient.
_ONE_ADDRESS = re.compile(r"[^\s@,;:<>()\[\]\"\\]+@[^\s@,;:<>()\[\]\"\\]+")


def _single_line(text: str, limit: int) -> str:
    """Header values never carry line breaks: no header injection through a post's text.

    Nor an RFC 2047 encoded word ("=?utf-8?q?a=0D=0ABcc:...?="): the email package decodes
    those when the header is set and writes the decoded line break out as it is."""
    return " ".join(text.split()).replace("=?", "= ?")[:limit]


def queue_mail(session: Session, recipients: Iterable[str], subject: str, body: str) -> int:
    """Queue one message per recipient; an address that is not one bare address (a user
    record is validated, so this is a bug or tampering) is logged and left out."""
    queued = 0
    for address in sorted(set(recipients)):
        if len(address) > MAX_ADDRESS_LENGTH or not _ONE_ADDRESS.fullmatch(address):
            log.warning("mail_recipient_refused", address=address[:MAX_ADDRESS_LENGTH])
            continue
        session.add(
            OutgoingMail(
                to_address=address,
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


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt."""
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** (attempts - 1), MAX_RETRY_SECONDS))


def _message(mail: OutgoingMail, settings: Settings) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    return message


def _send(message: EmailMessage, settings: Settings) -> None:
    assert settings.smtp_host is not None
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username and settings.smtp_password:
            smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        smtp.send_message(message)


def _claim_next(session: Session, after: int, due_by: datetime | None) -> OutgoingMail | None:
    """Lock the next unsent message with an id above `after` that nobody else holds.

    With `due_by`, only messages whose retry time has come by then; without, also those
    waiting for a retry. Ids only go up within a run, so a run never takes a message twice.
    """
    query = select(OutgoingMail).where(
        col(OutgoingMail.sent_at).is_(None),
        OutgoingMail.attempts < MAX_ATTEMPTS,
        col(OutgoingMail.id) > after,
    )
    if due_by is not None:
        waiting_until = col(OutgoingMail.next_attempt_at)
        query = query.where(or_(waiting_until.is_(None), waiting_until <= due_by))
    query = (
        query.order_by(col(OutgoingMail.id))
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return session.exec(query).first()


def _attempt(session: Session, mail: OutgoingMail, settings: Settings) -> bool:
    """Send one claimed message and record the outcome (flushed, not committed)."""
    mail.attempts += 1
    try:
        _send(_message(mail, settings), settings)
    except (OSError, smtplib.SMTPException, ValueError) as error:
        mail.last_error = str(error)[:500]
        if mail.attempts >= MAX_ATTEMPTS:
            mail.next_attempt_at = None
            log.error("mail_given_up", mail_id=mail.id, attempts=mail.attempts, error=str(error))
        else:
            mail.next_attempt_at = clock.now() + retry_delay(mail.attempts)
            log.warning("mail_not_sent", mail_id=mail.id, attempts=mail.attempts, error=str(error))
        sent = False
    else:
        mail.sent_at = clock.now()
        mail.next_attempt_at = None
        sent = True
    session.add(mail)
    session.flush()
    return sent


def _deliver_each(
    open_session: Callable[[], AbstractContextManager[Session]],
    due_by: Callable[[], datetime | None],
    limit: int,
) -> int:
    """Claim, send and record one message per session until none is left or `limit` is hit;
    ids only move forward, so a message that just failed is not taken twice in one run."""
    settings = get_settings()
    if settings.smtp_host is None:
        return 0
    sent, after = 0, 0
    for _ in range(limit):
        with open_session() as session:
            mail = _claim_next(session, after, due_by())
            if mail is None:
                break
            sent += _attempt(session, mail, settings)
            assert mail.id is not None
            after = mail.id
    return sent


def deliver_pending(session: Session, limit: int = 100, *, due_only: bool = False) -> int:
    """Send unsent mail with the caller's session, one message at a time, flushing each and
    committing nothing; returns how many went out.

    This is the "send the outbox now" of tests and operators: unless `due_only`, mail waiting
    for its retry is attempted too (given-up mail never is). Scheduled delivery is
    `deliver_in_own_session`, which honours the backoff and commits each message.
    """
    return _deliver_each(
        lambda: nullcontext(session), lambda: clock.now() if due_only else None, limit
    )


@job("imprimatur.deliver_mail")
def deliver_in_own_session(limit: int = 100) -> int:
    """Send the mail that is due, each message in its own committed transaction."""
    return _deliver_each(session_scope, clock.now, limit)
