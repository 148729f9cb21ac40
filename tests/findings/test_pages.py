"""The findings pages: the triage queue, one finding beside the official account, its lifecycle
actions (through the same service functions as the API), the evidence pack, and scan runs."""

from collections.abc import Callable

import pytest
from httpx2 import Response
from sqlmodel import Session, col, select

from service.audit.models import AuditEntry
from service.findings import service as findings
from service.findings.models import DismissRequest, Finding
from service.institution.models import Institution
from service.media import read_stored
from service.scans import service as scans
from service.scans.models import ScanRun, ScanStatus
from service.users.models import Role
from tests.conftest import Browser, Person
from tests.findings.conftest import LOGO, OTHER_IMAGE, Record, profile
from workflows.finding_lifecycle import DismissReason, FindingAction, FindingStatus
from workflows.platforms import Platform

SLUGS = [
    "confirm",
    "request-takedown",
    "resolve",
    "mark-unofficial",
    "bring-into-register",
    "ask-to-close",
    "dismiss",
]


@pytest.fixture
def impostor(record: Record, demo_institution: None) -> Finding:
    """An impostor seen twice: first with another avatar, then with the institution's logo."""
    _, finding = record(profile(display_name="Riverbend Tech"), image=OTHER_IMAGE)
    record(profile(display_name="Riverbend Technology Center"), image=LOGO)
    assert finding is not None and finding.id is not None
    return finding


@pytest.fixture
def queue(record: Record, session: Session, superintendent: Person) -> list[Finding]:
    """Three findings: on X (0.95, open), on Facebook (0.8, open), on X (0.6, dismissed)."""
    found = [
        record(profile(platform_id="1", handle="Riverbend_Tech"), score=0.95)[1],
        record(
            profile(platform=Platform.facebook, platform_id="2", handle="riverbend.official"),
            score=0.8,
        )[1],
        record(profile(platform_id="3", handle="rtc_fans"), score=0.6)[1],
    ]
    findings.triage(
        session,
        found[2].id or 0,
        FindingAction.dismiss,
        superintendent.user,
        DismissRequest(reason=DismissReason.fan),
    )
    session.commit()
    return [f for f in found if f is not None]


def handles_in_order(text: str) -> list[str]:
    body = text.split("<tbody>")[1].split("</tbody>")[0]
    return [row.split('">@')[1].split("</a>")[0] for row in body.split("<tr>")[1:]]


def status_of(session: Session, finding_id: int) -> FindingStatus:
    session.expire_all()
    return findings.get_finding(session, finding_id).status


def audited(session: Session, finding_id: int) -> list[tuple[str, str]]:
    return [
        (action, actor)
        for action, actor in session.exec(
            select(AuditEntry.action, AuditEntry.actor)
            .where(AuditEntry.subject_type == "finding", AuditEntry.subject_id == str(finding_id))
            .order_by(col(AuditEntry.id))
        ).all()
    ]


def act(
    browser: Browser, finding: Finding, slug: str, session: Session, **form: object
) -> Response:
    session.expire_all()
    version = findings.get_finding(session, finding.id or 0).version
    return browser.post(f"/findings/{finding.id}/{slug}", data={"version": version, **form})


# --- the triage queue ---


def test_the_queue_is_sorted_by_score_and_filtered(
    browser_as: Callable[[Person], Browser],
    make_person: Callable[..., Person],
    queue: list[Finding],
) -> None:
    browser = browser_as(make_person(Role.designee))
    page = browser.get("/findings")
    assert page.status_code == 200
    assert handles_in_order(page.text) == ["Riverbend_Tech", "riverbend.official", "rtc_fans"]
    assert f'href="/findings/{queue[0].id}"' in page.text and 'href="/findings/scans"' in page.text
    assert "0.95" in page.text and "badge-dismissed" in page.text
    blank = browser.get("/findings", status="", platform="", min_score="")
    assert handles_in_order(blank.text) == handles_in_order(page.text)
    open_ones = browser.get("/findings", status="open")
    assert handles_in_order(open_ones.text) == ["Riverbend_Tech", "riverbend.official"]
    on_x = browser.get("/findings", platform="x", min_score="0.7")
    assert handles_in_order(on_x.text) == ["Riverbend_Tech"]
    none = browser.get("/findings", status="resolved")
    assert "No finding matches these filters." in none.text


