"""Mail about posts, sent through a real SMTP server (aiosmtpd) and read back as it arrived.

Tests on `app` deliver the outbox themselves with `deliver_pending(session)`: their requests
share one rolled-back session, so nothing is committed and nothing is sent by itself. The
`live_app` test proves that a committed request sends its mail on its own.
"""

import email
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from service.db import session_scope
from service.notifications.models import OutgoingMail
from service.notifications.service import deliver_pending
from service.posts import review
from service.settings import Settings, get_settings
from service.users.models import Role
from tests.conftest import Person
from tests.posts.conftest import Newsroom, build_live_newsroom, draft_post
from workflows.post_lifecycle import PostStatus

MAIL_FROM = "imprimatur@school.example"
# What our outbox writes; anything else in a received message was injected.
HEADERS_WE_WRITE = {"from", "to", "subject", "content-type", "content-transfer-encoding"}
HEADERS_WE_WRITE |= {"mime-version"}


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def body(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        text: str = part.get_content()
        return text


@dataclass
class Mailbox:
    """An aiosmtpd handler that keeps every message it accepts, as the server received it."""

    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        message = email.message_from_bytes(raw, policy=default_policy)
        assert isinstance(message, EmailMessage)
        self.received.append(Received(envelope.mail_from or "", list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def about(self, post_id: int) -> list[Received]:
        return [r for r in self.received if f"Post #{post_id}" in str(r.message["Subject"])]

    def recipients(self, post_id: int) -> set[str]:
        return {address for r in self.about(post_id) for address in r.rcpt_tos}

    def wait_for(self, post_id: int, count: int, timeout: float = 5.0) -> list[Received]:
        """Wait for mail sent by a background thread (an async effect, not a timing check)."""
        deadline = time.monotonic() + timeout
        while len(self.about(post_id)) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.about(post_id)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class SmtpServer:
    port: int
    mailbox: Mailbox = field(default_factory=Mailbox)
    controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@contextmanager
def configured_smtp(monkeypatch: pytest.MonkeyPatch, mailbox: Mailbox) -> Iterator[SmtpServer]:
    """SMTP settings naming a free local port, with no server on it until `start()`."""
    server = SmtpServer(free_port(), mailbox=mailbox)
    monkeypatch.setenv("IMPRIMATUR_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("IMPRIMATUR_SMTP_PORT", str(server.port))
    monkeypatch.setenv("IMPRIMATUR_MAIL_FROM", MAIL_FROM)
    get_settings.cache_clear()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    """Request it before `app`/`live_app` so that the settings are in place before the
    application is built."""
    with configured_smtp(monkeypatch, Mailbox()) as server:
        yield server


@pytest.fixture
def mailbox(smtp: SmtpServer) -> Mailbox:
    """A running SMTP server; what it received."""
    smtp.start()
    return smtp.mailbox


def submit(app: TestClient, post: dict[str, Any], author: Person) -> dict[str, Any]:
    response = app.post(f"/api/v1/posts/{post['id']}/submit", headers=author.headers)
    assert response.status_code == 200, response.text
    submitted: dict[str, Any] = response.json()
    return submitted


def outbox(session: Session, post_id: int) -> list[OutgoingMail]:
    return list(
        session.exec(
            select(OutgoingMail)
            .where(col(OutgoingMail.subject).contains(f"Post #{post_id}"))
            .order_by(col(OutgoingMail.id))
        ).all()
    )


def assert_only_our_headers(received: Received) -> None:
    names = {name.lower() for name in received.message}
    assert names <= HEADERS_WE_WRITE, f"unexpected headers: {names - HEADERS_WE_WRITE}"
    assert received.message.get_all("Bcc") is None
    assert received.message.get_all("Cc") is None
    assert len(received.message.get_all("Subject") or []) == 1
    assert received.rcpt_tos == [str(received.message["To"])]


def test_a_submitted_post_is_mailed_to_every_reviewer_and_nobody_else(
    mailbox: Mailbox,
    app: TestClient,
    newsroom: Newsroom,
    make_person: Callable[..., Person],
    session: Session,
) -> None:
    second_designee = make_person(Role.designee)
    bystanders = [make_person(Role.staff), make_person(Role.auditor)]
    post = draft_post(app, newsroom.author, newsroom.account_id, "Enrollment opens Monday at 9am.")
    submit(app, post, newsroom.author)

    assert deliver_pending(session) == 3
    reviewers = {newsroom.designee.email, second_designee.email, newsroom.superintendent.email}
    assert mailbox.recipients(post["id"]) == reviewers
    not_mailed = {newsroom.author.email, newsroom.site_admin.email} | {p.email for p in bystanders}
    assert not not_mailed & mailbox.recipients(post["id"])
    for received in mailbox.about(post["id"]):
        assert received.message["Subject"] == f"Post #{post['id']} awaits review"
        assert received.message["From"] == MAIL_FROM
        assert received.mail_from == MAIL_FROM
        assert "Enrollment opens Monday at 9am." in received.body
        assert "Approvals needed: designee." in received.body
        assert f"/review/{post['id']}" in received.body
        assert_only_our_headers(received)
    assert all(m.sent_at is not None and m.attempts == 1 for m in outbox(session, post["id"]))
    assert deliver_pending(session) == 0  # sent once, never again
    assert len(mailbox.received) == 3


def test_a_group_photo_also_goes_to_the_site_administrators(
    mailbox: Mailbox,
    app: TestClient,
    newsroom: Newsroom,
    add_student: Callable[..., dict[str, Any]],
    group_photo: bytes,
    session: Session,
) -> None:
    students = [add_student(name, consent="photo") for name in ("Omar Haddad", "Ana Lima")]
    post = draft_post(app, newsroom.author, newsroom.account_id, "The welding team at State.")
    attached = app.post(
        f"/api/v1/posts/{post['id']}/media",
        files={"file": ("team.jpg", group_photo, "image/jpeg")},
        data={"depicts": "group", "student_ids": ",".join(str(s["id"]) for s in students)},
        headers=newsroom.author.headers,
    )
    assert attached.status_code == 200, attached.text
    submit(app, post, newsroom.author)

    deliver_pending(session)
    assert mailbox.recipients(post["id"]) == {
        newsroom.designee.email,
        newsroom.site_admin.email,
        newsroom.superintendent.email,
    }
    assert all("site_admin" in r.body for r in mailbox.about(post["id"]))


def test_reviewers_are_not_asked_to_review_their_own_post(
    mailbox: Mailbox, app: TestClient, newsroom: Newsroom, session: Session
) -> None:
    app.post(
        f"/api/v1/accounts/{newsroom.account_id}/stewards",
        json={"email": newsroom.designee.email},
        headers=newsroom.superintendent.headers,
    )
    post = draft_post(app, newsroom.designee, newsroom.account_id, "Open house on Saturday.")
    submit(app, post, newsroom.designee)

    deliver_pending(session)
    assert mailbox.recipients(post["id"]) == {newsroom.superintendent.email}


@pytest.mark.parametrize(
    ("route", "reviewer", "comment", "decision", "status"),
    [
        ("approve", "designee", "Looks good.", "approve", "approved"),
        ("request-changes", "designee", "Add the dates.", "request_changes", "changes_requested"),
        ("reject", "superintendent", "Not for this account.", "reject", "rejected"),
    ],
)
def test_each_decision_is_mailed_to_the_author(
    mailbox: Mailbox,
    app: TestClient,
    newsroom: Newsroom,
    session: Session,
    route: str,
    reviewer: str,
    comment: str,
    decision: str,
    status: str,
) -> None:
    post = draft_post(app, newsroom.author, newsroom.account_id, "Holiday schedule.")
    submit(app, post, newsroom.author)
    deliver_pending(session)
    asked = len(mailbox.received)

    decided = app.post(
        f"/api/v1/posts/{post['id']}/{route}",
        json={"comment": comment},
        headers=getattr(newsroom, reviewer).headers,
    )
    assert decided.status_code == 200, decided.text
    assert deliver_pending(session) == 1

    (received,) = mailbox.received[asked:]
    assert received.rcpt_tos == [newsroom.author.email]
    assert received.message["Subject"] == (
        f"Post #{post['id']}: {decision.replace('_', ' ')} by {reviewer}"
    )
    assert f"revision 1 of your post #{post['id']}: {decision}." in received.body
    assert f"The post is now {status}." in received.body
    assert comment in received.body
    assert_only_our_headers(received)


def test_a_change_that_is_rolled_back_sends_nothing(
    mailbox: Mailbox,
    app: TestClient,
    newsroom: Newsroom,
    add_student: Callable[..., dict[str, Any]],
    session: Session,
) -> None:
    add_student("Jane Doe")  # no consent: naming her blocks the post
    blocked = draft_post(app, newsroom.author, newsroom.account_id, "Well done, Jane Doe!")
    refused = app.post(f"/api/v1/posts/{blocked['id']}/submit", headers=newsroom.author.headers)
    assert refused.status_code == 422
    assert outbox(session, blocked["id"]) == []

    # Mail queued by a change whose transaction then rolls back goes with it.
    fine = draft_post(app, newsroom.author, newsroom.account_id, "Enrollment opens Monday.")
    nested = session.begin_nested()
    review.submit(session, fine["id"], newsroom.author.user)
    assert len(outbox(session, fine["id"])) == 2
    nested.rollback()
    assert outbox(session, fine["id"]) == []

    assert deliver_pending(session) == 0
    assert mailbox.received == []


def test_post_text_and_comments_cannot_add_headers_or_recipients(
    mailbox: Mailbox, app: TestClient, newsroom: Newsroom, session: Session
) -> None:
    post = draft_post(
        app,
        newsroom.author,
        newsroom.account_id,
        "Open day\r\nBcc: evil@x\r\nSubject: hacked\r\n\r\nSee you there.",
    )
    submit(app, post, newsroom.author)
    changes = app.post(
        f"/api/v1/posts/{post['id']}/request-changes",
        # A line with a lone dot ends an SMTP message: what follows must not become a second one.
        json={"comment": "Fix this\r\nBcc: evil@x\r\n.\r\nRCPT TO:<evil@x>\r\nDATA\r\n"},
        headers=newsroom.designee.headers,
    )
    assert changes.status_code == 200, changes.text

    assert deliver_pending(session) == 3
    assert len(mailbox.received) == 3
    assert mailbox.recipients(post["id"]) == {
        newsroom.designee.email,
        newsroom.superintendent.email,
        newsroom.author.email,
    }
    for received in mailbox.received:
        assert_only_our_headers(received)
        assert "hacked" not in str(received.message["Subject"])
        assert "Bcc: evil@x" in received.body  # kept as text, where it is harmless


def test_mail_waits_in_the_outbox_while_smtp_is_down(
    smtp: SmtpServer, app: TestClient, newsroom: Newsroom, session: Session
) -> None:
    post = draft_post(app, newsroom.author, newsroom.account_id, "Enrollment opens Monday.")
    submit(app, post, newsroom.author)

    assert deliver_pending(session) == 0  # nothing listens on the port
    queued = outbox(session, post["id"])
    assert len(queued) == 2
    for mail in queued:
        assert (mail.sent_at, mail.attempts) == (None, 1)
        assert mail.last_error

    smtp.start()
    assert deliver_pending(session) == 2
    assert all(m.sent_at is not None and m.attempts == 2 for m in outbox(session, post["id"]))
    assert smtp.mailbox.recipients(post["id"]) == {
        newsroom.designee.email,
        newsroom.superintendent.email,
    }


def test_a_committed_request_sends_its_mail_by_itself(
    mailbox: Mailbox, live_app: TestClient, make_live_person: Callable[..., Person]
) -> None:
    newsroom = build_live_newsroom(live_app, make_live_person, designees=1)
    post = draft_post(live_app, newsroom.author, newsroom.account_id, "Enrollment opens Monday.")
    submit(live_app, post, newsroom.author)

    received = mailbox.wait_for(post["id"], count=2)
    assert {r.rcpt_tos[0] for r in received} == {
        newsroom.designees[0].email,
        newsroom.superintendent.email,
    }
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the sender commits `sent_at` just after sending
        with session_scope() as session:
            if all(m.sent_at is not None for m in outbox(session, post["id"])):
                break
        time.sleep(0.02)
    with session_scope() as session:
        assert [m.attempts for m in outbox(session, post["id"])] == [1, 1]
        assert all(m.sent_at is not None for m in outbox(session, post["id"]))


def test_reviewers_hear_again_when_an_edit_sends_a_post_back_to_review(
    mailbox: Mailbox, app: TestClient, newsroom: Newsroom, session: Session
) -> None:
    post = draft_post(app, newsroom.author, newsroom.account_id, "Enrollment opens Monday.")
    submit(app, post, newsroom.author)
    deliver_pending(session)
    first = len(mailbox.about(post["id"]))
    app.patch(
        f"/api/v1/posts/{post['id']}",
        json={"text": "Enrollment opens Tuesday."},
        headers=newsroom.author.headers,
    )
    deliver_pending(session)
    again = mailbox.about(post["id"])[first:]
    assert {r.rcpt_tos[0] for r in again} == {
        newsroom.designee.email,
        newsroom.superintendent.email,
    }
    assert all("revision 2" in r.body and "Tuesday" in r.body for r in again)


def test_revoking_a_consent_mails_the_author_and_approvers_of_flagged_posts(
    mailbox: Mailbox, app: TestClient, newsroom: Newsroom, session: Session
) -> None:
    from service.posts.models import Post
    from tests.posts.conftest import grant_consent

    student = app.post(
        "/api/v1/students",
        json={"full_name": "Jane Doe", "site": "North"},
        headers=newsroom.superintendent.headers,
    ).json()
    consent_id = grant_consent(app, newsroom.superintendent, student["id"], "name")
    post = draft_post(app, newsroom.author, newsroom.account_id, "Well done, Jane Doe!")
    submit(app, post, newsroom.author)
    app.post(f"/api/v1/posts/{post['id']}/approve", headers=newsroom.designee.headers)
    row = session.get(Post, post["id"])
    assert row is not None
    row.status = PostStatus.published  # as the publishing job would have done
    session.add(row)
    session.flush()
    deliver_pending(session)
    before = len(mailbox.received)

    app.post(
        f"/api/v1/consents/{consent_id}/revoke",
        json={"reason": "withdrawn"},
        headers=newsroom.superintendent.headers,
    )
    deliver_pending(session)
    flagged = [
        r for r in mailbox.received[before:] if "must be removed" in str(r.message["Subject"])
    ]
    assert {r.rcpt_tos[0] for r in flagged} == {newsroom.author.email, newsroom.designee.email}
