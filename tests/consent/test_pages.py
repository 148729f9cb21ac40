"""The consent registry's web pages: what each role sees, and what each form changes."""

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from service import clock
from service.consent import evidence, service
from service.consent.models import Consent, ConsentScope, Student
from service.posts.models import Post, PostStatus
from service.users.models import Role, User
from tests.conftest import Browser, Person
from tests.consent.factories import PDF, add_consent, add_guardian, add_student

SignIn = Callable[[Person], Browser]


@pytest.fixture(autouse=True)
def autumn() -> None:
    """Consents granted on 2026-09-01 (the factories' default) are valid on this day."""
    clock.freeze(datetime(2026, 10, 1, 12, tzinfo=UTC))


def students_of(session: Session, user: User) -> list[Student]:
    return service.list_students(session, user, include_inactive=True)


def consents_of(session: Session, user: User, student: Student) -> list[Consent]:
    assert student.id is not None
    return service.list_consents(session, user, student_id=student.id)


# --- the roster ---------------------------------------------------------------------------


def test_the_roster_shows_each_role_what_it_may_see(
    browser_as: SignIn,
    session: Session,
    superintendent: Person,
    staff: Person,
    site_admin: Callable[[str], Person],
) -> None:
    add_student(session, superintendent.user, "Ana Ruiz", "North", student_number="S-1001")
    add_student(session, superintendent.user, "Ben Okafor", "South", student_number="S-2002")
    session.commit()

    page = browser_as(superintendent).get("/consents")
    assert page.status_code == 200
    assert "Ana Ruiz" in page.text and "Ben Okafor" in page.text
    assert "S-1001" in page.text and "S-2002" in page.text
    assert 'href="/consents/students/new"' in page.text and 'href="/consents/import"' in page.text

    north = browser_as(site_admin("North")).get("/consents")
    assert "Ana Ruiz" in north.text and "Ben Okafor" not in north.text
    assert browser_as(site_admin("North")).get("/consents", site="South").text.count("<tr>") == 0

    seen_by_staff = browser_as(staff).get("/consents")
    assert seen_by_staff.status_code == 200
    assert "Ana Ruiz" in seen_by_staff.text and "Ben Okafor" in seen_by_staff.text
    assert "S-1001" not in seen_by_staff.text  # student numbers are confidential
    assert 'href="/consents/students/new"' not in seen_by_staff.text
    assert 'href="/consents" aria-current="page"' in seen_by_staff.text


def test_the_roster_is_searched_by_name_number_and_site(
    browser_as: SignIn, session: Session, superintendent: Person, staff: Person
) -> None:
    add_student(session, superintendent.user, "Ana Ruiz", "North", student_number="S-1001")
    add_student(session, superintendent.user, "Ben Okafor", "South", student_number="S-2002")
    session.commit()
    boss = browser_as(superintendent)
    by_name = boss.get("/consents", q="okaf").text
    assert "Ben Okafor" in by_name and "Ana Ruiz" not in by_name
    by_number = boss.get("/consents", q="S-1001").text
    assert "Ana Ruiz" in by_number and "Ben Okafor" not in by_number
    by_site = boss.get("/consents", site="South").text
    assert "Ben Okafor" in by_site and "Ana Ruiz" not in by_site
    wildcard = boss.get("/consents", q="%").text
    assert "Ana Ruiz" not in wildcard and "Ben Okafor" not in wildcard

    # Staff are not shown numbers, so they cannot find students by them either.
    assert "Ana Ruiz" not in browser_as(staff).get("/consents", q="S-1001").text


# --- students -----------------------------------------------------------------------------


def test_a_manager_adds_a_student(
    browser_as: SignIn, session: Session, superintendent: Person
) -> None:
    browser = browser_as(superintendent)
    form = browser.get("/consents/students/new")
    assert form.status_code == 200 and 'name="csrf_token"' in form.text
    added = browser.post(
        "/consents/students",
        {"full_name": "Ana Ruiz", "site": "North", "student_number": "S-1001"},
    )
    assert added.status_code == 303, added.text
    (student,) = students_of(session, superintendent.user)
    assert (student.full_name, student.site, student.student_number) == (
        "Ana Ruiz",
        "North",
        "S-1001",
    )
    assert added.headers["location"] == f"/consents/students/{student.id}"
    page = browser.get(added.headers["location"])
    assert "Student Ana Ruiz added." in page.text and "S-1001" in page.text


