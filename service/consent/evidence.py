"""The signed consent form: accepted by its content, stored content-addressed, shown to few."""

from pathlib import PurePath

from sqlmodel import Session

from service import media
from service.audit import service as audit
from service.consent.models import Consent, ConsentCreate
from service.consent.service import consent_state, create_consent, get_consent
from service.errors import Conflict, DomainError, Invalid, NotFound
from service.users.models import User

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
# The signed form's type is decided by its first bytes, never by its name or declared type.
EVIDENCE_KINDS = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)


class TooLarge(DomainError):
    status_code = 413
    code = "too_large"


def evidence_kind(data: bytes) -> tuple[str, str]:
    """(content type, file suffix) of a signed form, judged by its magic bytes."""
    for magic, content_type, suffix in EVIDENCE_KINDS:
        if data.startswith(magic):
            return content_type, suffix
    raise Invalid(
        "The signed form must be a PDF, JPEG or PNG file; this one is not "
        "(judged by its content, not its name)."
    )


def attach_evidence(
    session: Session, consent_id: int, data: bytes, filename: str | None, actor: User
) -> Consent:
    """Store the signed form. It is part of the record: replacing it means a new consent."""
    consent = get_consent(session, consent_id, actor, for_update=True)
    if consent.revoked_at is not None:
        raise Conflict(f"Consent {consent_id} is revoked; record a new consent instead.")
    if consent.evidence_sha256 is not None:
        raise Conflict(
            f"Consent {consent_id} already has its signed form; to correct it, revoke this "
            "consent and record a new one."
        )
    if len(data) > MAX_EVIDENCE_BYTES:
        raise TooLarge("The signed form is larger than 10 MB.", max_bytes=MAX_EVIDENCE_BYTES)
    if not data:
        raise Invalid("The uploaded file is empty.")
    content_type, suffix = evidence_kind(data)
    stored = media.store_bytes(data, folder="evidence", suffix=suffix)
    before = consent_state(consent)
    consent.evidence_sha256 = stored.sha256
    consent.evidence_path = stored.path
    consent.evidence_content_type = content_type
    session.add(consent)
    session.flush()
    audit.record(
        session,
        actor=actor.email,
        action="consent.evidence_attached",
        subject_type="consent",
        subject_id=consent.id,
        before=before,
        after={
            **consent_state(consent),
            "evidence_content_type": content_type,
            "evidence_bytes": len(data),
            "filename": media.client_filename(filename, default="")[:200],
        },
    )
    return consent


def record_consent(
    session: Session, data: ConsentCreate, form: bytes, filename: str | None, actor: User
) -> Consent:
    """Record a consent together with its signed form (the web form sends both at once).

    A refused form raises, so the request's transaction keeps neither.
    """
    consent = create_consent(session, data, actor)
    assert consent.id is not None
    return attach_evidence(session, consent.id, form, filename, actor)


def evidence_file(session: Session, consent_id: int, viewer: User) -> tuple[bytes, str, str]:
    """(content, content type, download name) of a consent's signed form."""
    consent = get_consent(session, consent_id, viewer)
    if consent.evidence_path is None or consent.evidence_content_type is None:
        raise NotFound(f"Consent {consent_id} has no signed form yet.")
    name = f"consent-{consent_id}{PurePath(consent.evidence_path).suffix}"
    return media.read_stored(consent.evidence_path), consent.evidence_content_type, name
