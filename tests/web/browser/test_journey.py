"""The journey of issue 7, clicked through in a real browser against `imprimatur serve --demo`.

One test, in steps that build on each other (each step's failure names the step and shows
what the page said): the superintendent authorizes a requested account; staff compose a post
with a group photo that names a student without consent and see the policy block it; the
site administrator records the consent; staff submit; the site administrator and a designee
approve; the embedded publisher publishes it to the simulated platform; a scan started from
the scans page finds an impostor; the superintendent confirms it and downloads the evidence
pack; the public verify page tells the official account from the lookalike, and the public
directory lists the account authorized at the start.
"""

import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import FilePayload, Page, expect

from service.demo.roster import DEMO_FORM
from service.users.models import Role
from tests.web.browser.conftest import LiveServer, PageAs, Shots, group_photo, main_text

REQUESTED = "riverbend_welding"  # the demo's pending account request (TikTok)
IMPOSTOR = "RlverbendTech"  # the demo's impostor of @RiverbendTech on X (l for i)
UNCONSENTED = "Lena Okonkwo"  # on the demo roster with a guardian, no consent yet
IN_THE_PHOTO = ("Avery Castillo", "Noah Brennan", "Mei Tanaka")  # photo consent on file
TEXT = f"Congratulations to {UNCONSENTED} and the welding class on a great open house!"
WAIT_SECONDS = 20


class Steps:
    """Names the step that failed and shows the page it failed on."""

    def __init__(self) -> None:
        self.page: Page | None = None  # the page the current step works on

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        try:
            yield
        except (AssertionError, PlaywrightError) as error:
            seen = ""
            if self.page is not None and not self.page.is_closed():
                seen = f"\n--- {self.page.url} says:\n{main_text(self.page)}"
            raise AssertionError(f"step '{name}' failed: {error}{seen}") from error


def flash(page: Page) -> str:
    return page.locator(".flash").inner_text() if page.locator(".flash").count() else ""