@pytest.mark.parametrize(
    "form",
    [
        {"full_name": "", "site": "North"},
        {"full_name": '=HYPERLINK("x")', "site": "North"},
        {"site": "North"},
        {"full_name": "Ana Ruiz"},  # no site, and the superintendent is not confined to one
    ],
    ids=["empty-name", "formula", "missing-name", "missing-site"],
)
def test_a_student_form_with_bad_input_is_a_422_page_and_adds_nothing(
    browser_as: SignIn, session: Session, superintendent: Person, form: dict[str, object]
) -> None:
    refused = browser_as(superintendent).post("/consents/students", form)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in refused.text
    assert students_of(session, superintendent.user) == []


def test_a_site_administrator_adds_students_to_their_own_site_only(
    browser_as: SignIn, session: Session, site_admin: Callable[[str], Person]
) -> None:
    north = site_admin("North")
    browser = browser_as(north)
    assert "your site, North" in browser.get("/consents/students/new").text
    assert browser.post("/consents/students", {"full_name": "Ana Ruiz"}).status_code == 303
    refused = browser.post("/consents/students", {"full_name": "Ben Okafor", "site": "South"})
    assert refused.status_code == 403 and "North only" in refused.text
    assert [s.site for s in students_of(session, north.user)] == ["North"]


# --- a student's page: guardians and consents ----------------------------------------------


def test_a_manager_adds_a_guardian(
    browser_as: SignIn, session: Session, superintendent: Person
) -> None:
    student = add_student(session, superintendent.user)
    session.commit()
    browser = browser_as(superintendent)
    path = f"/consents/students/{student.id}"
    added = browser.post(
        f"{path}/guardians",
        {"name": "Rosa Ruiz", "email": "Rosa@Example.org", "relationship": "mother"},
    )
    assert added.status_code == 303 and added.headers["location"] == path
    page = browser.get(path).text
    assert "Guardian Rosa Ruiz added." in page
    assert "Rosa Ruiz" in page and "rosa@example.org" in page and "mother" in page

    bad = browser.post(f"{path}/guardians", {"name": "Tom Ruiz", "email": "not-an-email"})
    assert bad.status_code == 422
    assert student.id is not None
    assert [g.name for g in service.list_guardians(session, student.id, superintendent.user)] == [
        "Rosa Ruiz"
    ]


def consent_form(guardian_id: int | None, **fields: object) -> dict[str, object]:
    return {"guardian_id": guardian_id, "scope": "both", "granted_on": "2026-09-01", **fields}


def test_a_consent_is_recorded_with_its_signed_form(
    browser_as: SignIn, session: Session, superintendent: Person
) -> None:
    student = add_student(session, superintendent.user)
    guardian = add_guardian(session, superintendent.user, student)
    session.commit()
    browser = browser_as(superintendent)
    path = f"/consents/students/{student.id}"
    recorded = browser.post(
        f"{path}/consents",
        consent_form(guardian.id, expires_on="2027-08-31"),
        files={"file": ("signed.pdf", PDF, "application/pdf")},
    )
    assert recorded.status_code == 303, recorded.text
    (consent,) = consents_of(session, superintendent.user, student)
    assert consent.scope is ConsentScope.both and consent.evidence_sha256 is not None
    assert str(consent.expires_on) == "2027-08-31"

    page = browser.get(path).text
    assert f"Consent {consent.id} recorded" in page
    assert "badge-valid" in page and "2027-08-31" in page
    link = f"/api/v1/consents/{consent.id}/evidence"
    assert f'href="{link}"' in page
    download = browser.get(link)  # the API route accepts the browser's session
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"


@pytest.mark.parametrize(
    ("content", "status", "message"),
    [
        (b"just some text, not a signed form", 422, "must be a PDF, JPEG or PNG"),
        (b"%PDF-1.7\n" + b"0" * evidence.MAX_EVIDENCE_BYTES, 413, "larger than 10 MB"),
        (b"", 422, "empty"),
    ],
    ids=["not-a-pdf", "oversized", "empty"],
)
def test_a_refused_signed_form_records_no_consent(
    browser_as: SignIn,
    session: Session,
    superintendent: Person,
    content: bytes,
    status: int,
    message: str,
) -> None:
    student = add_student(session, superintendent.user)
    guardian = add_guardian(session, superintendent.user, student)
    session.commit()
    refused = browser_as(superintendent).post(
        f"/consents/students/{student.id}/consents",
        consent_form(guardian.id),
        files={"file": ("signed.pdf", content, "application/pdf")},
    )
    assert refused.status_code == status, refused.text[:500]
    assert message in refused.text
    assert consents_of(session, superintendent.user, student) == []


