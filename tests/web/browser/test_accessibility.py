"""Every main page, as the role that uses it, has no serious or critical axe-core violation,
and the dashboard fits a phone's width.

The data the pages show (a blocked draft with a group photo, a submitted post) is set up
through the JSON API: what is tested here is the pages, not how the data got there.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, ViewportSize

from service.users.models import Role
from tests.web.browser.conftest import (
    LiveServer,
    PageAs,
    Shots,
    axe_violations,
    expect_ok,
    group_photo,
)

PHONE: ViewportSize = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Sample:
    """Ids of things the pages under test show."""

    account: int
    blocked_draft: int
    submitted_post: int
    student: int
    finding: int


def _students(server: LiveServer) -> dict[str, int]:
    with server.api(Role.superintendent) as api:
        response = api.get("/api/v1/students")
    assert response.status_code == 200, response.text
    return {student["full_name"]: student["id"] for student in response.json()}


def _first_finding(server: LiveServer) -> int:
    """The scans `serve` runs on start find the demo's impostors within seconds."""
    deadline = time.monotonic() + 20
    with server.api(Role.superintendent) as api:
        while time.monotonic() < deadline:
            found = api.get("/api/v1/findings").json()
            if found:
                return int(found[0]["id"])
            time.sleep(0.2)
    raise AssertionError(f"no finding after the start-up scans:\n{server.log()}")


@pytest.fixture(scope="module")
def sample(live_server: LiveServer) -> Sample:
    students = _students(live_server)
    with live_server.api(Role.staff) as staff, live_server.api(Role.superintendent) as boss:
        register = boss.get("/api/v1/accounts").json()
        x_account = next(
            a for a in staff.get("/api/v1/accounts").json() if a["handle"] == "RiverbendTech"
        )
        blocked = staff.post(
            "/api/v1/posts",
            json={
                "account_ids": [x_account["id"]],
                "text": "Congratulations to Lena Okonkwo on her welding certificate!",
            },
        ).json()
        attached = staff.post(
            f"/api/v1/posts/{blocked['id']}/media",
            files={"file": ("class.jpg", group_photo(), "image/jpeg")},
            data={
                "depicts": "group",
                "student_ids": f"{students['Avery Castillo']},{students['Noah Brennan']}",
            },
        )
        assert attached.status_code == 200, attached.text
        plain = staff.post(
            "/api/v1/posts",
            json={"account_ids": [x_account["id"]], "text": "Open house Saturday at 10."},
        ).json()
        submitted = staff.post(f"/api/v1/posts/{plain['id']}/submit")
        assert submitted.status_code == 200, submitted.text
    return Sample(
        # The demo's pending request (the journey authorizes it; either way a full page).
        account=next(a["id"] for a in register if a["handle"] == "riverbend_welding"),
        blocked_draft=blocked["id"],
        submitted_post=plain["id"],
        student=students["Lena Okonkwo"],
        finding=_first_finding(live_server),
    )


def pages_for(sample: Sample) -> dict[Role | None, list[str]]:
    """The pages to check, each as a role that works with it (None: a signed-out visitor)."""
    return {
        None: [
            "/",
            "/verify?url=https://x.com/RiverbendTech",
            "/verify?url=https://x.com/RlverbendTech",
            "/verify?url=not-a-url",
            "/directory",
            "/login",
        ],
        Role.superintendent: [
            "/",
            "/accounts",
            f"/accounts/{sample.account}",
            "/findings",
            f"/findings/{sample.finding}",
            "/findings/scans",
            "/audit",
            f"/consents/students/{sample.student}",
            "/users",
            f"/accounts/{sample.account}/approval-steps",
            "/records",
        ],
        Role.staff: [
            "/",
            "/posts",
            "/posts/new",
            f"/posts/{sample.blocked_draft}",
            "/report/staff",
        ],
        Role.site_admin: [
            "/review",
            f"/review/{sample.submitted_post}",
            "/consents",
            "/consents/students/new",
            "/consents/import",
        ],
        Role.auditor: [f"/posts/{sample.submitted_post}", "/records"],  # read-only: no forms
    }


def check_pages(page: Page, paths: list[str], who: str) -> list[str]:
    """axe-core on each path; a readable line per problem (all pages, then one assertion)."""
    problems = []
    for path in paths:
        page.goto(path)
        expect_ok(page)
        for v in axe_violations(page):
            nodes = "\n      ".join(v["nodes"])
            problems.append(f"{path} as {who}: {v['impact']} {v['id']}: {v['help']}\n      {nodes}")
    return problems


@pytest.mark.parametrize(
    "role",
    [None, Role.superintendent, Role.staff, Role.site_admin, Role.auditor],
    ids=lambda role: role.value if role else "public",
)
def test_main_pages_have_no_serious_accessibility_violations(
    role: Role | None,
    sample: Sample,
    page_as: PageAs,
    anonymous: Callable[..., Page],
    shots: Shots,
) -> None:
    # bypass_csp: axe-core is injected as an inline script, which the strict CSP refuses.
    page = anonymous("/", bypass_csp=True) if role is None else page_as(role, bypass_csp=True)
    who = role.value if role else "a signed-out visitor"
    problems = check_pages(page, pages_for(sample)[role], who)
    shots.take(page, "last-page")
    assert not problems, "axe-core found serious or critical violations:\n" + "\n".join(problems)


def test_pages_fit_a_phone_without_sideways_scrolling(
    sample: Sample, page_as: PageAs, shots: Shots
) -> None:
    """The dashboard, the pages with the widest tables (which must scroll inside their own
    box, not the page) and a post with a large photo."""
    pages = {
        Role.superintendent: [
            "/",
            "/accounts",
            "/findings",
            f"/findings/{sample.finding}",
            "/findings/scans",
            "/audit",
            "/consents",
        ],
        Role.staff: [f"/posts/{sample.blocked_draft}"],  # a draft only its author sees
    }
    too_wide = []
    for role, paths in pages.items():
        page = page_as(role, viewport=PHONE)
        for path in paths:
            page.goto(path)
            expect_ok(page)
            widths = page.evaluate(
                "() => ({viewport: window.innerWidth, document:"
                " document.documentElement.scrollWidth, body: document.body.scrollWidth})"
            )
            assert widths["viewport"] == PHONE["width"]
            if max(widths["document"], widths["body"]) > widths["viewport"]:
                too_wide.append(f"{path} as {role.value}: {widths}")
                shots.take(page, "too-wide")
            if path == "/":
                shots.take(page, "dashboard-phone")
    assert not too_wide, f"wider than a {PHONE['width']} px phone:\n" + "\n".join(too_wide)
