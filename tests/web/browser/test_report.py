"""Reports from people in a real browser: a visitor reports a lookalike from /verify and gets
a reference, a designee finds it in the findings queue, and the rate limit says so clearly.

Every test reports from its own client address (uvicorn trusts X-Forwarded-For from
127.0.0.1), so the tests do not share the server's per-address budget.
"""

import io
import re
import secrets
from collections.abc import Callable
from urllib.parse import quote

from PIL import Image
from playwright.sync_api import Page, expect

from service.users.models import Role
from tests.web.browser.conftest import REPORT_LIMIT, PageAs, Shots

REFERENCE = re.compile(r"R-[A-Z2-7]{8}")


def lookalike() -> str:
    """A handle no other test (or run) reports: 15 characters at most, as X allows."""
    return f"RiverbendT{secrets.token_hex(2)}"


def screenshot() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), (180, 20, 20)).save(buffer, "PNG")
    return buffer.getvalue()


def visitor(anonymous: Callable[..., Page], handle: str) -> Page:
    page: Page = anonymous("/")
    page.context.set_extra_http_headers(
        {"X-Forwarded-For": f"198.51.100.{secrets.randbelow(250) + 1}"}
    )
    page.goto("/verify?url=" + quote(f"https://x.com/{handle}", safe=""))
    expect(page.locator(".verdict")).to_contain_text("not an official account")
    return page


def send(page: Page, handle: str, description: str = "") -> None:
    expect(page.get_by_label("Address (URL) of the suspicious account")).to_have_value(
        f"https://x.com/{handle}"
    )
    if description:
        page.get_by_label("What did you see?").fill(description)
    page.get_by_role("button", name="Send the report").click()


def test_a_visitor_reports_a_lookalike_and_a_designee_finds_it(
    anonymous: Callable[..., Page], page_as: PageAs, shots: Shots
) -> None:
    handle = lookalike()
    public = visitor(anonymous, handle)
    shots.take(public, "report-form")
    public.get_by_label("What did you see?").fill("It messages parents about fees.")
    public.get_by_label("Your email, if we may contact you").fill("parent@example.org")
    public.get_by_label("Screenshot").set_input_files(
        {"name": "shot.png", "mimeType": "image/png", "buffer": screenshot()}
    )
    send(public, handle)
    expect(public.get_by_role("heading", level=1)).to_have_text("Thank you for your report")
    reference = public.locator(".report-reference").inner_text()
    assert REFERENCE.fullmatch(reference), reference
    assert "score" not in public.locator("main").inner_text().lower()
    shots.take(public, "report-thanks")

    designee = page_as(Role.designee, path="/findings?source=report")
    designee.get_by_role("link", name=f"@{handle}").click()
    main = designee.locator("main")
    expect(main).to_contain_text(reference)
    expect(main).to_contain_text("It messages parents about fees.")
    link = designee.get_by_role("link", name=f"Screenshot of report {reference}")
    # Fetched, not opened: Chromium's own image viewer uses inline styles the CSP refuses.
    shown = designee.request.get(str(link.get_attribute("href")))
    assert (shown.status, shown.headers["content-type"]) == (200, "image/png")
    shots.take(designee, "report-on-finding")


def test_the_rate_limit_shows_a_clear_message(anonymous: Callable[..., Page], shots: Shots) -> None:
    handle = lookalike()
    page = visitor(anonymous, handle)
    for number in range(REPORT_LIMIT):
        send(page, handle, f"report {number + 1}")
        expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your report")
        page.goto("/verify?url=" + quote(f"https://x.com/{handle}", safe=""))
    send(page, handle, "one too many")
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many reports")
    expect(page.get_by_role("alert")).to_contain_text("please try again in")
    shots.take(page, "report-rate-limited")
