"""The post lifecycle through the API: who may move a post, the status code of each refusal,
and the audit entry of each state change.

Every transition for every role is decided by a pure function, tested as a table in
tests/workflows/test_post_lifecycle.py; here a representative set checks that the API applies
those decisions, maps refusals to the right codes (401 anonymous, 403 role or own post,
404 not yours to see, 409 wrong state, 422 blocked or incomplete) and saves nothing when it
refuses.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service import clock
from service.users.models import Role
from tests.conftest import Person
from tests.posts.conftest import Newsroom, draft_post

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
COMMENTS = {"request-changes": "Add the dates.", "reject": "Not for this account."}
AUDIT_ACTION = {
    "submit": "post.submitted",
    "approve": "post.approve",
    "request-changes": "post.request_changes",
    "reject": "post.reject",
    "withdraw": "post.withdrawn",
    "edit": "post.edited",
}


def act(app: TestClient, post_id: int, person: Person | None, action: str) -> Any:
    headers = person.headers if person else {}
    if action == "edit":
        return app.patch(f"/api/v1/posts/{post_id}", json={"text": "Edited."}, headers=headers)
    if action == "request-changes (no comment)":
        return app.post(f"/api/v1/posts/{post_id}/request-changes", headers=headers)
    body = {"comment": COMMENTS[action]} if action in COMMENTS else None
    return app.post(f"/api/v1/posts/{post_id}/{action}", json=body, headers=headers)


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def post_in(app: TestClient, newsroom: Newsroom, state: str) -> dict[str, Any]:
    """A post by `newsroom.author`, brought to `state` the way people would."""
    fields: dict[str, Any] = {}
    if state == "scheduled":
        fields["publish_at"] = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    post = draft_post(app, newsroom.author, newsroom.account_id, "Holiday schedule.", **fields)
    steps = {
        "draft": [],
        "withdrawn": [(newsroom.author, "withdraw")],
        "submitted": [(newsroom.author, "submit")],
        "changes_requested": [(newsroom.author, "submit"), (newsroom.designee, "request-changes")],
        "approved": [(newsroom.author, "submit"), (newsroom.designee, "approve")],
        "scheduled": [(newsroom.author, "submit"), (newsroom.designee, "approve")],
        "rejected": [(newsroom.author, "submit"), (newsroom.superintendent, "reject")],
    }[state]
    for person, action in steps:
        post = ok(act(app, post["id"], person, action))
    assert post["status"] == state
    return post


def audit_trail(app: TestClient, reader: Person, post_id: int) -> list[dict[str, Any]]:
    response = app.get(
        "/api/v1/audit",
        params={"subject_type": "post", "subject_id": str(post_id)},
        headers=reader.headers,
    )
    entries: list[dict[str, Any]] = ok(response)  # type: ignore[assignment]
    return list(reversed(entries))


@pytest.fixture
def cast(newsroom: Newsroom, make_person: Callable[..., Person]) -> dict[str, Person | None]:
    """Everyone who might act on the newsroom author's post."""
    return {
        "author": newsroom.author,
        "colleague": make_person(Role.staff),
        "designee": newsroom.designee,
        "site_admin": newsroom.site_admin,
        "superintendent": newsroom.superintendent,
        "auditor": make_person(Role.auditor),
        "nobody": None,
    }


ALLOWED = [
    # (state, who, action, new status)
    ("draft", "author", "edit", "draft"),
    ("draft", "author", "submit", "submitted"),
    ("draft", "author", "withdraw", "withdrawn"),
    ("changes_requested", "author", "submit", "submitted"),
    ("changes_requested", "author", "withdraw", "withdrawn"),
    ("changes_requested", "superintendent", "withdraw", "withdrawn"),
    ("submitted", "author", "edit", "submitted"),
    ("submitted", "author", "withdraw", "withdrawn"),
    ("submitted", "superintendent", "withdraw", "withdrawn"),
    ("submitted", "designee", "approve", "approved"),
    ("submitted", "superintendent", "approve", "approved"),
    ("submitted", "designee", "request-changes", "changes_requested"),
    ("submitted", "site_admin", "request-changes", "changes_requested"),
    ("submitted", "superintendent", "reject", "rejected"),
    ("submitted", "site_admin", "reject", "rejected"),
    ("approved", "author", "edit", "submitted"),  # an edit goes back to review
    ("scheduled", "author", "edit", "submitted"),
]


@pytest.mark.parametrize(("state", "who", "action", "new_status"), ALLOWED)
def test_each_allowed_move_changes_the_status_once_and_is_audited(
    app: TestClient,
    newsroom: Newsroom,
    cast: dict[str, Person | None],
    state: str,
    who: str,
    action: str,
    new_status: str,
) -> None:
    post = post_in(app, newsroom, state)
    auditor = cast["auditor"]
    assert auditor is not None
    before = audit_trail(app, auditor, post["id"])

    moved = ok(act(app, post["id"], cast[who], action))

    assert moved["status"] == new_status
    assert moved["version"] == post["version"] + 1
    (entry,) = audit_trail(app, auditor, post["id"])[len(before) :]
    person = cast[who]
    assert person is not None
    assert (entry["action"], entry["actor"]) == (AUDIT_ACTION[action], person.email)
    assert (entry["after"]["status"], entry["after"]["version"]) == (new_status, moved["version"])


