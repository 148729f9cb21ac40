"""Approval routes through the API: set by the superintendent, followed by every review."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from service import clock
from service.audit.models import AuditEntry
from service.posts.models import Post
from service.users.models import Role
from tests.conftest import Person
from tests.posts.conftest import Newsroom, draft_post

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)


def steps_url(account_id: int) -> str:
    return f"/api/v1/accounts/{account_id}/approval-steps"


def put_steps(app: TestClient, person: Person, account_id: int, steps: list[dict[str, Any]]) -> Any:
    return app.put(steps_url(account_id), json={"steps": steps}, headers=person.headers)


def submitted(app: TestClient, newsroom: Newsroom, text: str = "Open house Tuesday.") -> int:
    post = draft_post(app, newsroom.author, newsroom.account_id, text)
    response = app.post(f"/api/v1/posts/{post['id']}/submit", headers=newsroom.author.headers)
    assert response.status_code == 200, response.text
    post_id: int = post["id"]
    return post_id


def approve(app: TestClient, person: Person, post_id: int) -> Any:
    return app.post(f"/api/v1/posts/{post_id}/approve", headers=person.headers)


def test_superintendent_sets_the_route_and_everyone_reads_it(
    app: TestClient, newsroom: Newsroom, make_person: Callable[..., Person], session: Session
) -> None:
    account = newsroom.account_id
    assert app.get(steps_url(account), headers=newsroom.author.headers).json() == []
    designee = newsroom.designee
    steps = [
        {"position": 2, "user_ids": [designee.user.id], "rule": "all"},
        {"position": 1, "role": "site_admin"},
    ]
    response = put_steps(app, newsroom.superintendent, account, steps)
    assert response.status_code == 200, response.text
    expected = [
        {"position": 1, "role": "site_admin", "user_ids": [], "users": [], "rule": "any"},
        {
            "position": 2,
            "role": None,
            "user_ids": [designee.user.id],
            "users": [designee.email],
            "rule": "all",
        },
    ]
    assert response.json() == expected
    auditor = make_person(Role.auditor)
    assert app.get(steps_url(account), headers=auditor.headers).json() == expected
    (entry,) = session.exec(
        select(AuditEntry).where(AuditEntry.action == "account.approval_steps")
    ).all()
    assert (entry.actor, entry.subject_id) == (newsroom.superintendent.email, str(account))
    assert entry.before == {"steps": []}
    assert [s["position"] for s in (entry.after or {})["steps"]] == [1, 2]

    # Replaced as a whole, never merged.
    again = put_steps(app, newsroom.superintendent, account, [{"position": 1, "role": "designee"}])
    assert [s["role"] for s in again.json()] == ["designee"]
    assert put_steps(app, newsroom.superintendent, account, []).json() == []
    assert app.get(steps_url(account), headers=auditor.headers).json() == []


@pytest.mark.parametrize("role", [Role.designee, Role.site_admin, Role.staff, Role.auditor])
def test_only_the_superintendent_sets_a_route(
    app: TestClient, newsroom: Newsroom, make_person: Callable[..., Person], role: Role
) -> None:
    person = make_person(role)
    refused = put_steps(app, person, newsroom.account_id, [{"position": 1, "role": "designee"}])
    assert refused.status_code == 403
    assert app.get(steps_url(newsroom.account_id), headers=person.headers).json() == []


def test_unknown_account_and_anonymous(app: TestClient, newsroom: Newsroom) -> None:
    boss = newsroom.superintendent
    assert app.get(steps_url(999_999), headers=boss.headers).status_code == 404
    assert put_steps(app, boss, 999_999, []).status_code == 404
    assert app.get(steps_url(newsroom.account_id)).status_code == 401
    assert app.put(steps_url(newsroom.account_id), json={"steps": []}).status_code == 401


def test_bad_routes_are_refused_and_change_nothing(
    app: TestClient, newsroom: Newsroom, session: Session
) -> None:
    boss, account = newsroom.superintendent, newsroom.account_id
    kept = [{"position": 1, "role": "site_admin"}]
    assert put_steps(app, boss, account, kept).status_code == 200
    before = app.get(steps_url(account), headers=boss.headers).json()
    gone = newsroom.site_admin.user
    gone.active = False
    session.add(gone)
    session.commit()
    designee_id = newsroom.designee.user.id
    bad = {
        "gap in positions": [
            {"position": 1, "role": "designee"},
            {"position": 3, "role": "designee"},
        ],
        "twice the same position": [
            {"position": 1, "role": "designee"},
            {"position": 1, "role": "site_admin"},
        ],
        "neither role nor users": [{"position": 1}],
        "role and users": [{"position": 1, "role": "designee", "user_ids": [designee_id]}],
        "a role that does not review": [{"position": 1, "role": "staff"}],
        "an unknown role": [{"position": 1, "role": "janitor"}],
        "an inactive user": [{"position": 1, "user_ids": [gone.id]}],
        "a staff member": [{"position": 1, "user_ids": [newsroom.author.user.id]}],
        "a user who does not exist": [{"position": 1, "user_ids": [2**40]}],
        "an unknown rule": [{"position": 1, "role": "designee", "rule": "most"}],
        "position zero": [{"position": 0, "role": "designee"}],
    }
    for why, steps in bad.items():
        refused = put_steps(app, boss, account, steps)
        assert refused.status_code == 422, why
        assert app.get(steps_url(account), headers=boss.headers).json() == before, why
    assert (
        len(
            session.exec(
                select(AuditEntry.id).where(AuditEntry.action == "account.approval_steps")
            ).all()
        )
        == 1
    )


def test_a_post_follows_its_accounts_route(
    app: TestClient, newsroom: Newsroom, make_person: Callable[..., Person], session: Session
) -> None:
    clock.freeze(NOW)
    named = newsroom.designee
    other_designee = make_person(Role.designee)
    put_steps(
        app,
        newsroom.superintendent,
        newsroom.account_id,
        [{"position": 1, "role": "site_admin"}, {"position": 2, "user_ids": [named.user.id]}],
    )
    post_id = submitted(app, newsroom)
    waiting = app.get(f"/api/v1/posts/{post_id}", headers=named.headers).json()
    assert waiting["needs"] == ["site_admin", named.email, "designee"]

    early = approve(app, named, post_id)
    assert early.status_code == 403
    assert "step 1: site_admin" in early.json()["error"]["message"]
    assert "not on the current step" in early.json()["error"]["message"]
    assert app.get(f"/api/v1/posts/{post_id}", headers=named.headers).json()["decisions"] == []

    first = approve(app, newsroom.site_admin, post_id)
    assert first.status_code == 200, first.text
    assert (first.json()["status"], first.json()["needs"]) == (
        "submitted",
        [named.email, "designee"],
    )

    not_named = approve(app, other_designee, post_id)
    assert not_named.status_code == 403
    assert named.email in not_named.json()["error"]["message"]

    last = approve(app, named, post_id)
    assert last.status_code == 200, last.text
    assert (last.json()["status"], last.json()["needs"]) == ("approved", [])
    post = session.get(Post, post_id)
    assert post is not None
    session.refresh(post)
    assert post.approval_expires_at == NOW + timedelta(days=30)
    actions = session.exec(
        select(AuditEntry.action)
        .where(AuditEntry.subject_type == "post", AuditEntry.subject_id == str(post_id))
        .order_by(col(AuditEntry.id))
    ).all()
    assert actions[-2:] == ["post.approve", "post.approve"]


def test_a_post_to_two_accounts_needs_both_routes(
    app: TestClient,
    newsroom: Newsroom,
    make_person: Callable[..., Person],
    superintendent: Person,
) -> None:
    second = app.post(
        "/api/v1/accounts",
        json={"url": "https://x.com/RiverbendArts"},
        headers=newsroom.author.headers,
    ).json()["id"]
    app.post(f"/api/v1/accounts/{second}/authorize", headers=superintendent.headers)
    arts_designee = make_person(Role.designee)
    put_steps(app, superintendent, newsroom.account_id, [{"position": 1, "role": "designee"}])
    put_steps(app, superintendent, second, [{"position": 1, "user_ids": [arts_designee.user.id]}])
    response = app.post(
        "/api/v1/posts",
        json={"account_ids": [newsroom.account_id, second], "text": "Joint concert."},
        headers=newsroom.author.headers,
    )
    post_id = response.json()["id"]
    app.post(f"/api/v1/posts/{post_id}/submit", headers=newsroom.author.headers)
    one = approve(app, newsroom.designee, post_id)
    assert (one.json()["status"], one.json()["needs"]) == ("submitted", [arts_designee.email])
    both = approve(app, arts_designee, post_id)
    assert both.json()["status"] == "approved"


def page_url(account_id: int) -> str:
    return f"/accounts/{account_id}/approval-steps"


def rows(*steps: tuple[str, str, str]) -> dict[str, object]:
    return {
        "role": [s[0] for s in steps],
        "users": [s[1] for s in steps],
        "rule": [s[2] for s in steps],
    }


def test_the_superintendent_edits_the_route_on_its_page(
    app: TestClient, newsroom: Newsroom, browser_as: Callable[[Person], Any]
) -> None:
    browser = browser_as(newsroom.superintendent)
    page = browser.get(page_url(newsroom.account_id))
    assert page.status_code == 200
    assert "No steps" in page.text and "Save the route" in page.text
    designee = newsroom.designee.email
    saved = browser.post(
        page_url(newsroom.account_id),
        data=rows(("site_admin", "", "any"), ("", "", "any"), ("", designee, "all")),
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == page_url(newsroom.account_id)
    shown = browser.get(page_url(newsroom.account_id))
    assert "Saved the approval route: 2 step(s)." in shown.text
    assert designee in shown.text
    api = app.get(steps_url(newsroom.account_id), headers=newsroom.superintendent.headers).json()
    assert [(s["position"], s["role"], s["users"], s["rule"]) for s in api] == [
        (1, "site_admin", [], "any"),
        (2, None, [designee], "all"),
    ]


def test_others_read_the_route_but_cannot_change_it(
    app: TestClient, newsroom: Newsroom, browser_as: Callable[[Person], Any]
) -> None:
    put_steps(
        app, newsroom.superintendent, newsroom.account_id, [{"position": 1, "role": "designee"}]
    )
    browser = browser_as(newsroom.author)
    page = browser.get(page_url(newsroom.account_id))
    assert page.status_code == 200
    assert "any designee" in page.text and "Save the route" not in page.text
    refused = browser.post(page_url(newsroom.account_id), data=rows(("site_admin", "", "any")))
    assert refused.status_code == 403
    assert browser.get("/accounts/999999/approval-steps").status_code == 404
    after = app.get(steps_url(newsroom.account_id), headers=newsroom.author.headers).json()
    assert [s["role"] for s in after] == ["designee"]


def test_bad_page_input_is_refused_and_changes_nothing(
    app: TestClient, newsroom: Newsroom, browser_as: Callable[[Person], Any]
) -> None:
    put_steps(
        app, newsroom.superintendent, newsroom.account_id, [{"position": 1, "role": "designee"}]
    )
    browser = browser_as(newsroom.superintendent)
    url = page_url(newsroom.account_id)
    unknown = browser.post(url, data=rows(("", "nobody@school.example", "any")))
    assert unknown.status_code == 422
    assert "nobody signs in as nobody@school.example" in unknown.text
    both = browser.post(url, data=rows(("designee", newsroom.designee.email, "any")))
    assert both.status_code == 422 and "not both" in both.text
    assert browser.post(url, data=rows(("janitor", "", "any"))).status_code == 422
    assert browser.post(url, data=rows(("designee", "", "most"))).status_code == 422
    uneven = browser.post(
        url, data={"role": ["designee", "site_admin"], "users": [""], "rule": ["any"]}
    )
    assert uneven.status_code == 422
    no_token = app.post(url, data=rows(("site_admin", "", "any")), headers={"accept": "text/html"})
    assert no_token.status_code == 400
    after = app.get(steps_url(newsroom.account_id), headers=newsroom.author.headers).json()
    assert [s["role"] for s in after] == ["designee"]
