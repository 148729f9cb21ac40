"""Header injection: whatever text reaches a mail's subject or recipient, the message that
arrives at a real SMTP server (aiosmtpd) carries only the headers our outbox writes, one
subject and the recipients we chose.

Subjects are built from post numbers, platform names, handles and people's emails today,
none of which can hold a line break; `queue_mail` is the last line of defence for whatever
a future subject quotes, so it is held to it with any text at all, including every
character Python or a mail reader treats as a line boundary.
"""

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from service.jobs import Job
from service.notifications.service import deliver_pending, queue_mail
from tests.notifications.conftest import BouncingMailbox
from tests.posts.test_notifications import assert_only_our_headers

RECIPIENT = "designee@school.example"
# Line boundaries for str.splitlines and for mail parsers, and header-looking text.
BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
INJECTIONS = st.sampled_from(
    [
        "Open day\r\nBcc: evil@x.example",
        "Open day\nSubject: hacked",
        "Open day\r\n\r\nA body of our choosing",
        "Open day\rTo: evil@x.example",
        "Open day\u2028Bcc: evil@x.example",
        "=?utf-8?q?Open=0D=0ABcc:_evil@x.example?=",
    ]
)
SUBJECTS = INJECTIONS | st.text(
    st.characters(exclude_categories=["Cs"]) | st.sampled_from(BREAKS), max_size=200
)


def words(text: str) -> str:
    """A subject's text without its white space, which the outbox may change (line breaks
    become spaces, and a space breaks up anything that looks like an encoded word)."""
    return "".join(text.split())


# The outbox and its delivery do not depend on the database: SQLite is enough.
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
@settings(
    max_examples=30,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(subject=SUBJECTS, body=st.text(max_size=200) | INJECTIONS)
@example(subject="Report\r\nBcc: evil@x.example\r\n\r\nbody", body="\r\n.\r\nRCPT TO:<evil@x>")
@example(subject="Report =?utf-8?q?x=0D=0ABcc:_evil@x.example?=", body="")
def test_any_subject_arrives_as_one_header_and_adds_no_other(
    mailbox: BouncingMailbox,
    session: Session,
    deferred: list[Job],
    subject: str,
    body: str,
) -> None:
    mailbox.received.clear()
    queue_mail(session, [RECIPIENT], subject, body)

    assert deliver_pending(session) == 1

    (received,) = mailbox.received
    assert_only_our_headers(received)
    assert received.rcpt_tos == [RECIPIENT]
    assert words(str(received.message["Subject"])) == words(subject)


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "recipient",
    [
        f"{RECIPIENT}\r\nBcc: evil@x.example",
        f"{RECIPIENT}\nCc: evil@x.example",
        f"{RECIPIENT}, evil@x.example",
        f"{RECIPIENT}; evil@x.example",
        f"Designee <{RECIPIENT}>, evil@x.example",
    ],
)
def test_a_recipient_with_a_second_address_in_it_adds_nobody(
    mailbox: BouncingMailbox, session: Session, deferred: list[Job], recipient: str
) -> None:
    queue_mail(session, [recipient], "Post #1 awaits review", "Please review post #1.")

    deliver_pending(session)

    assert not {a for r in mailbox.received for a in r.rcpt_tos} - {RECIPIENT}
    for received in mailbox.received:
        assert_only_our_headers(received)
