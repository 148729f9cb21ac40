"""Runs the policy's content rules (workflows/content_rules.py) on a revision.

This module only gathers plain data from the database — targets, media, the roster and who
has consented to what right now — and hands it to the pure rules.
"""

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime

from sqlmodel import Session, col, select

from service.accounts.models import Account, AccountSteward
from service.consent import service as consent
from service.consent import validity as consent_validity
from service.institution.models import Institution
from service.posts.models import PostMedia, PostRevision
from service.settings import get_settings
from service.users.models import User
from workflows.content_rules import (
    ConsentScope,
    MediaItem,
    RosterStudent,
    RuleResult,
    Submission,
    TargetAccount,
    ThirdPartyMaterial,
    check_submission,
)


def _targets(session: Session, account_ids: Sequence[int]) -> tuple[TargetAccount, ...]:
    accounts = session.exec(select(Account).where(col(Account.id).in_(account_ids))).all()
    stewards = session.exec(
        select(AccountSteward).where(col(AccountSteward.account_id).in_(account_ids))
    ).all()
    return tuple(
        TargetAccount(
            account_id=account.id or 0,
            label=f"{account.platform} @{account.handle}",
            status=str(account.status),
            steward_ids=frozenset(s.user_id for s in stewards if s.account_id == account.id),
        )
        for account in accounts
    )


def _media(session: Session, media_ids: Sequence[int]) -> tuple[MediaItem, ...]:
    rows = session.exec(select(PostMedia).where(col(PostMedia.id).in_(media_ids))).all()
    return tuple(
        MediaItem(
            media_id=m.id or 0,
            filename=m.filename,
            depicts=m.depicts,
            student_ids=tuple(m.student_ids),
            faces_detected=m.faces,
        )
        for m in sorted(rows, key=lambda m: media_ids.index(m.id or 0))
    )


def roster_for_rules(session: Session, at: datetime) -> tuple[RosterStudent, ...]:
    students = consent.roster(session)
    scopes = consent_validity.valid_scopes(
        session, [s.id for s in students if s.id is not None], at
    )
    return tuple(
        RosterStudent(
            student_id=student.id or 0,
            full_name=student.full_name,
            preferred_name=student.preferred_name,
            student_number=student.student_number,
            consents=frozenset(ConsentScope(scope) for scope in scopes.get(student.id or 0, ())),
        )
        for student in students
    )


def _institution_domains(session: Session) -> frozenset[str]:
    institution = session.get(Institution, 1)
    return frozenset(institution.domains) if institution else frozenset()


def submission_for(
    session: Session, revision: PostRevision, author: User, at: datetime
) -> Submission:
    settings = get_settings()
    return Submission(
        author_id=author.id or 0,
        text=revision.text,
        targets=_targets(session, revision.account_ids),
        media=_media(session, revision.media_ids),
        roster=roster_for_rules(session, at),
        third_party=tuple(
            ThirdPartyMaterial(d["description"], bool(d.get("permission", "").strip()))
            for d in revision.third_party
        ),
        visibility=revision.visibility,
        institution_domains=_institution_domains(session),
        public_phone_numbers=frozenset(
            "".join(ch for ch in number if ch.isdigit()) for number in settings.public_phone_numbers
        ),
        student_number_pattern=settings.student_number_pattern,
    )


def run_checks(
    session: Session, revision: PostRevision, author: User, at: datetime
) -> list[RuleResult]:
    """Evaluate every rule now and keep the results with the revision."""
    results = check_submission(submission_for(session, revision, author, at))
    revision.checks = [asdict(result) for result in results]
    session.add(revision)
    return results


def stored_results(revision: PostRevision) -> list[RuleResult]:
    return [RuleResult(**result) for result in revision.checks]
