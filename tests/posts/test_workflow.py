"""The approval workflow through the API, as the people in the policy use it."""

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlmodel import Session

from service.users.models import Role
from tests.conftest import Person
from tests.posts.conftest import Newsroom, grant_consent


def draft(app: TestClient, newsroom: Newsroom, text: str, author: Person | None = None) -> dict:
    author = author or newsroom.author
    response = app.post(
        "/api/v1/posts",
        json={"account_ids": [newsroom.account_id], "text": text},
        headers=author.headers,
    )
    assert response.status_code == 201, response.text
    post: dict = response.json()
    return post


def outcome(post: dict, rule: str) -> str:
    (check,) = [c for c in post["checks"] if c["rule"] == rule]
    result: str = check["outcome"]
    return result


def test_the_story_of_a_post(
    app: TestClient,
    newsroom: Newsroom,
    add_student: Callable[..., dict],
    group_photo: bytes,
    session: Session,
) -> None:
    jane = add_student("Jane Doe")
    omar = add_student("Omar Haddad", consent="photo")
    post = draft(app, newsroom, "Congratulations to Jane Doe, state welding champion!")
    assert post["status"] == "draft"

    blocked = app.post(f"/api/v1/posts/{post['id']}/submit", headers=newsroom.author.headers)
    assert blocked.status_code == 422
    assert "text.student_reference" in blocked.json()["error"]["message"]
    checked = app.get(f"/api/v1/posts/{post['id']}", headers=newsroom.author.headers).json()
    assert outcome(checked, "text.student_reference") == "block"
    (reference,) = [c for c in checked["checks"] if c["rule"] == "text.student_reference"]
    assert "Jane Doe" in reference["message"]
    assert "item 5" in reference["clause"]

    grant_consent(app, newsroom.superintendent, jane["id"], "both")
    submitted = app.post(f"/api/v1/posts/{post['id']}/submit", headers=newsroom.author.headers)
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted"
    assert submitted.json()["needs"] == ["designee"]

    with_photo = app.post(
        f"/api/v1/posts/{post['id']}/media",
        files={"file": ("team.jpg", group_photo, "image/jpeg")},
        data={"depicts": "group", "student_ids": f"{jane['id']},{omar['id']}"},
        headers=newsroom.author.headers,
    )
    assert with_photo.status_code == 200, with_photo.text
    body = with_photo.json()
    assert body["revision"] == 2
    assert body["media"][0]["faces"] >= 2
    assert outcome(body, "media.group_students") == "needs:site_admin"
    assert body["needs"] == ["designee", "site_admin"]

    own = app.post(f"/api/v1/posts/{post['id']}/approve", headers=newsroom.author.headers)
    assert own.status_code == 403

    by_site_admin = app.post(
        f"/api/v1/posts/{post['id']}/approve",
        json={"revision_id": body["revision_id"]},
        headers=newsroom.site_admin.headers,
    )
    assert by_site_admin.status_code == 200, by_site_admin.text
    assert by_site_admin.json()["status"] == "submitted"
    assert by_site_admin.json()["needs"] == ["designee"]
    by_designee = app.post(f"/api/v1/posts/{post['id']}/approve", headers=newsroom.designee.headers)
    assert by_designee.status_code == 200, by_designee.text
    assert by_designee.json()["status"] == "approved"
    assert [d["reviewer_role"] for d in by_designee.json()["decisions"]] == [
        "site_admin",
        "designee",
    ]


def test_a_designee_cannot_approve_their_own_post(
    app: TestClient, newsroom: Newsroom, superintendent: Person
) -> None:
    account = app.get(f"/api/v1/accounts/{newsroom.account_id}", headers=superintendent.headers)
    app.post(
        f"/api/v1/accounts/{account.json()['id']}/stewards",
        json={"email": newsroom.designee.email},
        headers=superintendent.headers,
    )
    post = draft(app, newsroom, "Open house on Saturday.", author=newsroom.designee)
    app.post(f"/api/v1/posts/{post['id']}/submit", headers=newsroom.designee.headers)
    own = app.post(f"/api/v1/posts/{post['id']}/approve", headers=newsroom.designee.headers)
    assert own.status_code == 403
    assert "own post" in own.json()["error"]["message"]


