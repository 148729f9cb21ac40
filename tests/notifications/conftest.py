"""A real SMTP server (aiosmtpd) for delivery tests, as in `tests/posts/test_notifications.py`."""

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession

from service.settings import Settings
from tests.posts.test_notifications import Mailbox, SmtpServer, configured_smtp


@dataclass
class BouncingMailbox(Mailbox):
    """Keeps what it accepts; refuses every recipient whose address contains `bounce`."""

    refused: list[str] = field(default_factory=list)

    async def handle_RCPT(
        self,
        server: SMTP,
        session: SmtpSession,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if "bounce" in address:
            self.refused.append(address)
            return "550 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def smtp(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    """SMTP settings naming a free local port, with no server on it until `start()`."""
    with configured_smtp(monkeypatch, BouncingMailbox()) as server:
        yield server


@pytest.fixture
def mailbox(smtp: SmtpServer) -> BouncingMailbox:
    """A running SMTP server; what it received and refused."""
    smtp.start()
    assert isinstance(smtp.mailbox, BouncingMailbox)
    return smtp.mailbox
