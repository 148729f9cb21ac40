"""The posts pages: the composer with its live rule check, the post page with its edit, upload,
submit and withdraw forms, and the review queue and page — all over the API's services.

Data is built through the API (tests/posts/conftest.py); what changed is read back through it.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from service import clock
from service.posts.models import PostMedia
from service.settings import Settings, get_settings
from service.users.models import Role
from tests.conftest import Browser, Person
from tests.posts.conftest import PDF, Newsroom, draft_post, grant_consent

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
HTMX = {"hx-request": "true", "accept": "text/html"}
Student = Callable[..., dict[str, Any]]


@pytest.fixture(autouse=True)
def frozen_clock() -> None:
    clock.freeze(NOW)  # consents granted on 2026-09-01 are valid; the fixture resets the clock


def api_post(app: TestClient, reader: Person, post_id: int) -> dict[str, Any]:
    response = app.get(f"/api/v1/posts/{post_id}", headers=reader.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def api_posts(app: TestClient, reader: Person) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = app.get("/api/v1/posts", headers=reader.headers).json()
    return body


def submitted(app: TestClient, newsroom: Newsroom, text: str) -> dict[str, Any]:
    post = draft_post(app, newsroom.author, newsroom.account_id, text)
    response = app.post(f"/api/v1/posts/{post['id']}/submit", headers=newsroom.author.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def redirected_to(response: Any, path: str) -> None:
    assert response.status_code == 303, response.text
    assert response.headers["location"] == path


def forms_carry_the_token(browser: Browser, html: str) -> None:
    """Every form that posts sends this session's CSRF token (the header's sign-out included)."""
    forms = html.count('method="post"')
    assert forms > 1
    assert html.count(f'name="csrf_token" value="{browser.csrf_token}"') == forms


def check(browser: Browser, **form: object) -> Any:
    return browser.client.post(
        "/posts/check",
        data={"text": "", **form},
        headers={**HTMX, "x-csrf-token": browser.csrf_token},
    )


# --- the composer ------------------------------------------------------------------------


def test_the_composer_offers_the_authors_accounts_and_creates_a_draft(
    app: TestClient, newsroom: Newsroom, browser_as: Callable[[Person], Browser]
) -> None:
    requested = app.post(
        "/api/v1/accounts",
        json={"url": "https://x.com/NotYetOfficial"},
        headers=newsroom.author.headers,
    ).json()
    browser = browser_as(newsroom.author)

    page = browser.get("/posts/new")

    assert page.status_code == 200
    assert f'name="account_ids" value="{newsroom.account_id}"' in page.text
    assert f'value="{requested["id"]}"' not in page.text  # requested, not authorized
    assert (
        'hx-post="/posts/check"' in page.text
        and 'hx-trigger="input changed delay:500ms"' in page.text
    )
    assert 'id="rule-results" aria-live="polite"' in page.text
    assert "UTC" in page.text
    forms_carry_the_token(browser, page.text)

    created = browser.post(
        "/posts",
        data={
            "text": "Open house on Saturday.",
            "account_ids": [str(newsroom.account_id)],
            "publish_at": "2030-01-02T09:30",
        },
    )

    (post,) = api_posts(app, newsroom.author)
    redirected_to(created, f"/posts/{post['id']}")
    assert (post["status"], post["text"], post["account_ids"]) == (
        "draft",
        "Open house on Saturday.",
        [newsroom.account_id],
    )
    assert post["publish_at"] == "2030-01-02T09:30:00Z"  # read as UTC
    shown = browser.get(f"/posts/{post['id']}")
    assert f"Draft #{post['id']} saved" in shown.text  # the flash
    assert "Open house on Saturday." in shown.text and "2030-01-02 09:30 UTC" in shown.text


@pytest.mark.parametrize(
    ("form", "says"),
    [
        ({"text": "No account chosen.", "account_ids": []}, "account_ids"),
        ({"text": "Soon.", "publish_at": "next Tuesday"}, "schedule time"),
        ({"text": "x" * 10_001}, "text"),
        ({"text": "Where?", "account_ids": ["987654"]}, "No account with id 987654"),
        ({"text": "Where?", "account_ids": ["many"]}, "account_ids"),
    ],
)
def test_the_composer_refuses_bad_input_with_a_422_page_and_saves_nothing(
    app: TestClient,
    newsroom: Newsroom,
    browser_as: Callable[[Person], Browser],
    form: dict[str, object],
    says: str,
) -> None:
    browser = browser_as(newsroom.author)
    fields = {"account_ids": [str(newsroom.account_id)], **form}

    refused = browser.post("/posts", data=fields)

    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("text/html")
    assert says in refused.text and "Traceback" not in refused.text
    assert api_posts(app, newsroom.author) == []


def test_the_live_check_blocks_a_student_named_without_consent(
    app: TestClient,
    newsroom: Newsroom,
    add_student: Student,
    browser_as: Callable[[Person], Browser],
) -> None:
    add_student("Jordan Avery")  # no consent on file
    browser = browser_as(newsroom.author)

    fragment = check(
        browser, text="Congratulations, Jordan Avery!", account_ids=[newsroom.account_id]
    )

    assert fragment.status_code == 200
    assert "<html" not in fragment.text  # a fragment for htmx to swap in
    blocked = fragment.text.split("text.student_reference")[0].rsplit("<li>", 1)[1]
    assert 'class="badge badge-block"' in blocked
    assert "names students without written consent" in fragment.text
    assert "Jordan Avery" in fragment.text
    assert "@RiverbendTech" in fragment.text and "30 characters" in fragment.text
    assert api_posts(app, newsroom.author) == []  # nothing saved


def test_the_live_check_passes_clean_text_and_lists_every_rule(
    newsroom: Newsroom, add_student: Student, browser_as: Callable[[Person], Browser]
) -> None:
    add_student("Jordan Avery")
    browser = browser_as(newsroom.author)

    fragment = check(browser, text="The library opens at 8.", account_ids=[newsroom.account_id])

    assert fragment.status_code == 200
    assert "badge-block" not in fragment.text
    for rule in ("account.authorized", "text.student_reference", "text.confidential"):
        assert rule in fragment.text
    assert "No student on the roster is named in the text." in fragment.text
    assert "needs designee" in fragment.text  # release.approver: a designee must approve

    without_target = check(browser, text="The library opens at 8.")
    assert "No account chosen" in without_target.text
    assert "Choose an account to see how the post looks there." in without_target.text


def test_the_check_without_htmx_is_a_whole_page(
    newsroom: Newsroom, browser_as: Callable[[Person], Browser]
) -> None:
    page = browser_as(newsroom.author).post("/posts/check", data={"text": "SSN 123-45-6789"})
    assert page.status_code == 200
    assert "<h1>Rule check</h1>" in page.text and "confidential details" in page.text
    assert "123-45-6789" not in page.text  # the rule hides the value it found


# --- seeing posts -----------------------------------------------------------------------


def test_the_posts_page_lists_what_the_caller_may_see(
    app: TestClient,
    newsroom: Newsroom,
    make_person: Callable[..., Person],
    browser_as: Callable[[Person], Browser],
) -> None:
    draft = draft_post(app, newsroom.author, newsroom.account_id, "Still a draft.")
    waiting = submitted(app, newsroom, "In review.")

    mine = browser_as(newsroom.author).get("/posts")
    assert (
        f'href="/posts/{draft["id"]}"' in mine.text
        and f'href="/posts/{waiting["id"]}"' in mine.text
    )
    assert 'href="/posts/new"' in mine.text
    only_drafts = browser_as(newsroom.author).get("/posts", status="draft")
    assert f'href="/posts/{draft["id"]}"' in only_drafts.text
    assert f'href="/posts/{waiting["id"]}"' not in only_drafts.text
    assert browser_as(newsroom.author).get("/posts", status="bogus").status_code == 422

    colleague = browser_as(make_person(Role.staff))
    assert "Still a draft." not in colleague.get("/posts").text
    for post in (draft, waiting):
        hidden = colleague.get(f"/posts/{post['id']}")
        assert hidden.status_code == 404 and "No post with id" in hidden.text

    designee = browser_as(newsroom.designee)
    assert designee.get(f"/posts/{draft['id']}").status_code == 404  # drafts are private
    assert designee.get(f"/posts/{waiting['id']}").status_code == 200

    auditor = browser_as(make_person(Role.auditor))
    listed = auditor.get("/posts")
    assert "Still a draft." in listed.text and 'href="/posts/new"' not in listed.text
    assert auditor.get("/posts/new").status_code == 403


# --- the author's actions ---------------------------------------------------------------


def test_the_author_edits_submits_and_withdraws(
    app: TestClient,
    newsroom: Newsroom,
    make_person: Callable[..., Person],
    browser_as: Callable[[Person], Browser],
) -> None:
    post = draft_post(app, newsroom.author, newsroom.account_id, "Frist draft.")
    browser = browser_as(newsroom.author)
    page = browser.get(f"/posts/{post['id']}")
    assert f'action="/posts/{post["id"]}/edit"' in page.text
    assert f'name="post_id" value="{post["id"]}"' in page.text  # the live check sees the media
    forms_carry_the_token(browser, page.text)

    edited = browser.post(
        f"/posts/{post['id']}/edit",
        data={"text": "First draft.", "account_ids": [str(newsroom.account_id)]},
    )
    redirected_to(edited, f"/posts/{post['id']}")
    assert api_post(app, newsroom.author, post["id"])["text"] == "First draft."

    redirected_to(browser.post(f"/posts/{post['id']}/submit"), f"/posts/{post['id']}")
    assert api_post(app, newsroom.author, post["id"])["status"] == "submitted"
    assert "is submitted for review" in browser.get(f"/posts/{post['id']}").text

    redirected_to(browser.post(f"/posts/{post['id']}/withdraw"), f"/posts/{post['id']}")
    assert api_post(app, newsroom.author, post["id"])["status"] == "withdrawn"

    again = browser.post(f"/posts/{post['id']}/withdraw")
    assert again.status_code == 409 and "Cannot withdraw a post that is withdrawn" in again.text
    refused_edit = browser.post(
        f"/posts/{post['id']}/edit",
        data={"text": "Too late.", "account_ids": [str(newsroom.account_id)]},
    )
    assert refused_edit.status_code == 409
    after = api_post(app, newsroom.author, post["id"])
    assert (after["status"], after["text"]) == ("withdrawn", "First draft.")

    other = draft_post(app, newsroom.author, newsroom.account_id, "Mine alone.")
    colleague = browser_as(make_person(Role.staff))
    assert colleague.post(f"/posts/{other['id']}/submit").status_code == 404
    assert colleague.post(f"/posts/{other['id']}/withdraw").status_code == 404
    assert api_post(app, newsroom.author, other["id"])["status"] == "draft"


def test_a_blocked_post_can_be_submitted_once_consent_is_on_file(
    app: TestClient,
    newsroom: Newsroom,
    add_student: Student,
    browser_as: Callable[[Person], Browser],
) -> None:
    jordan = add_student("Jordan Avery")
    post = draft_post(app, newsroom.author, newsroom.account_id, "Well done, Jordan Avery!")
    browser = browser_as(newsroom.author)
    page = browser.get(f"/posts/{post['id']}")
    assert "names students without written consent" in page.text

    refused = browser.post(f"/posts/{post['id']}/submit")
    assert refused.status_code == 422
    assert (
        "The policy blocks this post" in refused.text and "text.student_reference" in refused.text
    )
    assert api_post(app, newsroom.author, post["id"])["status"] == "draft"

    grant_consent(app, newsroom.superintendent, int(jordan["id"]), "name")
    redirected_to(browser.post(f"/posts/{post['id']}/recheck"), f"/posts/{post['id']}")
    rechecked = browser.get(f"/posts/{post['id']}")
    assert "badge-block" not in rechecked.text
    assert "Names students with written name consent" in rechecked.text

    redirected_to(browser.post(f"/posts/{post['id']}/submit"), f"/posts/{post['id']}")
    assert api_post(app, newsroom.author, post["id"])["status"] == "submitted"


# --- images ------------------------------------------------------------------------------


def test_an_image_is_uploaded_with_its_declaration_and_consented_students(
    app: TestClient,
    newsroom: Newsroom,
    add_student: Student,
    browser_as: Callable[[Person], Browser],
    group_photo: bytes,
) -> None:
    ana = add_student("Ana Lopez", consent="photo")
    ben = add_student("Ben Okafor", consent="both")
    cy = add_student("Cy Unconsented")
    post = draft_post(app, newsroom.author, newsroom.account_id, "Robotics team at state!")
    browser = browser_as(newsroom.author)
    page = browser.get(f"/posts/{post['id']}")
    assert 'enctype="multipart/form-data"' in page.text
    for choice in ("none", "group", "individual"):
        assert f'name="depicts" value="{choice}"' in page.text
    assert f'name="student_ids" value="{ana["id"]}"' in page.text
    assert f'name="student_ids" value="{ben["id"]}"' in page.text
    assert f'name="student_ids" value="{cy["id"]}"' not in page.text  # no photo consent

    uploaded = browser.post(
        f"/posts/{post['id']}/media",
        data={"depicts": "group", "student_ids": [str(ana["id"]), str(ben["id"])]},
        files={"file": ("team.jpg", group_photo, "image/jpeg")},
    )

    redirected_to(uploaded, f"/posts/{post['id']}")
    (item,) = api_post(app, newsroom.author, post["id"])["media"]
    assert (item["depicts"], item["student_ids"]) == ("group", [ana["id"], ben["id"]])
    shown = browser.get(f"/posts/{post['id']}")
    thumbnail = f'src="/api/v1/posts/{post["id"]}/media/{item["id"]}"'
    assert thumbnail in shown.text and "Ana Lopez, Ben Okafor" in shown.text
    assert "needs site admin" in shown.text  # media.group_students
    image = browser.get(f"/api/v1/posts/{post['id']}/media/{item['id']}")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"


def stored_media(session: Session, settings: Settings) -> tuple[int, int]:
    root = settings.media_dir / "posts"
    files = sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0
    return len(session.exec(select(PostMedia.id)).all()), files


@pytest.mark.parametrize(
    ("content", "filename", "content_type", "status", "says"),
    [
        (PDF, "scan.jpg", "image/jpeg", 422, "PDF document"),
        (b"<!DOCTYPE html><html></html>", "page.html", "text/html", 422, "HTML document"),
        (None, "big.jpg", "image/jpeg", 413, "2048 bytes"),
    ],
)
def test_a_bad_upload_gets_the_apis_status_and_stores_nothing(
    app: TestClient,
    newsroom: Newsroom,
    browser_as: Callable[[Person], Browser],
    session: Session,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    landscape: bytes,
    content: bytes | None,
    filename: str,
    content_type: str,
    status: int,
    says: str,
) -> None:
    monkeypatch.setenv("IMPRIMATUR_MAX_UPLOAD_BYTES", "2048")
    get_settings.cache_clear()
    post = draft_post(app, newsroom.author, newsroom.account_id, "A photo, maybe.")
    before = (api_post(app, newsroom.author, post["id"]), stored_media(session, settings))

    refused = browser_as(newsroom.author).post(
        f"/posts/{post['id']}/media",
        data={"depicts": "none"},
        files={"file": (filename, content or landscape, content_type)},
    )

    assert refused.status_code == status
    assert says in refused.text and refused.headers["content-type"].startswith("text/html")
    assert (api_post(app, newsroom.author, post["id"]), stored_media(session, settings)) == before


# --- review ------------------------------------------------------------------------------


def test_the_review_queue_holds_others_submitted_posts(
    app: TestClient, newsroom: Newsroom, browser_as: Callable[[Person], Browser]
) -> None:
    app.post(
        f"/api/v1/accounts/{newsroom.account_id}/stewards",
        json={"email": newsroom.designee.email},
        headers=newsroom.superintendent.headers,
    )
    theirs = submitted(app, newsroom, "From the author.")
    own = draft_post(app, newsroom.designee, newsroom.account_id, "From the designee.")
    app.post(f"/api/v1/posts/{own['id']}/submit", headers=newsroom.designee.headers)
    draft = draft_post(app, newsroom.author, newsroom.account_id, "Not submitted.")

    queue = browser_as(newsroom.designee).get("/review")

    assert queue.status_code == 200
    assert f'href="/review/{theirs["id"]}"' in queue.text
    assert f'href="/review/{own["id"]}"' not in queue.text
    assert f'href="/review/{draft["id"]}"' not in queue.text
    own_page = browser_as(newsroom.designee).get(f"/review/{own['id']}")
    assert "This is your own post" in own_page.text and 'action="/review/' not in own_page.text
    assert browser_as(newsroom.author).get("/review").status_code == 403


def test_the_review_page_shows_the_diff_rules_and_targets(
    app: TestClient, newsroom: Newsroom, browser_as: Callable[[Person], Browser]
) -> None:
    post = submitted(app, newsroom, "Concert at 7.\nBring a friend.")
    edited = app.patch(
        f"/api/v1/posts/{post['id']}",
        json={"text": "Concert at 8.\nBring a friend."},
        headers=newsroom.author.headers,
    )
    assert edited.json()["revision"] == 2

    browser = browser_as(newsroom.designee)
    page = browser.get(f"/review/{post['id']}")

    assert page.status_code == 200
    assert '<span class="removed">-Concert at 7.</span>' in page.text
    assert '<span class="added">+Concert at 8.</span>' in page.text
    assert '<span class="context"> Bring a friend.</span>' in page.text
    assert "release.approver" in page.text and "x @RiverbendTech" in page.text
    assert f'name="revision_id" value="{edited.json()["revision_id"]}"' in page.text
    for action in ("approve", "request-changes", "reject"):
        assert f'action="/review/{post["id"]}/{action}"' in page.text
    forms_carry_the_token(browser, page.text)


@pytest.mark.parametrize(
    ("action", "comment", "status"),
    [
        ("approve", "", "approved"),
        ("request-changes", "Add the room number.", "changes_requested"),
        ("reject", "Not for this account.", "rejected"),
    ],
)
def test_a_review_decision_changes_the_status(
    app: TestClient,
    newsroom: Newsroom,
    browser_as: Callable[[Person], Browser],
    action: str,
    comment: str,
    status: str,
) -> None:
    post = submitted(app, newsroom, "Parent night on Thursday.")
    browser = browser_as(newsroom.designee)

    decided = browser.post(
        f"/review/{post['id']}/{action}",
        data={"revision_id": str(post["revision_id"]), "comment": comment},
    )

    redirected_to(decided, "/review")
    after = api_post(app, newsroom.author, post["id"])
    assert after["status"] == status
    (decision,) = after["decisions"]
    assert (decision["reviewer"], decision["comment"]) == (newsroom.designee.email, comment)
    assert f"it is now {status.replace('_', ' ')}" in browser.get("/review").text


def test_changes_or_rejection_without_a_comment_is_refused(
    app: TestClient, newsroom: Newsroom, browser_as: Callable[[Person], Browser]
) -> None:
    post = submitted(app, newsroom, "Parent night on Thursday.")
    browser = browser_as(newsroom.designee)
    for action in ("request-changes", "reject"):
        refused = browser.post(
            f"/review/{post['id']}/{action}", data={"revision_id": str(post["revision_id"])}
        )
        assert refused.status_code == 422 and "comment" in refused.text
    after = api_post(app, newsroom.author, post["id"])
    assert (after["status"], after["decisions"]) == ("submitted", [])


def test_a_decision_on_a_stale_revision_is_a_409_and_changes_nothing(
    app: TestClient, newsroom: Newsroom, browser_as: Callable[[Person], Browser]
) -> None:
    post = submitted(app, newsroom, "Game on Friday.")
    browser = browser_as(newsroom.designee)
    assert browser.get(f"/review/{post['id']}").status_code == 200
    app.patch(  # the author changes it while the reviewer is reading
        f"/api/v1/posts/{post['id']}",
        json={"text": "Game on Saturday."},
        headers=newsroom.author.headers,
    )
    before = api_post(app, newsroom.author, post["id"])

    stale = browser.post(
        f"/review/{post['id']}/approve", data={"revision_id": str(post["revision_id"])}
    )

    assert stale.status_code == 409
    assert "This changed in the meantime" in stale.text and "revision 2" in stale.text
    assert api_post(app, newsroom.author, post["id"]) == before


def test_a_group_photo_needs_a_site_administrators_approval(
    app: TestClient,
    newsroom: Newsroom,
    add_student: Student,
    browser_as: Callable[[Person], Browser],
    group_photo: bytes,
) -> None:
    ids = [str(add_student(name, consent="photo")["id"]) for name in ("Ana Lopez", "Ben Okafor")]
    post = draft_post(app, newsroom.author, newsroom.account_id, "Robotics team at state!")
    author = browser_as(newsroom.author)
    author.post(
        f"/posts/{post['id']}/media",
        data={"depicts": "group", "student_ids": ids},
        files={"file": ("team.jpg", group_photo, "image/jpeg")},
    )
    redirected_to(author.post(f"/posts/{post['id']}/submit"), f"/posts/{post['id']}")
    revision_id = str(api_post(app, newsroom.author, post["id"])["revision_id"])

    designee = browser_as(newsroom.designee)
    redirected_to(
        designee.post(f"/review/{post['id']}/approve", data={"revision_id": revision_id}), "/review"
    )
    waiting = api_post(app, newsroom.author, post["id"])
    assert (waiting["status"], waiting["needs"]) == ("submitted", ["site_admin"])

    site_admin = browser_as(newsroom.site_admin)
    page = site_admin.get(f"/review/{post['id']}")
    assert "needs site admin" in page.text and f"/api/v1/posts/{post['id']}/media/" in page.text
    assert f'href="/review/{post["id"]}"' in site_admin.get("/review").text
    redirected_to(
        site_admin.post(f"/review/{post['id']}/approve", data={"revision_id": revision_id}),
        "/review",
    )
    assert api_post(app, newsroom.author, post["id"])["status"] == "approved"


# --- refusals common to every form -------------------------------------------------------


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    app: TestClient, newsroom: Newsroom, browser_as: Callable[[Person], Browser]
) -> None:
    post = submitted(app, newsroom, "Field trip.")
    browser_as(newsroom.author)
    created = app.post(
        "/posts",
        data={"text": "Forged.", "account_ids": [str(newsroom.account_id)]},
        headers={"accept": "text/html"},
        follow_redirects=False,
    )
    assert created.status_code == 400
    browser_as(newsroom.designee)
    approved = app.post(
        f"/review/{post['id']}/approve",
        data={"revision_id": str(post["revision_id"])},
        headers={"accept": "text/html"},
        follow_redirects=False,
    )
    assert approved.status_code == 400
    assert [p["id"] for p in api_posts(app, newsroom.author)] == [post["id"]]
    assert api_post(app, newsroom.author, post["id"])["status"] == "submitted"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/posts/{id}"),
        ("POST", "/posts/{id}/edit"),
        ("POST", "/posts/{id}/submit"),
        ("POST", "/posts/{id}/withdraw"),
        ("POST", "/posts/{id}/recheck"),
        ("GET", "/review/{id}"),
        ("POST", "/review/{id}/approve"),
    ],
)
def test_ids_beyond_64_bits_are_a_4xx_page(
    superintendent: Person, browser_as: Callable[[Person], Browser], method: str, path: str
) -> None:
    browser = browser_as(superintendent)
    url = path.format(id=2**70)
    form: dict[str, object] = {"text": "x", "account_ids": ["1"], "revision_id": str(2**70)}
    response = browser.get(url) if method == "GET" else browser.post(url, data=form)
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith("text/html")
