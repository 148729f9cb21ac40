"""What a scan records: one finding per account, a snapshot per change, reopening on change."""

import hashlib
import json
from collections.abc import Callable

from sqlmodel import Session, col, select

from service import media
from service.audit.models import AuditEntry
from service.findings import service
from service.findings.models import DismissRequest, FindingSnapshot
from service.findings.record import Outcome
from service.users.models import Role
from tests.conftest import Person
from tests.findings.conftest import LOGO, OTHER_IMAGE, Record, profile
from workflows.finding_lifecycle import DismissReason, FindingAction, FindingStatus
from workflows.platforms import Platform


def snapshots(session: Session, finding_id: int | None) -> list[FindingSnapshot]:
    return list(
        session.exec(
            select(FindingSnapshot)
            .where(FindingSnapshot.finding_id == finding_id)
            .order_by(col(FindingSnapshot.id))
        ).all()
    )


def test_one_finding_per_account_by_platform_id_then_handle(record: Record) -> None:
    outcome, first = record(profile(platform_id="1", handle="Riverbend_Tech"))
    assert outcome is Outcome.new and first is not None
    outcome, renamed = record(profile(platform_id="1", handle="RiverbendTech_HQ"))
    assert outcome is Outcome.updated and renamed is not None and renamed.id == first.id
    assert renamed.handle == "RiverbendTech_HQ" and renamed.handle_key == "riverbendtech_hq"

    _, by_handle = record(profile(platform_id="", handle="riverbend_helpdesk"))
    assert by_handle is not None and by_handle.platform_account_id is None
    _, with_id = record(profile(platform_id="77", handle="Riverbend_HelpDesk"))
    assert with_id is not None and with_id.id == by_handle.id
    assert with_id.platform_account_id == "77" and with_id.account_key == "id:77"

    outcome, elsewhere = record(profile(platform=Platform.instagram, platform_id="1"))
    assert outcome is Outcome.new and elsewhere is not None and elsewhere.id != first.id


def test_an_account_that_needs_no_action_opens_no_finding(record: Record) -> None:
    assert record(profile(platform_id="5"), verdict="benign", score=0.1) == (Outcome.skipped, None)


def test_a_snapshot_only_when_the_profile_changes_and_its_hash_checks_out(
    session: Session, record: Record
) -> None:
    _, finding = record(profile(followers=40), image=LOGO)
    assert finding is not None
    outcome, same = record(profile(followers=41), image=LOGO)  # followers only
    assert outcome is Outcome.unchanged and same is not None and same.version == 1
    assert same.last_seen >= finding.first_seen
    assert record(profile(), image=LOGO, score=0.8)[0] is Outcome.updated  # rescored, same profile
    assert len(snapshots(session, finding.id)) == 1

    record(profile(bio="Enrollment questions? DM us."), image=LOGO)
    first, second = snapshots(session, finding.id)
    assert second.profile["bio"] == "Enrollment questions? DM us."
    for snapshot in (first, second):
        canonical = json.dumps(
            {
                "taken_at": snapshot.taken_at.isoformat(),
                "profile": snapshot.profile,
                "image_sha256": snapshot.image_sha256,
            },
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        assert snapshot.snapshot_sha256 == hashlib.sha256(canonical.encode()).hexdigest()
        assert snapshot.image_sha256 == hashlib.sha256(LOGO).hexdigest()
        assert snapshot.image_path and media.read_stored(snapshot.image_path) == LOGO
        assert snapshot.image_phash is not None and len(snapshot.image_phash) == 16


def _dismiss(session: Session, finding_id: int, person: Person) -> None:
    data = DismissRequest(reason=DismissReason.fan, note="a fan page")
    service.triage(session, finding_id, FindingAction.dismiss, person.user, data)
    session.commit()


def test_a_dismissed_account_reopens_when_it_changes_materially(
    session: Session, record: Record, make_person: Callable[..., Person]
) -> None:
    designee = make_person(Role.designee)
    fan = profile(display_name="Riverbend Tech Fans", bio="We love RTC", platform_id="42")
    _, finding = record(fan, image=OTHER_IMAGE)
    assert finding is not None and finding.id is not None
    _dismiss(session, finding.id, designee)

    outcome, same = record(profile(**{**_kw(fan), "followers": 9000}), image=OTHER_IMAGE)
    assert outcome is Outcome.unchanged and same is not None
    assert same.status is FindingStatus.dismissed

    outcome, same = record(profile(**{**_kw(fan), "bio": "Go team!"}), image=OTHER_IMAGE)
    assert outcome is Outcome.updated and same is not None  # changed, but not materially
    assert same.status is FindingStatus.dismissed

    renamed = {**_kw(fan), "display_name": "Riverbend Technology Center"}
    outcome, same = record(profile(**renamed), verdict="benign", score=0.2, image=OTHER_IMAGE)
    assert same is not None and same.status is FindingStatus.dismissed  # nothing to report

    # No change since the last sighting, but a material one since the dismissal.
    outcome, reopened = record(profile(**renamed), image=OTHER_IMAGE)
    assert outcome is Outcome.reopened and reopened is not None
    assert reopened.status is FindingStatus.open and reopened.dismissed_reason is None
    assert reopened.note.startswith("Reopened: display name changed")
    actions = session.exec(
        select(AuditEntry.action)
        .where(AuditEntry.subject_type == "finding", AuditEntry.subject_id == str(finding.id))
        .order_by(col(AuditEntry.id))
    ).all()
    assert actions == ["finding.opened", "finding.dismiss", "finding.reopened"]


def test_a_new_profile_image_reopens_a_dismissed_finding(
    session: Session, record: Record, make_person: Callable[..., Person]
) -> None:
    _, finding = record(profile(platform_id="43"), image=OTHER_IMAGE)
    assert finding is not None and finding.id is not None
    _dismiss(session, finding.id, make_person(Role.superintendent))
    outcome, reopened = record(profile(platform_id="43"), image=LOGO)
    assert outcome is Outcome.reopened and reopened is not None
    assert reopened.note == "Reopened: profile image changed"


def _kw(seen: object) -> dict[str, object]:
    names = ("platform", "platform_id", "handle", "display_name", "bio", "followers")
    return {name: getattr(seen, name) for name in names}