@pytest.mark.parametrize(
    "bad", [{"status": "bogus"}, {"platform": "myspace"}, {"min_score": "2"}, {"min_score": "x"}]
)
def test_a_bad_queue_filter_is_a_422_page(
    browser_as: Callable[[Person], Browser], superintendent: Person, bad: dict[str, str]
) -> None:
    page = browser_as(superintendent).get("/findings", **bad)
    assert page.status_code == 422 and "Please check what you entered" in page.text


# --- one finding ---


def test_the_finding_page_shows_both_images_the_reasons_and_the_history(
    browser_as: Callable[[Person], Browser],
    make_person: Callable[..., Person],
    impostor: Finding,
    session: Session,
) -> None:
    browser = browser_as(make_person(Role.auditor))
    page = browser.get(f"/findings/{impostor.id}")
    assert page.status_code == 200
    text = page.text
    assert 'class="side-by-side"' in text
    assert "style=" not in text and "<script>" not in text  # strict CSP: nothing inline
    assert "display name equals the institution&#39;s" in text  # the reasons, escaped
    assert "@RiverbendTech on X" in text  # the official account it imitates
    newest, oldest = findings.snapshots_of(session, impostor.id or 0)
    latest_src = f"/findings/{impostor.id}/snapshots/{newest.id}/image"
    earlier_src = f"/findings/{impostor.id}/snapshots/{oldest.id}/image"
    official_src = f"/findings/{impostor.id}/official-image"
    side_by_side = text.split('class="side-by-side"')[1].split("<h2")[0]
    assert f'src="{latest_src}"' in side_by_side and f'src="{official_src}"' in side_by_side
    assert f'src="{earlier_src}"' in text  # in the history
    assert newest.snapshot_sha256 in text and oldest.snapshot_sha256 in text
    assert "finding.opened" in text and "system:scanner" in text
    # read-only for the auditor: no action forms
    assert 'method="post"' not in text.split("</header>")[1]

    latest = browser.get(latest_src)
    assert latest.status_code == 200 and latest.content == LOGO
    assert latest.headers["content-type"] == "image/png"
    assert browser.get(earlier_src).content == OTHER_IMAGE
    official = browser.get(official_src)
    institution = session.get(Institution, 1)
    assert institution is not None
    assert official.status_code == 200
    assert official.content == read_stored(institution.logos[0]["path"])


def test_images_of_another_finding_or_without_an_image_are_404(
    browser_as: Callable[[Person], Browser],
    superintendent: Person,
    impostor: Finding,
    record: Record,
    session: Session,
) -> None:
    _, other = record(profile(platform_id="42", handle="rtc_other"))  # no image
    assert other is not None
    (bare,) = findings.snapshots_of(session, other.id or 0)
    newest = findings.snapshots_of(session, impostor.id or 0)[0]
    browser = browser_as(superintendent)
    assert browser.get(f"/findings/{other.id}/snapshots/{newest.id}/image").status_code == 404
    assert browser.get(f"/findings/{other.id}/snapshots/{bare.id}/image").status_code == 404
    assert browser.get("/findings/999999/official-image").status_code == 404
    page = browser.get(f"/findings/{other.id}")
    assert "No profile image was recorded." in page.text