REFUSED = [
    # (state, who, action, status, part of the message)
    ("submitted", "nobody", "approve", 401, "Sign in"),
    ("submitted", "author", "approve", 403, "role"),  # staff do not review
    ("submitted", "auditor", "approve", 403, "role"),
    ("submitted", "site_admin", "approve", 403, "needs approval by: designee"),
    ("submitted", "designee", "edit", 403, "Only the post's author"),
    ("submitted", "designee", "withdraw", 403, "Only the author or the superintendent"),
    ("submitted", "site_admin", "withdraw", 403, "Only the author or the superintendent"),
    ("submitted", "colleague", "withdraw", 404, "No post"),  # not theirs to see
    ("submitted", "colleague", "edit", 404, "No post"),
    ("draft", "superintendent", "withdraw", 404, "No post"),  # drafts are private
    ("draft", "designee", "approve", 404, "No post"),
    ("submitted", "author", "submit", 409, "Cannot submit a post that is submitted"),
    ("changes_requested", "designee", "approve", 409, "Cannot approve"),
    ("approved", "superintendent", "approve", 409, "Cannot approve a post that is approved"),
    ("approved", "author", "withdraw", 409, "Cannot withdraw"),
    ("scheduled", "author", "withdraw", 409, "Cannot withdraw"),
    ("rejected", "author", "edit", 409, "Cannot edit"),
    ("rejected", "designee", "request-changes", 409, "Cannot request_changes"),
    ("withdrawn", "author", "submit", 409, "Cannot submit"),
    ("submitted", "designee", "request-changes (no comment)", 422, "comment"),
]


@pytest.mark.parametrize(("state", "who", "action", "status", "says"), REFUSED)
def test_each_refusal_has_its_status_code_and_changes_nothing(
    app: TestClient,
    newsroom: Newsroom,
    cast: dict[str, Person | None],
    state: str,
    who: str,
    action: str,
    status: int,
    says: str,
) -> None:
    post = post_in(app, newsroom, state)
    auditor = cast["auditor"]
    assert auditor is not None
    before = audit_trail(app, auditor, post["id"])

    refused = act(app, post["id"], cast[who], action)

    assert refused.status_code == status, refused.text
    assert refused.json()["error"]["code"]
    assert says in refused.json()["error"]["message"]
    after = ok(app.get(f"/api/v1/posts/{post['id']}", headers=newsroom.author.headers))
    assert (after["status"], after["version"], after["revision"]) == (
        post["status"],
        post["version"],
        post["revision"],
    )
    assert after["decisions"] == post["decisions"]
    assert audit_trail(app, auditor, post["id"]) == before


def test_nobody_reviews_their_own_post(
    app: TestClient, newsroom: Newsroom, make_person: Callable[..., Person]
) -> None:
    """The superintendent may give every approval, except on a post of their own."""
    app.post(
        f"/api/v1/accounts/{newsroom.account_id}/stewards",
        json={"email": newsroom.superintendent.email},
        headers=newsroom.superintendent.headers,
    )
    post = draft_post(app, newsroom.superintendent, newsroom.account_id, "A word from the top.")
    ok(act(app, post["id"], newsroom.superintendent, "submit"))
    for action in ("approve", "request-changes", "reject"):
        own = act(app, post["id"], newsroom.superintendent, action)
        assert own.status_code == 403, own.text
        assert "own post" in own.json()["error"]["message"]
    assert ok(act(app, post["id"], newsroom.designee, "approve"))["status"] == "approved"


def test_a_blocked_post_cannot_be_submitted(
    app: TestClient, newsroom: Newsroom, add_student: Callable[..., dict[str, Any]]
) -> None:
    add_student("Jane Doe")  # no consent on file
    post = draft_post(app, newsroom.author, newsroom.account_id, "Well done, Jane Doe!")
    refused = act(app, post["id"], newsroom.author, "submit")
    assert refused.status_code == 422
    assert "text.student_reference" in refused.json()["error"]["message"]
    after = ok(app.get(f"/api/v1/posts/{post['id']}", headers=newsroom.author.headers))
    assert (after["status"], after["version"]) == ("draft", post["version"])


def test_an_approval_counts_once_per_revision(
    app: TestClient, newsroom: Newsroom, portrait: bytes
) -> None:
    post = draft_post(app, newsroom.author, newsroom.account_id, "A visitor in the workshop.")
    ok(
        app.post(
            f"/api/v1/posts/{post['id']}/media",
            files={"file": ("visitor.jpg", portrait, "image/jpeg")},
            data={"depicts": "none"},  # a face was found: a site administrator must confirm
            headers=newsroom.author.headers,
        )
    )
    submitted = ok(act(app, post["id"], newsroom.author, "submit"))
    assert submitted["needs"] == ["designee", "site_admin"]
    first = ok(act(app, post["id"], newsroom.designee, "approve"))
    assert (first["status"], first["needs"]) == ("submitted", ["site_admin"])

    again = act(app, post["id"], newsroom.designee, "approve")

    assert again.status_code == 403  # what is left to approve is not a designee's to give
    assert "needs approval by: site_admin" in again.json()["error"]["message"]
    assert (
        len(
            ok(app.get(f"/api/v1/posts/{post['id']}", headers=newsroom.author.headers))["decisions"]
        )
        == 1
    )