def test_photos_of_an_individual_student_are_blocked(
    app: TestClient, newsroom: Newsroom, add_student: Callable[..., dict], portrait: bytes
) -> None:
    sam = add_student("Sam Rivera", consent="both")
    post = draft(app, newsroom, "Meet our student of the month!")
    for depicts, students in (("individual", [sam["id"]]), ("group", [sam["id"]])):
        attached = app.post(
            f"/api/v1/posts/{post['id']}/media",
            files={"file": ("sam.jpg", portrait, "image/jpeg")},
            data={"depicts": depicts, "student_ids": ",".join(map(str, students))},
            headers=newsroom.author.headers,
        ).json()
        assert outcome(attached, "media.individual_student") == "block"
        app.patch(
            f"/api/v1/posts/{post['id']}", json={"media_ids": []}, headers=newsroom.author.headers
        )
    app.post(
        f"/api/v1/posts/{post['id']}/media",
        files={"file": ("sam.jpg", portrait, "image/jpeg")},
        data={"depicts": "individual", "student_ids": str(sam["id"])},
        headers=newsroom.author.headers,
    )
    refused = app.post(f"/api/v1/posts/{post['id']}/submit", headers=newsroom.author.headers)
    assert refused.status_code == 422
    assert "media.individual_student" in refused.json()["error"]["message"]


def test_faces_in_a_photo_declared_without_students_go_to_a_site_admin(
    app: TestClient, newsroom: Newsroom, portrait: bytes, landscape: bytes
) -> None:
    post = draft(app, newsroom, "Our new welding bay.")
    scenery = app.post(
        f"/api/v1/posts/{post['id']}/media",
        files={"file": ("bay.jpg", landscape, "image/jpeg")},
        data={"depicts": "none"},
        headers=newsroom.author.headers,
    ).json()
    assert outcome(scenery, "media.group_students") == "pass"
    assert scenery["media"][0]["faces"] == 0
    person = app.post(
        f"/api/v1/posts/{post['id']}/media",
        files={"file": ("someone.jpg", portrait, "image/jpeg")},
        data={"depicts": "none"},
        headers=newsroom.author.headers,
    ).json()
    assert outcome(person, "media.group_students") == "needs:site_admin"
    assert "someone.jpg" in next(
        c["message"] for c in person["checks"] if c["rule"] == "media.group_students"
    )


def test_editing_a_submitted_post_makes_a_new_revision_and_voids_its_approvals(
    app: TestClient, newsroom: Newsroom, add_student: Callable[..., dict]
) -> None:
    post = draft(app, newsroom, "Enrollment opens Monday.")
    app.post(f"/api/v1/posts/{post['id']}/submit", headers=newsroom.author.headers)
    first = app.get(f"/api/v1/posts/{post['id']}", headers=newsroom.designee.headers).json()

    edited = app.patch(
        f"/api/v1/posts/{post['id']}",
        json={"text": "Enrollment opens Tuesday."},
        headers=newsroom.author.headers,
    ).json()
    assert (edited["revision"], edited["status"]) == (2, "submitted")

    stale = app.post(
        f"/api/v1/posts/{post['id']}/approve",
        json={"revision_id": first["revision_id"]},
        headers=newsroom.designee.headers,
    )
    assert stale.status_code == 409
    diff = app.get(
        f"/api/v1/posts/{post['id']}/diff",
        params={"from": 1, "to": 2},
        headers=newsroom.designee.headers,
    ).json()["diff"]
    assert "-Enrollment opens Monday." in diff and "+Enrollment opens Tuesday." in diff

    approved = app.post(
        f"/api/v1/posts/{post['id']}/approve",
        json={"revision_id": edited["revision_id"]},
        headers=newsroom.designee.headers,
    ).json()
    assert approved["status"] == "approved"
    again = app.patch(
        f"/api/v1/posts/{post['id']}",
        json={"text": "Enrollment opens Wednesday."},
        headers=newsroom.author.headers,
    ).json()
    assert (again["revision"], again["status"], again["needs"]) == (3, "submitted", ["designee"])


def test_drafts_are_private_to_their_author(
    app: TestClient, newsroom: Newsroom, make_person: Callable[..., Person]
) -> None:
    post = draft(app, newsroom, "Draft thoughts.")
    colleague = make_person(Role.staff)
    for person in (colleague, newsroom.designee):
        assert app.get(f"/api/v1/posts/{post['id']}", headers=person.headers).status_code == 404
        assert app.get("/api/v1/posts", headers=person.headers).json() == []
    auditor = make_person(Role.auditor)
    assert app.get(f"/api/v1/posts/{post['id']}", headers=auditor.headers).status_code == 200
    change = app.patch(
        f"/api/v1/posts/{post['id']}", json={"text": "mine now"}, headers=colleague.headers
    )
    assert change.status_code == 404


