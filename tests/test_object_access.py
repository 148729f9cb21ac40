"""Object-level authorization, through the API and the pages, on SQLite and PostgreSQL.

`test_route_access.py` proves each route admits the roles it declares; this module proves
that, once admitted, a caller reaches only their own objects: a steward posts only to the
accounts they steward, another author's draft does not exist for you, the auditor changes
nothing, a deactivated person is signed out at once, and a site administrator works only
with the students of their site.
"""

import io
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from httpx2 import Response
from PIL import Image
from sqlmodel import Session, select

from service.app import create_app
from service.auth.deps import PUBLIC_ACCESS
from service.consent.models import Student
from service.users.models import Role
from service.web.navigation import declared_access
from tests.conftest import Browser, Person

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def official(app: TestClient, boss: Person, handle: str, steward: Person) -> int:
    """An authorized account whose only steward is `steward` (who requested it)."""
    made = app.post(
        "/api/v1/accounts", json={"platform": "x", "handle": handle}, headers=steward.headers
    )
    assert made.status_code == 201, made.text
    account_id: int = made.json()["id"]
    authorized = app.post(f"/api/v1/accounts/{account_id}/authorize", headers=boss.headers)
    assert authorized.status_code == 200, authorized.text
    return account_id


def draft(app: TestClient, author: Person, account_id: int, text: str) -> dict[str, Any]:
    response = app.post(
        "/api/v1/posts", json={"account_ids": [account_id], "text": text}, headers=author.headers
    )
    assert response.status_code == 201, response.text
    post: dict[str, Any] = response.json()
    return post


def attach(app: TestClient, person: Person, post_id: int, **form: str) -> Response:
    return app.post(
        f"/api/v1/posts/{post_id}/media",
        files={"file": ("photo.png", png(), "image/png")},
        data={"depicts": "none", **form},
        headers=person.headers,
    )