def test_a_consent_form_with_bad_dates_or_guardian_is_a_422(
    browser_as: SignIn, session: Session, superintendent: Person
) -> None:
    student = add_student(session, superintendent.user)
    other = add_student(session, superintendent.user, "Ben Okafor")
    guardian = add_guardian(session, superintendent.user, student)
    strangers_guardian = add_guardian(session, superintendent.user, other, "Ada Okafor")
    session.commit()
    browser = browser_as(superintendent)
    path = f"/consents/students/{student.id}/consents"
    pdf = {"file": ("signed.pdf", PDF, "application/pdf")}
    for form in (
        consent_form(guardian.id, expires_on="2026-01-01"),  # before it was granted
        consent_form(guardian.id, granted_on="yesterday"),
        consent_form(guardian.id, scope="everything"),
        consent_form(strangers_guardian.id),
    ):
        assert browser.post(path, form, files=pdf).status_code == 422, form
    assert consents_of(session, superintendent.user, student) == []


def test_a_signed_form_is_uploaded_later_for_a_pending_consent(
    browser_as: SignIn, session: Session, superintendent: Person
) -> None:
    student = add_student(session, superintendent.user)
    pending = add_consent(session, superintendent.user, student, evidence=None)
    session.commit()
    browser = browser_as(superintendent)
    page = browser.get(f"/consents/students/{student.id}").text
    assert "badge-pending_evidence" in page and f'action="/consents/{pending.id}/evidence"' in page
    uploaded = browser.post(
        f"/consents/{pending.id}/evidence", files={"file": ("f.pdf", PDF, "application/pdf")}
    )
    assert uploaded.status_code == 303
    assert uploaded.headers["location"] == f"/consents/students/{student.id}"
    assert pending.evidence_sha256 is not None
    again = browser.post(
        f"/consents/{pending.id}/evidence", files={"file": ("f.pdf", PDF, "application/pdf")}
    )
    assert again.status_code == 409 and "already has its signed form" in again.text


def test_staff_see_whether_consent_is_on_file_but_no_confidential_details(
    browser_as: SignIn, session: Session, superintendent: Person, staff: Person
) -> None:
    student = add_student(session, superintendent.user, student_number="S-1001")
    consent = add_consent(session, superintendent.user, student)
    session.commit()
    page = browser_as(staff).get(f"/consents/students/{student.id}")
    assert page.status_code == 200
    assert "Ana Ruiz" in page.text and "Rosa Ruiz" in page.text and "badge-valid" in page.text
    for secret in ("S-1001", "rosa@example.org", f"/api/v1/consents/{consent.id}/evidence"):
        assert secret not in page.text
    assert '<form method="post" action="/consents' not in page.text
    assert browser_as(staff).get(f"/api/v1/consents/{consent.id}/evidence").status_code == 403


def test_another_sites_student_is_not_found_for_a_site_administrator(
    browser_as: SignIn,
    session: Session,
    superintendent: Person,
    site_admin: Callable[[str], Person],
) -> None:
    south = add_student(session, superintendent.user, "Ben Okafor", "South")
    consent = add_consent(session, superintendent.user, south)
    session.commit()
    browser = browser_as(site_admin("North"))
    assert browser.get(f"/consents/students/{south.id}").status_code == 404
    refused = browser.post(f"/consents/{consent.id}/revoke", {"reason": "not mine"})
    assert refused.status_code == 404
    assert consent.revoked_at is None


# --- revocation ---------------------------------------------------------------------------