def test_without_an_institution_the_page_still_shows(
    browser_as: Callable[[Person], Browser], superintendent: Person, record: Record
) -> None:
    _, finding = record(profile())
    assert finding is not None
    browser = browser_as(superintendent)
    page = browser.get(f"/findings/{finding.id}")
    assert page.status_code == 200
    assert "No official logo is on file." in page.text
    assert browser.get(f"/findings/{finding.id}/official-image").status_code == 404


# --- lifecycle actions ---


@pytest.mark.parametrize("role", [Role.superintendent, Role.designee])
def test_confirm_request_takedown_resolve(
    browser_as: Callable[[Person], Browser],
    make_person: Callable[..., Person],
    impostor: Finding,
    session: Session,
    role: Role,
) -> None:
    person = make_person(role)
    browser = browser_as(person)
    page = browser.get(f"/findings/{impostor.id}").text
    assert f'action="/findings/{impostor.id}/confirm"' in page
    assert f'action="/findings/{impostor.id}/dismiss"' in page
    assert f'action="/findings/{impostor.id}/resolve"' not in page  # not legal while open
    assert 'data-confirm="' in page and "evidence-pack" not in page

    done = act(browser, impostor, "confirm", session)
    assert done.status_code == 303 and done.headers["location"] == f"/findings/{impostor.id}"
    assert status_of(session, impostor.id or 0) is FindingStatus.confirmed_impersonation
    shown = browser.get(f"/findings/{impostor.id}").text
    assert "is now confirmed impersonation" in shown  # the flash
    assert f'action="/findings/{impostor.id}/request-takedown"' in shown

    assert act(browser, impostor, "request-takedown", session).status_code == 303
    assert status_of(session, impostor.id or 0) is FindingStatus.takedown_requested
    resolved = act(browser, impostor, "resolve", session, note="X removed it")
    assert resolved.status_code == 303
    finding = findings.get_finding(session, impostor.id or 0)
    assert (finding.status, finding.resolution, finding.note) == (
        FindingStatus.resolved,
        "taken_down",
        "X removed it",
    )
    assert audited(session, impostor.id or 0)[-3:] == [
        ("finding.confirm", person.email),
        ("finding.request_takedown", person.email),
        ("finding.resolve", person.email),
    ]
    final = browser.get(f"/findings/{impostor.id}").text
    assert "Nothing more to do" in final and "finding.resolve" in final


def test_dismiss_with_a_reason(
    browser_as: Callable[[Person], Browser],
    make_person: Callable[..., Person],
    impostor: Finding,
    session: Session,
) -> None:
    designee = make_person(Role.designee)
    browser = browser_as(designee)
    page = browser.get(f"/findings/{impostor.id}").text
    for reason in ("fan", "parody", "unrelated", "other_institution", "other"):
        assert f'<option value="{reason}">' in page
    without = act(browser, impostor, "dismiss", session)
    assert without.status_code == 422 and "Please check" in without.text
    bad = act(browser, impostor, "dismiss", session, reason="bored")
    assert bad.status_code == 422
    other = act(browser, impostor, "dismiss", session, reason="other")
    assert other.status_code == 422 and "needs a note" in other.text
    assert status_of(session, impostor.id or 0) is FindingStatus.open

    done = act(browser, impostor, "dismiss", session, reason="parody", note="satire account")
    assert done.status_code == 303
    finding = findings.get_finding(session, impostor.id or 0)
    assert (finding.status, finding.dismissed_reason, finding.note) == (
        FindingStatus.dismissed,
        DismissReason.parody,
        "satire account",
    )
    assert audited(session, impostor.id or 0)[-1] == ("finding.dismiss", designee.email)