def reload_until(page: Page, ready: Callable[[], bool], what: str) -> None:
    """Reload the page (as a person waiting for a job would) until `ready()`."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not ready():
        assert time.monotonic() < deadline, f"{what}: not within {WAIT_SECONDS} s"
        time.sleep(0.5)
        page.reload()


def test_the_issue_journey_from_account_request_to_public_verification(
    live_server: LiveServer,
    page_as: PageAs,
    anonymous: Callable[..., Page],
    shots: Shots,
) -> None:
    step = Steps()

    with step("the superintendent authorizes the requested account"):
        boss = step.page = page_as(Role.superintendent)
        shots.take(boss, "dashboard", docs="dashboard.png")
        boss.goto("/accounts?status=requested")
        boss.get_by_role("link", name=f"@{REQUESTED}").click()
        boss.get_by_label("Reason for authorizing").fill("Welding program news, run by Jordan.")
        boss.get_by_role("button", name="Authorize").click()
        assert f"Authorized @{REQUESTED}: it is now authorized." in flash(boss)
        shots.take(boss, "account-authorized")

    with step("staff compose a post naming a student without consent and see the live check"):
        staff = step.page = page_as(Role.staff, path="/posts/new")
        staff.get_by_label("x @RiverbendTech").check()
        staff.get_by_label("Text", exact=True).fill(TEXT)  # htmx checks the rules as one types
        live = staff.locator("#rule-results")
        expect(live).to_contain_text("text.student_reference")
        expect(live).to_contain_text(f'"{UNCONSENTED}"')
        staff.get_by_role("button", name="Save draft").click()
        assert re.search(r"Draft #\d+ saved", flash(staff)), flash(staff)
        post_url = staff.url
        assert re.search(r"/posts/\d+$", post_url), post_url
        post_id = int(post_url.rsplit("/", 1)[1])

    with step("staff attach a group photo of consented students"):
        staff.get_by_label("Image (JPEG, PNG, WebP or GIF)").set_input_files(
            FilePayload(name="welding-class.jpg", mimeType="image/jpeg", buffer=group_photo())
        )
        staff.get_by_label("A group of students").check()
        for name in IN_THE_PHOTO:
            staff.get_by_label(name).check()
        staff.get_by_role("button", name="Attach image").click()
        assert "welding-class.jpg is attached" in flash(staff), flash(staff)
        expect(staff.locator("figure.media-preview")).to_contain_text("4 faces found")
        blocked = staff.locator(".rule-results li", has_text="text.student_reference")
        expect(blocked.locator(".badge")).to_have_text("block")
        expect(blocked).to_contain_text(UNCONSENTED)
        shots.take(staff, "post-blocked", docs="post-blocked.png")

    with step("the policy refuses the submission"):
        staff.get_by_role("button", name="Submit for review").click()
        expect(staff.locator("[role=alert]")).to_contain_text("The policy blocks this post")
        expect(staff.locator("[role=alert]")).to_contain_text("text.student_reference")
        shots.take(staff, "submit-refused")
        staff.goto(post_url)
        expect(staff.locator("h1 .badge")).to_have_text("draft")

    with step("the site administrator records the guardian's consent with the signed form"):
        admin = step.page = page_as(Role.site_admin, path="/consents")
        admin.get_by_role("link", name=UNCONSENTED).first.click()
        admin.get_by_label("Granted by").select_option(label="Grace Okonkwo (mother)")
        admin.get_by_label("Covers").select_option("both")
        admin.get_by_label("Granted on").fill(datetime.now(UTC).date().isoformat())
        admin.get_by_label("The signed form").set_input_files(
            FilePayload(name="okonkwo-consent.pdf", mimeType="application/pdf", buffer=DEMO_FORM)
        )
        admin.get_by_role("button", name="Record the consent").click()
        assert "recorded with its signed form" in flash(admin), flash(admin)
        consents = admin.get_by_role("region", name="Consents table")
        expect(consents.locator(".badge")).to_have_text("valid")
        shots.take(admin, "consent-recorded")

    with step("staff check the rules again and submit"):
        step.page = staff
        staff.goto(post_url)
        staff.get_by_role("button", name="Check the rules again").click()
        named = staff.locator(".rule-results li", has_text="text.student_reference")
        expect(named.locator(".badge")).to_have_text("pass")
        staff.get_by_role("button", name="Submit for review").click()
        assert f"Post #{post_id} is submitted for review." in flash(staff), flash(staff)
        expect(staff.locator("h1 .badge")).to_have_text("submitted")

    with step("the site administrator approves the group photo"):
        step.page = admin
        admin.goto("/review")
        admin.locator(f"a[href='/review/{post_id}']").first.click()
        shots.take(admin, "review")
        admin.get_by_role("button", name="Approve").click()
        # The group photo needed a site administrator; the release still needs a designee.
        assert f"You approved post #{post_id}; it is now submitted." in flash(admin), flash(admin)

    with step("a designee approves the release"):
        designee = step.page = page_as(Role.designee, path=f"/review/{post_id}")
        designee.get_by_role("button", name="Approve").click()
        assert f"You approved post #{post_id}; it is now approved." in flash(designee), flash(
            designee
        )

    with step("the embedded publisher publishes it to the simulated platform"):
        step.page = staff
        staff.goto(post_url)
        reload_until(
            staff,
            lambda: staff.locator("h1 .badge").inner_text() == "published",
            "the post page never showed the post as published",
        )
        expect(staff.get_by_role("link", name="View on the platform")).to_be_visible()
        published = [
            json.loads(line)
            for line in live_server.published_path.read_text(encoding="utf-8").splitlines()
        ]
        assert any(TEXT in json.dumps(event) for event in published), published
        shots.take(staff, "post-published")

    with step("the superintendent starts a scan and waits for it to finish"):
        step.page = boss
        boss.goto("/findings/scans")
        boss.get_by_label("Platform").select_option("x")
        boss.get_by_role("button", name="Start a scan").click()
        queued = re.search(r"Scan (\d+) of x is queued", flash(boss))
        assert queued, flash(boss)
        run = boss.locator(f"xpath=//tbody/tr[normalize-space(td[1]/text()[1])='{queued[1]}']")
        reload_until(
            boss,
            lambda: "finished" in run.locator(".badge").inner_text(),
            f"scan {queued[1]} did not finish",
        )

    with step("the superintendent confirms the impostor"):
        boss.goto("/findings?platform=x")
        boss.get_by_role("link", name=f"@{IMPOSTOR}").click()
        expect(boss.locator("h1")).to_contain_text(IMPOSTOR)
        shots.take(boss, "finding", docs="finding.png")
        boss.get_by_role("button", name="Confirm impersonation").click()
        assert "is now confirmed impersonation" in flash(boss), flash(boss)

    with step("the superintendent downloads the evidence pack"):
        with boss.expect_download() as download:
            boss.get_by_role("link", name="Download the evidence pack").click()
        pack = download.value.path().read_text(encoding="utf-8")
        assert IMPOSTOR in pack and "SHA-256" in pack, pack[:2000]
        assert re.search(r"\b[0-9a-f]{64}\b", pack), "no SHA-256 digest in the evidence pack"

    with step("the public verify page tells the official account from the lookalike"):
        public = step.page = anonymous("/verify")
        public.get_by_label("Paste the address (URL) of the account").fill(
            f"https://www.tiktok.com/@{REQUESTED}"
        )
        public.get_by_role("button", name="Check").click()
        expect(public.locator(".verdict")).to_contain_text("Yes — official")
        shots.take(public, "verify-official")
        public.get_by_label("Paste the address (URL) of the account").fill(
            f"https://x.com/{IMPOSTOR}"
        )
        public.get_by_role("button", name="Check").click()
        expect(public.locator(".verdict")).to_contain_text("not an official account")
        shots.take(public, "verify-lookalike")
        public.get_by_role("link", name="Official accounts").first.click()
        expect(public.locator("main")).to_contain_text(f"@{REQUESTED}")