def published_post_relying_on_consent(
    app: TestClient, session: Session, make_person: Callable[..., Person], boss: Person
) -> tuple[int, int]:
    """A published post naming Jane Doe, approved while her consent was on file: (post, consent)."""
    author, designee = make_person(Role.staff), make_person(Role.designee)
    account = app.post(
        "/api/v1/accounts", json={"url": "https://x.com/RiverbendTech"}, headers=author.headers
    ).json()
    app.post(f"/api/v1/accounts/{account['id']}/authorize", headers=boss.headers)
    student = add_student(session, boss.user, "Jane Doe", "North")
    consent = add_consent(session, boss.user, student, ConsentScope.name)
    session.commit()
    post = app.post(
        "/api/v1/posts",
        json={"account_ids": [account["id"]], "text": "Well done, Jane Doe!"},
        headers=author.headers,
    ).json()
    app.post(f"/api/v1/posts/{post['id']}/submit", headers=author.headers)
    approved = app.post(f"/api/v1/posts/{post['id']}/approve", headers=designee.headers)
    assert approved.status_code == 200, approved.text
    row = session.get(Post, post["id"])
    assert row is not None
    row.status = PostStatus.published  # as the publishing job would have done
    session.add(row)
    session.commit()
    assert consent.id is not None
    return post["id"], consent.id


def test_revoking_a_consent_shows_the_posts_flagged_for_removal(
    app: TestClient,
    browser_as: SignIn,
    session: Session,
    make_person: Callable[..., Person],
    superintendent: Person,
) -> None:
    post_id, consent_id = published_post_relying_on_consent(
        app, session, make_person, superintendent
    )
    browser = browser_as(superintendent)
    consent = session.get(Consent, consent_id)
    assert consent is not None
    student_page = browser.get(f"/consents/students/{consent.student_id}").text
    assert f'action="/consents/{consent_id}/revoke"' in student_page
    assert "data-confirm=" in student_page

    revoked = browser.post(f"/consents/{consent_id}/revoke", {"reason": "Parent withdrew."})
    assert revoked.status_code == 200, revoked.text
    assert f"Consent #{consent_id} revoked" in revoked.text
    assert f'href="/posts/{post_id}"' in revoked.text and "flagged for removal" in revoked.text
    post = session.get(Post, post_id)
    assert post is not None and post.removal_required
    assert consent.revoked_at is not None and consent.revocation_reason == "Parent withdrew."

    again = browser.post(f"/consents/{consent_id}/revoke", {"reason": "again"})
    assert again.status_code == 409 and "already revoked" in again.text


def test_revoking_needs_a_reason_and_may_flag_nothing(
    browser_as: SignIn, session: Session, superintendent: Person
) -> None:
    student = add_student(session, superintendent.user)
    consent = add_consent(session, superintendent.user, student)
    session.commit()
    browser = browser_as(superintendent)
    assert browser.post(f"/consents/{consent.id}/revoke", {"reason": "   "}).status_code == 422
    assert browser.post(f"/consents/{consent.id}/revoke").status_code == 422
    assert consent.revoked_at is None
    revoked = browser.post(f"/consents/{consent.id}/revoke", {"reason": "Moved away."})
    assert revoked.status_code == 200
    assert "No published post relied on this consent" in revoked.text
    assert consent.revoked_at is not None
    page = browser.get(f"/consents/students/{student.id}").text
    assert "badge-revoked" in page and "Moved away." in page
    assert f'action="/consents/{consent.id}/revoke"' not in page


# --- the roster import --------------------------------------------------------------------

ROSTER = (
    "full_name,site,student_number,guardian_name,guardian_email\n"
    "Ana Ruiz,North,S-1001,Rosa Ruiz,rosa@example.org\n"
    "=cmd|' /C calc'!A0,North,S-1002,,\n"
    "Ben Okafor,South,S-2002,,\n"
)


def test_a_roster_import_reports_every_row(
    browser_as: SignIn, session: Session, superintendent: Person
) -> None:
    browser = browser_as(superintendent)
    assert 'enctype="multipart/form-data"' in browser.get("/consents/import").text
    report = browser.post(
        "/consents/import", files={"file": ("roster.csv", ROSTER.encode(), "text/csv")}
    )
    assert report.status_code == 200, report.text
    text = report.text
    assert "2 of 3 rows applied; 1 rejected" in text
    rows = text.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    assert [row.split("<td>")[1].split("</td>")[0] for row in rows] == ["2", "3", "4"]
    assert "badge-created" in rows[0] and "badge-rejected" in rows[1] and "badge-created" in rows[2]
    assert "spreadsheet would run as a formula" in rows[1]
    names = sorted(s.full_name for s in students_of(session, superintendent.user))
    assert names == ["Ana Ruiz", "Ben Okafor"]
    ana = next(s for s in students_of(session, superintendent.user) if s.full_name == "Ana Ruiz")
    assert f'href="/consents/students/{ana.id}"' in rows[0]

    again = browser.post(
        "/consents/import", files={"file": ("roster.csv", ROSTER.encode(), "text/csv")}
    )
    assert "badge-unchanged" in again.text
    assert len(students_of(session, superintendent.user)) == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name,site\nAna Ruiz,North\n", "Unknown columns"),
        (b"full_name,site\n\xff\xfeAna,North\n", "not UTF-8"),
        (b"", "empty"),
    ],
    ids=["unknown-column", "not-utf8", "empty"],
)
def test_an_unreadable_roster_is_refused_whole(
    browser_as: SignIn, session: Session, superintendent: Person, content: bytes, message: str
) -> None:
    refused = browser_as(superintendent).post(
        "/consents/import", files={"file": ("roster.csv", content, "text/csv")}
    )
    assert refused.status_code == 422
    assert message in refused.text and 'role="alert"' in refused.text
    assert students_of(session, superintendent.user) == []