def test_mark_unofficial_then_bring_into_register(
    browser_as: Callable[[Person], Browser],
    superintendent: Person,
    record: Record,
    session: Session,
) -> None:
    seen = profile(platform_id="3201", handle="rtc_nursing", display_name="RTC Nursing")
    _, page_found = record(seen, verdict="unofficial_presence", score=0.7)
    assert page_found is not None
    browser = browser_as(superintendent)
    assert act(browser, page_found, "mark-unofficial", session).status_code == 303
    page = browser.get(f"/findings/{page_found.id}").text
    assert 'name="purpose"' in page
    assert f'action="/findings/{page_found.id}/ask-to-close"' in page
    done = act(browser, page_found, "bring-into-register", session, purpose="Nursing news")
    assert done.status_code == 303
    finding = findings.get_finding(session, page_found.id or 0)
    assert (finding.status, finding.resolution) == (
        FindingStatus.resolved,
        "brought_into_register",
    )
    assert finding.account_id is not None
    assert f'href="/accounts/{finding.account_id}"' in browser.get(f"/findings/{finding.id}").text


def test_an_illegal_or_stale_action_is_a_409_page_and_changes_nothing(
    browser_as: Callable[[Person], Browser],
    superintendent: Person,
    impostor: Finding,
    session: Session,
) -> None:
    browser = browser_as(superintendent)
    early = act(browser, impostor, "request-takedown", session)
    assert early.status_code == 409
    assert "This changed in the meantime" in early.text and "Cannot request_takedown" in early.text
    stale = browser.post(f"/findings/{impostor.id}/confirm", data={"version": 0})
    assert stale.status_code == 422  # versions start at 1
    assert act(browser, impostor, "confirm", session).status_code == 303
    again = browser.post(f"/findings/{impostor.id}/dismiss", data={"version": 1, "reason": "fan"})
    assert again.status_code == 409 and "changed since you looked" in again.text
    assert status_of(session, impostor.id or 0) is FindingStatus.confirmed_impersonation
    assert browser.post(f"/findings/{impostor.id}/reopen", data={"version": 2}).status_code == 404
    missing_version = browser.post(f"/findings/{impostor.id}/resolve", data={})
    assert missing_version.status_code == 422
    assert status_of(session, impostor.id or 0) is FindingStatus.confirmed_impersonation


def test_the_auditor_reads_but_every_post_is_a_403(
    browser_as: Callable[[Person], Browser],
    make_person: Callable[..., Person],
    impostor: Finding,
    session: Session,
) -> None:
    browser = browser_as(make_person(Role.auditor))
    assert browser.get("/findings").status_code == 200
    assert (
        "the superintendent and designees triage them"
        in browser.get(f"/findings/{impostor.id}").text
    )
    for slug in SLUGS:
        refused = browser.post(
            f"/findings/{impostor.id}/{slug}", data={"version": 1, "reason": "fan"}
        )
        assert refused.status_code == 403, slug
        assert "Not allowed" in refused.text
    refused_scan = browser.post("/findings/scans", data={"platform": "simulated"})
    assert refused_scan.status_code == 403
    assert status_of(session, impostor.id or 0) is FindingStatus.open
    assert audited(session, impostor.id or 0)[-1][0] != "finding.confirm"


def test_a_post_without_the_csrf_token_is_refused(
    browser_as: Callable[[Person], Browser],
    superintendent: Person,
    impostor: Finding,
    session: Session,
) -> None:
    browser = browser_as(superintendent)
    forged = browser.client.post(
        f"/findings/{impostor.id}/confirm",
        data={"version": 1},
        headers={"accept": "text/html"},
        follow_redirects=False,
    )
    assert forged.status_code == 400
    forged_scan = browser.client.post(
        "/findings/scans", data={"platform": "simulated"}, headers={"accept": "text/html"}
    )
    assert forged_scan.status_code == 400
    assert status_of(session, impostor.id or 0) is FindingStatus.open
    assert scans.list_runs(session) == []


# --- the evidence pack ---