def error_code(response: Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


# --- (a) a steward posts only to the accounts they steward ------------------------------------


def test_a_steward_cannot_post_to_an_account_they_do_not_steward(
    app: TestClient, superintendent: Person, make_person: Callable[..., Person]
) -> None:
    alice, bob = make_person(Role.staff), make_person(Role.staff)
    mine = official(app, superintendent, "AliceDesk", alice)
    theirs = official(app, superintendent, "BobDesk", bob)

    for targets in ([theirs], [mine, theirs]):
        refused = app.post(
            "/api/v1/posts", json={"account_ids": targets, "text": "Hi"}, headers=alice.headers
        )
        assert refused.status_code == 403, refused.text
        assert error_code(refused) == "forbidden"
        assert str(theirs) in refused.json()["error"]["message"]
    assert app.get("/api/v1/posts", headers=alice.headers).json() == []

    post = draft(app, alice, mine, "Open house on Saturday.")
    for targets in ([theirs], [mine, theirs]):
        edited = app.patch(
            f"/api/v1/posts/{post['id']}", json={"account_ids": targets}, headers=alice.headers
        )
        assert edited.status_code == 403, edited.text
        assert error_code(edited) == "forbidden"
    kept = app.get(f"/api/v1/posts/{post['id']}", headers=alice.headers).json()
    assert (kept["account_ids"], kept["revision"]) == ([mine], 1)
    # what she does steward still works, and the rule agrees
    submitted = app.post(f"/api/v1/posts/{post['id']}/submit", headers=alice.headers)
    assert submitted.status_code == 200, submitted.text


def test_a_steward_cannot_touch_posts_that_target_another_account(
    app: TestClient, superintendent: Person, make_person: Callable[..., Person]
) -> None:
    """Bob's post to Bob's account: Alice (staff) and a designee who stewards another account
    can neither edit, attach media to, submit nor withdraw it."""
    alice, bob = make_person(Role.staff), make_person(Role.staff)
    designee = make_person(Role.designee)
    official(app, superintendent, "AliceDesk", alice)
    official(app, superintendent, "DesigneeDesk", designee)
    theirs = official(app, superintendent, "BobDesk", bob)
    drafted = draft(app, bob, theirs, "Bob's draft.")
    in_review = draft(app, bob, theirs, "Bob's post in review.")
    assert app.post(f"/api/v1/posts/{in_review['id']}/submit", headers=bob.headers).is_success

    def attempts(person: Person, post_id: int) -> list[Response]:
        return [
            app.patch(f"/api/v1/posts/{post_id}", json={"text": "mine"}, headers=person.headers),
            attach(app, person, post_id),
            app.post(f"/api/v1/posts/{post_id}/submit", headers=person.headers),
            app.post(f"/api/v1/posts/{post_id}/withdraw", headers=person.headers),
        ]

    # Staff see only their own posts: Bob's do not exist for Alice.
    for post_id in (drafted["id"], in_review["id"]):
        assert [r.status_code for r in attempts(alice, post_id)] == [404] * 4
    # A designee sees the post under review (to review it) but is not its author.
    refused = attempts(designee, in_review["id"])
    assert [r.status_code for r in refused] == [403] * 4, [r.text for r in refused]
    assert {error_code(r) for r in refused} == {"forbidden"}

    after = app.get(f"/api/v1/posts/{in_review['id']}", headers=bob.headers).json()
    assert (after["text"], after["media"], after["status"]) == (
        "Bob's post in review.",
        [],
        "submitted",
    )


def test_the_pages_refuse_accounts_the_author_does_not_steward(
    app: TestClient,
    superintendent: Person,
    make_person: Callable[..., Person],
    browser_as: Callable[[Person], Browser],
) -> None:
    alice, bob = make_person(Role.staff), make_person(Role.staff)
    mine = official(app, superintendent, "AliceDesk", alice)
    theirs = official(app, superintendent, "BobDesk", bob)
    browser = browser_as(alice)

    composer = browser.get("/posts/new")
    assert composer.status_code == 200
    assert "AliceDesk" in composer.text and "BobDesk" not in composer.text
    created = browser.post("/posts", {"text": "Hi", "account_ids": [theirs]})
    assert created.status_code == 403, created.text
    assert "not a steward" in created.text
    assert app.get("/api/v1/posts", headers=alice.headers).json() == []

    post = draft(app, alice, mine, "Open house on Saturday.")
    edited = browser.post(
        f"/posts/{post['id']}/edit", {"text": "Moved", "account_ids": [mine, theirs]}
    )
    assert edited.status_code == 403, edited.text
    kept = app.get(f"/api/v1/posts/{post['id']}", headers=alice.headers).json()
    assert (kept["account_ids"], kept["text"]) == ([mine], "Open house on Saturday.")


# --- (b) another author's drafts do not exist for you ----------------------------------------


def test_another_authors_draft_is_not_found_anywhere(
    app: TestClient,
    superintendent: Person,
    make_person: Callable[..., Person],
    browser_as: Callable[[Person], Browser],
) -> None:
    author, other = make_person(Role.staff), make_person(Role.staff)
    account = official(app, superintendent, "AuthorDesk", author)
    post = draft(app, author, account, "First words.")
    pid = post["id"]
    changed = app.patch(f"/api/v1/posts/{pid}", json={"text": "Second."}, headers=author.headers)
    assert changed.status_code == 200, changed.text
    media = attach(app, author, pid)
    assert media.status_code == 200, media.text
    media_id = media.json()["media"][0]["id"]
    reads = [
        f"/api/v1/posts/{pid}",
        f"/api/v1/posts/{pid}/revisions",
        f"/api/v1/posts/{pid}/diff?from=1&to=1",
        f"/api/v1/posts/{pid}/media/{media_id}",
    ]
    for path in reads:  # the author reads all of it
        assert app.get(path, headers=author.headers).status_code == 200, path
    missing = {"error": {"code": "not_found", "message": f"No post with id {pid}."}}

    # Nobody else does while it is a draft — not another staff member, not a reviewer.
    outsiders = [other] + [make_person(r) for r in (Role.designee, Role.site_admin)]
    for person in [*outsiders, superintendent]:
        assert app.get("/api/v1/posts", headers=person.headers).json() == [], person.user.role
        for path in reads:
            response = app.get(path, headers=person.headers)
            assert (response.status_code, response.json()) == (404, missing), (person, path)
    for person in (other, outsiders[1]):  # pages: the same 404, no title, no text
        browser = browser_as(person)
        for path in (f"/posts/{pid}", f"/review/{pid}"):
            page = browser.get(path)
            if person is other and path.startswith("/review"):
                assert page.status_code == 403  # staff do not review at all
                continue
            assert page.status_code == 404, (person, path)
            assert "First words" not in page.text and "Second." not in page.text
        assert "Second." not in browser.get("/posts").text
    app.cookies.clear()

    # Submitted: reviewers now see it; another staff member still does not.
    assert app.post(f"/api/v1/posts/{pid}/submit", headers=author.headers).is_success
    assert app.get(f"/api/v1/posts/{pid}", headers=outsiders[1].headers).status_code == 200
    for path in reads:
        assert app.get(path, headers=other.headers).status_code == 404, path
    # Withdrawn: private again.
    assert app.post(f"/api/v1/posts/{pid}/withdraw", headers=author.headers).is_success
    for person in outsiders:
        assert app.get(f"/api/v1/posts/{pid}", headers=person.headers).status_code == 404


# --- (c) the auditor reads everything and changes nothing ------------------------------------


def test_no_state_changing_route_admits_the_auditor() -> None:
    """Public routes (sign-in and -out, the public report form) are open to anyone; every
    other route that changes state must leave the auditor out of its declaration."""
    admitted = []
    for route in iter_route_contexts(create_app().routes):
        if not isinstance(route.original_route, APIRoute):
            continue
        (allowed,) = declared_access(route.dependant)
        changing = set(route.methods or ()) & STATE_CHANGING
        if changing and allowed != PUBLIC_ACCESS and Role.auditor in allowed:
            admitted.append(f"{sorted(changing)} {route.path}")
    assert admitted == []


def test_the_auditor_reads_everything_and_changes_nothing(
    app: TestClient,
    superintendent: Person,
    make_person: Callable[..., Person],
    browser_as: Callable[[Person], Browser],
) -> None:
    author, auditor = make_person(Role.staff), make_person(Role.auditor)
    account = official(app, superintendent, "AuthorDesk", author)
    post = draft(app, author, account, "A draft only the author and the auditor read.")
    pid = post["id"]
    student = app.post(
        "/api/v1/students",
        json={"full_name": "Ana Ruiz", "site": "North"},
        headers=superintendent.headers,
    )
    assert student.status_code == 201, student.text

    for path in (
        "/api/v1/posts",
        f"/api/v1/posts/{pid}",
        f"/api/v1/posts/{pid}/revisions",
        f"/api/v1/posts/{pid}/diff?from=1&to=1",
        "/api/v1/accounts",
        f"/api/v1/accounts/{account}",
        "/api/v1/students",
        f"/api/v1/students/{student.json()['id']}",
        "/api/v1/consents",
        "/api/v1/findings",
        "/api/v1/audit",
        "/api/v1/users",
    ):
        response = app.get(path, headers=auditor.headers)
        assert response.status_code == 200, (path, response.text)
    assert [p["id"] for p in app.get("/api/v1/posts", headers=auditor.headers).json()] == [pid]

    writes = [
        app.post(
            "/api/v1/posts", json={"account_ids": [account], "text": "x"}, headers=auditor.headers
        ),
        app.patch(f"/api/v1/posts/{pid}", json={"text": "x"}, headers=auditor.headers),
        app.post(f"/api/v1/posts/{pid}/approve", headers=auditor.headers),
        app.post(f"/api/v1/accounts/{account}/suspend", headers=auditor.headers),
        app.post(
            "/api/v1/students", json={"full_name": "X", "site": "North"}, headers=auditor.headers
        ),
        app.post(
            "/api/v1/reports",
            json={"url": "https://x.com/Fake", "description": "x"},
            headers=auditor.headers,
        ),
    ]
    assert [r.status_code for r in writes] == [403] * len(writes)
    assert {error_code(r) for r in writes} == {"forbidden"}
    page = browser_as(auditor).post(f"/posts/{pid}/edit", {"text": "x", "account_ids": [account]})
    assert page.status_code == 403
    unchanged = app.get(f"/api/v1/posts/{pid}", headers=author.headers).json()
    assert (unchanged["text"], unchanged["revision"]) == (post["text"], 1)


# --- (d) a deactivated person is signed out at once ------------------------------------------


def test_a_deactivated_token_fails_on_the_very_next_request(
    app: TestClient, superintendent: Person, make_person: Callable[..., Person]
) -> None:
    leaver = make_person(Role.staff)
    account = official(app, superintendent, "LeaverDesk", leaver)
    assert app.get("/api/v1/me", headers=leaver.headers).status_code == 200

    done = app.post(f"/api/v1/users/{leaver.email}/deactivate", headers=superintendent.headers)
    assert done.status_code == 200, done.text

    for response in (
        app.get("/api/v1/me", headers=leaver.headers),
        app.get("/api/v1/posts", headers=leaver.headers),
        app.post(
            "/api/v1/posts", json={"account_ids": [account], "text": "x"}, headers=leaver.headers
        ),
    ):
        assert response.status_code == 401, response.text
        assert error_code(response) == "unauthenticated"
        assert response.headers["www-authenticate"] == "Bearer"


def test_an_inactive_person_is_refused_even_with_unrevoked_credentials(
    app: TestClient,
    session: Session,
    make_person: Callable[..., Person],
    browser_as: Callable[[Person], Browser],
) -> None:
    """Deactivation revokes every token and session; should a credential escape that (a
    row written by another path, a restore), the person being inactive is enough."""
    leaver = make_person(Role.staff)
    browser = browser_as(leaver)
    assert browser.get("/posts").status_code == 200
    leaver.user.active = False
    session.add(leaver.user)
    session.commit()

    refused = app.get("/api/v1/me", headers=leaver.headers)
    assert refused.status_code == 401 and error_code(refused) == "unauthenticated"
    page = browser.get("/posts")
    assert page.status_code in {302, 303, 307}
    assert page.headers["location"].startswith("/login")
    assert browser.post("/posts", {"text": "x"}).status_code in {302, 303, 307, 401}


# --- (e) a site administrator works with their own site's students only ----------------------


@pytest.fixture
def north_admin(make_person: Callable[..., Person], session: Session) -> Person:
    person = make_person(Role.site_admin)
    person.user.site = "North"
    session.add(person.user)
    session.commit()
    return person


def test_a_site_admin_cannot_move_a_student_or_import_into_another_site(
    app: TestClient, session: Session, north_admin: Person
) -> None:
    own = app.post("/api/v1/students", json={"full_name": "Dee Park"}, headers=north_admin.headers)
    assert own.status_code == 201 and own.json()["site"] == "North", own.text
    moved = app.patch(
        f"/api/v1/students/{own.json()['id']}", json={"site": "South"}, headers=north_admin.headers
    )
    assert moved.status_code == 403 and error_code(moved) == "forbidden"
    imported = app.post(
        "/api/v1/students/import",
        files={"file": ("roster.csv", b"full_name,site\nEve Moss,South\n", "text/csv")},
        headers=north_admin.headers,
    )
    assert imported.status_code == 200, imported.text
    assert session.exec(select(Student).where(Student.site == "South")).all() == []


def test_a_site_admin_cannot_name_another_sites_student_in_a_post(
    app: TestClient, superintendent: Person, north_admin: Person
) -> None:
    """A post's media names students by id: another site's student is as unknown to a
    confined site administrator as an id that does not exist, and their name never shows."""
    south = app.post(
        "/api/v1/students",
        json={"full_name": "Ben Okafor", "site": "South"},
        headers=superintendent.headers,
    ).json()
    account = official(app, superintendent, "NorthNews", north_admin)
    post = draft(app, north_admin, account, "Our robotics team.")

    foreign = attach(app, north_admin, post["id"], student_ids=str(south["id"]))
    nowhere = attach(app, north_admin, post["id"], student_ids="999999")

    assert (foreign.status_code, nowhere.status_code) == (422, 422), foreign.text
    assert foreign.json()["error"]["message"] == f"No student with id {south['id']} on the roster."
    assert "Okafor" not in foreign.text
    after = app.get(f"/api/v1/posts/{post['id']}", headers=north_admin.headers).json()
    assert after["media"] == []