@pytest.mark.parametrize(
    ("publish_at", "status"),
    [
        (NOW + timedelta(days=1), "scheduled"),
        (NOW + timedelta(seconds=1), "scheduled"),
        (NOW - timedelta(hours=1), "approved"),
        (None, "approved"),
    ],
)
def test_an_approved_post_with_a_future_publish_time_is_scheduled(
    app: TestClient,
    newsroom: Newsroom,
    cast: dict[str, Person | None],
    publish_at: datetime | None,
    status: str,
) -> None:
    clock.freeze(NOW)
    post = draft_post(
        app,
        newsroom.author,
        newsroom.account_id,
        "Winter concert.",
        publish_at=publish_at.isoformat() if publish_at else None,
    )
    ok(act(app, post["id"], newsroom.author, "submit"))

    approved = ok(act(app, post["id"], newsroom.designee, "approve"))

    assert approved["status"] == status
    published = approved["publish_at"]
    assert (datetime.fromisoformat(published) if published else None) == publish_at
    auditor = cast["auditor"]
    assert auditor is not None
    entry = audit_trail(app, auditor, post["id"])[-1]
    assert (entry["action"], entry["after"]["status"]) == ("post.approve", status)
    assert entry["at"].startswith("2026-12-01T09:00:00")


def test_the_auditor_reads_everything_and_changes_nothing(
    app: TestClient, newsroom: Newsroom, cast: dict[str, Person | None], landscape: bytes
) -> None:
    auditor = cast["auditor"]
    assert auditor is not None
    post = draft_post(app, newsroom.author, newsroom.account_id, "Holiday schedule.")
    with_photo = ok(
        app.post(
            f"/api/v1/posts/{post['id']}/media",
            files={"file": ("bay.jpg", landscape, "image/jpeg")},
            data={"depicts": "none"},
            headers=newsroom.author.headers,
        )
    )
    submitted = ok(act(app, post["id"], newsroom.author, "submit"))
    base = f"/api/v1/posts/{post['id']}"
    reads = [
        "/api/v1/posts",
        base,
        f"{base}/revisions",
        f"{base}/diff?from=1&to=1",
        f"{base}/media/{with_photo['media'][0]['id']}",
    ]
    for url in reads:
        assert app.get(url, headers=auditor.headers).status_code == 200, url
    before = audit_trail(app, auditor, post["id"])

    writes = [
        app.post(
            "/api/v1/posts",
            json={"account_ids": [newsroom.account_id], "text": "x"},
            headers=auditor.headers,
        ),
        app.post(
            f"{base}/media",
            files={"file": ("bay.jpg", landscape, "image/jpeg")},
            data={"depicts": "none"},
            headers=auditor.headers,
        ),
        app.post(f"{base}/remove", json={"comment": "Take it down."}, headers=auditor.headers),
        *(act(app, post["id"], auditor, action) for action in AUDIT_ACTION),
    ]

    assert [w.status_code for w in writes] == [403] * len(writes)
    assert all(w.json()["error"]["code"] == "forbidden" for w in writes)
    after = ok(app.get(base, headers=auditor.headers))
    assert (after["status"], after["version"], after["revision"]) == (
        submitted["status"],
        submitted["version"],
        submitted["revision"],
    )
    assert audit_trail(app, auditor, post["id"]) == before


def test_the_story_of_a_post_is_in_the_audit_log(
    app: TestClient, newsroom: Newsroom, cast: dict[str, Person | None]
) -> None:
    auditor = cast["auditor"]
    assert auditor is not None
    post = draft_post(app, newsroom.author, newsroom.account_id, "Enrollment opens Monday.")
    story = [
        (newsroom.author, "edit"),
        (newsroom.author, "submit"),
        (newsroom.designee, "request-changes"),
        (newsroom.author, "edit"),
        (newsroom.author, "submit"),
        (newsroom.superintendent, "approve"),
    ]
    for person, action in story:
        ok(act(app, post["id"], person, action))

    trail = audit_trail(app, auditor, post["id"])

    assert [(e["action"], e["actor"]) for e in trail] == [
        ("post.created", newsroom.author.email),
        *((AUDIT_ACTION[action], person.email) for person, action in story),
    ]
    assert [e["after"]["version"] for e in trail] == list(range(1, len(story) + 2))
    assert trail[-2]["after"]["revision"] == 2  # the edit after review made a new revision
    assert trail[-1]["after"]["comment"] == ""
    assert trail[3]["after"]["comment"] == COMMENTS["request-changes"]