# --- who may change what ------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.staff, Role.auditor, Role.designee])
def test_readers_cannot_change_the_registry(
    browser_as: SignIn,
    session: Session,
    make_person: Callable[..., Person],
    superintendent: Person,
    role: Role,
) -> None:
    student = add_student(session, superintendent.user)
    consent = add_consent(session, superintendent.user, student, evidence=None)
    session.commit()
    browser = browser_as(make_person(role))
    pdf = {"file": ("signed.pdf", PDF, "application/pdf")}
    csv = {"file": ("roster.csv", ROSTER.encode(), "text/csv")}
    attempts = [
        browser.post("/consents/students", {"full_name": "Ben Okafor", "site": "North"}),
        browser.post(f"/consents/students/{student.id}/guardians", {"name": "Tom Ruiz"}),
        browser.post(
            f"/consents/students/{student.id}/consents",
            consent_form(consent.guardian_id),
            files=pdf,
        ),
        browser.post(f"/consents/{consent.id}/evidence", files=pdf),
        browser.post(f"/consents/{consent.id}/revoke", {"reason": "no"}),
        browser.post("/consents/import", files=csv),
        browser.get("/consents/students/new"),
        browser.get("/consents/import"),
    ]
    assert [a.status_code for a in attempts] == [403] * len(attempts)
    assert "Not allowed" in attempts[0].text
    assert [s.full_name for s in students_of(session, superintendent.user)] == ["Ana Ruiz"]
    assert len(consents_of(session, superintendent.user, student)) == 1
    assert consent.revoked_at is None and consent.evidence_sha256 is None
    assert student.id is not None
    assert len(service.list_guardians(session, student.id, superintendent.user)) == 1


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    browser_as: SignIn, session: Session, superintendent: Person
) -> None:
    student = add_student(session, superintendent.user)
    consent = add_consent(session, superintendent.user, student)
    session.commit()
    client = browser_as(superintendent).client
    html = {"accept": "text/html"}
    forged = [
        client.post("/consents/students", data={"full_name": "Ben", "site": "N"}, headers=html),
        client.post(f"/consents/{consent.id}/revoke", data={"reason": "x"}, headers=html),
        client.post(
            "/consents/import",
            data={"csrf_token": "not-the-token"},
            files={"file": ("roster.csv", ROSTER.encode(), "text/csv")},
            headers=html,
        ),
    ]
    assert [f.status_code for f in forged] == [400, 400, 400]
    assert "did not come from this site" in forged[0].text
    assert [s.full_name for s in students_of(session, superintendent.user)] == ["Ana Ruiz"]
    assert consent.revoked_at is None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/consents/students/{id}"),
        ("POST", "/consents/students/{id}/guardians"),
        ("POST", "/consents/students/{id}/consents"),
        ("POST", "/consents/{id}/evidence"),
        ("POST", "/consents/{id}/revoke"),
    ],
)
def test_ids_beyond_64_bits_are_a_4xx_page(
    browser_as: SignIn, superintendent: Person, method: str, path: str
) -> None:
    browser = browser_as(superintendent)
    target = path.format(id=2**70)
    if method == "GET":
        response = browser.get(target)
    else:
        form = {"name": "Tom", "reason": "x", **consent_form(1)}
        response = browser.post(target, form, files={"file": ("f.pdf", PDF, "application/pdf")})
    assert 400 <= response.status_code < 500, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