def test_reviews_need_a_reason_and_follow_the_lifecycle(
    app: TestClient, newsroom: Newsroom
) -> None:
    post = draft(app, newsroom, "Holiday schedule.")
    early = app.post(f"/api/v1/posts/{post['id']}/approve", headers=newsroom.designee.headers)
    assert early.status_code == 404  # a draft is not the reviewer's to see
    app.post(f"/api/v1/posts/{post['id']}/submit", headers=newsroom.author.headers)
    silent = app.post(
        f"/api/v1/posts/{post['id']}/request-changes", headers=newsroom.designee.headers
    )
    assert silent.status_code == 422
    changes = app.post(
        f"/api/v1/posts/{post['id']}/request-changes",
        json={"comment": "Add the dates."},
        headers=newsroom.designee.headers,
    )
    assert changes.json()["status"] == "changes_requested"
    resubmitted = app.post(f"/api/v1/posts/{post['id']}/submit", headers=newsroom.author.headers)
    assert resubmitted.json()["status"] == "submitted"
    rejected = app.post(
        f"/api/v1/posts/{post['id']}/reject",
        json={"comment": "Not for the official account."},
        headers=newsroom.superintendent.headers,
    )
    assert rejected.json()["status"] == "rejected"
    late = app.post(f"/api/v1/posts/{post['id']}/withdraw", headers=newsroom.author.headers)
    assert late.status_code == 409


def test_posts_to_accounts_the_author_does_not_steward_are_blocked(
    app: TestClient, newsroom: Newsroom, make_person: Callable[..., Person]
) -> None:
    outsider = make_person(Role.staff)
    response = app.post(
        "/api/v1/posts",
        json={"account_ids": [newsroom.account_id], "text": "hello"},
        headers=outsider.headers,
    )
    assert response.status_code == 403, response.text
    assert "not a steward" in response.json()["error"]["message"]
    assert app.get("/api/v1/posts", headers=outsider.headers).json() == []
    unknown = app.post(
        "/api/v1/posts", json={"account_ids": [999999], "text": "hello"}, headers=outsider.headers
    )
    assert unknown.status_code == 422
    # A stewardship that lapses after the draft: the target stays, and the rule blocks it.
    post = draft(app, newsroom, "hello")
    extra = make_person(Role.staff)
    added = app.post(
        f"/api/v1/accounts/{newsroom.account_id}/stewards",
        json={"email": extra.email},
        headers=newsroom.superintendent.headers,
    )
    assert added.status_code == 200, added.text
    removed = app.delete(
        f"/api/v1/accounts/{newsroom.account_id}/stewards/{newsroom.author.email}",
        headers=newsroom.superintendent.headers,
    )
    assert removed.status_code == 200, removed.text
    refused = app.post(f"/api/v1/posts/{post['id']}/submit", headers=newsroom.author.headers)
    assert refused.status_code == 422
    assert [c["rule"] for c in refused.json()["error"]["checks"]] == ["account.authorized"]


def test_out_of_range_or_ambiguous_input_is_422(app: TestClient, newsroom: Newsroom) -> None:
    for body in (
        {"account_ids": [newsroom.account_id], "publish_at": "2026-12-01T10:00:00"},
        {"account_ids": [newsroom.account_id], "publish_at": "9999-12-31T23:59:59-05:00"},
        {"account_ids": [2**70], "text": "hello"},
    ):
        response = app.post("/api/v1/posts", json=body, headers=newsroom.author.headers)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["message"]
    assert app.get("/api/v1/posts", headers=newsroom.author.headers).json() == []


def test_an_edit_that_breaks_a_rule_leaves_the_review_queue(
    app: TestClient, newsroom: Newsroom
) -> None:
    post = draft(app, newsroom, "Enrollment opens Monday.")
    app.post(f"/api/v1/posts/{post['id']}/submit", headers=newsroom.author.headers)
    edited = app.patch(
        f"/api/v1/posts/{post['id']}",
        json={"text": "Questions? Call Ms. Smith at her cell, 555-867-5309."},
        headers=newsroom.author.headers,
    ).json()
    assert edited["status"] == "changes_requested"
    assert outcome(edited, "text.confidential") == "block"
    refused = app.post(f"/api/v1/posts/{post['id']}/submit", headers=newsroom.author.headers)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert "text.confidential" in error["message"] and "item" in error["message"]
    assert [c["rule"] for c in error["checks"]] == ["text.confidential"]


def test_private_messages_are_refused_by_the_public_only_rule(
    app: TestClient, newsroom: Newsroom
) -> None:
    response = app.post(
        "/api/v1/posts",
        json={"account_ids": [newsroom.account_id], "text": "Hi!", "visibility": "direct"},
        headers=newsroom.author.headers,
    )
    post = response.json()
    assert post["visibility"] == "direct"
    assert outcome(post, "channel.public_only") == "block"
    public = app.patch(
        f"/api/v1/posts/{post['id']}",
        json={"visibility": "public"},
        headers=newsroom.author.headers,
    ).json()
    assert outcome(public, "channel.public_only") == "pass"
    bad = app.post(
        "/api/v1/posts",
        json={"account_ids": [newsroom.account_id], "visibility": "secret"},
        headers=newsroom.author.headers,
    )
    assert bad.status_code == 422