def test_the_evidence_pack_downloads_for_a_confirmed_finding(
    browser_as: Callable[[Person], Browser],
    superintendent: Person,
    impostor: Finding,
    session: Session,
) -> None:
    browser = browser_as(superintendent)
    act(browser, impostor, "confirm", session)
    page = browser.get(f"/findings/{impostor.id}").text
    link = f"/api/v1/findings/{impostor.id}/evidence-pack"
    assert f'href="{link}"' in page
    pack = browser.get(link)
    assert pack.status_code == 200
    assert pack.headers["content-disposition"].startswith("attachment;")
    assert "@Riverbend_Tech" in pack.text and "data:image/png;base64," in pack.text


# --- scan runs ---


def test_scan_runs_are_listed_newest_first_and_a_scan_can_be_started(
    browser_as: Callable[[Person], Browser],
    make_person: Callable[..., Person],
    demo_institution: None,
    session: Session,
) -> None:
    older = scans.start_scan(session, "simulated", None, "system:scheduler")
    older.status, older.errors = ScanStatus.failed, ["the token was revoked"]
    older.counts = {**older.counts, "candidates": 12, "new": 3}
    session.add(older)
    session.commit()
    designee = make_person(Role.designee)
    browser = browser_as(designee)
    page = browser.get("/findings/scans")
    assert page.status_code == 200
    assert '<option value="simulated">' in page.text
    assert "the token was revoked" in page.text and "candidates: 12" in page.text
    assert "badge-failed" in page.text

    started = browser.post("/findings/scans", data={"platform": "simulated"})
    assert started.status_code == 303 and started.headers["location"] == "/findings/scans"
    newest, oldest = scans.list_runs(session)
    assert oldest.id == older.id
    assert (newest.platform, newest.status, newest.requested_by) == (
        "simulated",
        ScanStatus.queued,
        designee.email,
    )
    listed = browser.get("/findings/scans").text
    assert f"Scan {newest.id} of simulated is queued" in listed  # the flash
    body = listed.split("<tbody>")[1]
    assert body.index(designee.email) < body.index("system:scheduler")  # newest first

    unknown = browser.post("/findings/scans", data={"platform": "myspace"})
    assert unknown.status_code == 422 and "myspace" in unknown.text
    assert browser.post("/findings/scans", data={"platform": ""}).status_code == 422
    assert len(session.exec(select(ScanRun)).all()) == 2


def test_the_auditor_sees_runs_but_no_start_form(
    browser_as: Callable[[Person], Browser],
    make_person: Callable[..., Person],
    demo_institution: None,
) -> None:
    page = browser_as(make_person(Role.auditor)).get("/findings/scans")
    assert page.status_code == 200
    assert "No scan has run yet." in page.text and 'action="/findings/scans"' not in page.text


# --- access and odd input ---


@pytest.mark.parametrize("role", [Role.staff, Role.site_admin])
def test_roles_without_access_get_a_403_page(
    browser_as: Callable[[Person], Browser],
    make_person: Callable[..., Person],
    impostor: Finding,
    role: Role,
) -> None:
    browser = browser_as(make_person(role))
    for path in ("/findings", "/findings/scans", f"/findings/{impostor.id}"):
        page = browser.get(path)
        assert page.status_code == 403 and "Not allowed" in page.text
    assert browser.post(f"/findings/{impostor.id}/confirm", data={"version": 1}).status_code == 403


def test_ids_beyond_64_bits_are_a_4xx_page(
    browser_as: Callable[[Person], Browser], superintendent: Person
) -> None:
    huge = str(2**70)
    browser = browser_as(superintendent)
    for path in (
        f"/findings/{huge}",
        f"/findings/{huge}/official-image",
        f"/findings/{huge}/snapshots/{huge}/image",
        f"/findings/1/snapshots/{huge}/image",
    ):
        assert 400 <= browser.get(path).status_code < 500, path
    posted = browser.post(f"/findings/{huge}/confirm", data={"version": 1})
    assert 400 <= posted.status_code < 500
    assert (
        400 <= browser.post(f"/findings/{huge}/confirm", data={"version": huge}).status_code < 500
    )
