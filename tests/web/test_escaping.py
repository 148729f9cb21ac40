"""HTML in what people type is shown as text: a name, a post, a student or a public report
that carries markup reaches the pages escaped, never as markup (Jinja's autoescaping, with
no `|safe` anywhere). The strict CSP would block an inline script anyway; this is the layer
before it, and it also covers markup a CSP does not stop (a form, a link, a fake button)."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from service.findings.models import Finding
from service.users import service as users
from service.users.models import Role
from tests.conftest import Browser, Person
from tests.consent.factories import add_student

PAYLOAD = '<script>alert(1)</script><a href="https://evil.example">Sign in</a>'
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;a href=&#34;https://evil.example&#34;&gt;"

# Escaping is the templates' doing, not the database's: SQLite is enough.
pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


def assert_shown_as_text(page: str) -> None:
    assert ESCAPED in page
    assert "<script>" not in page and 'href="https://evil.example"' not in page


def test_markup_typed_by_people_is_shown_as_text_on_every_page(
    app: TestClient,
    session: Session,
    browser_as: Callable[[Person], Browser],
    superintendent: Person,
    staff: Person,
) -> None:
    users.add_user(session, actor="test", email="odd@school.example", role=Role.staff, name=PAYLOAD)
    student = add_student(session, superintendent.user, name=PAYLOAD)
    session.commit()
    account = app.post(
        "/api/v1/accounts", json={"url": "https://x.com/RiverbendTech"}, headers=staff.headers
    ).json()
    post = app.post(
        "/api/v1/posts",
        json={"account_ids": [account["id"]], "text": PAYLOAD},
        headers=staff.headers,
    )
    assert post.status_code == 201, post.text
    reported = app.post(
        "/api/v1/public/reports",
        data={"url": "https://x.com/Riverbend_Techs", "description": PAYLOAD},
    )
    assert reported.status_code == 200, reported.text
    finding = session.exec(select(Finding)).one()

    browser = browser_as(superintendent)
    for path in ("/users", f"/consents/students/{student.id}", f"/findings/{finding.id}"):
        page = browser.get(path)
        assert page.status_code == 200, path
        assert_shown_as_text(page.text)
    assert_shown_as_text(browser_as(staff).get(f"/posts/{post.json()['id']}").text)
