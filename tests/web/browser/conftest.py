"""Real-browser tests: the real `imprimatur serve --demo` in a subprocess, driven by Chromium.

- `live_server` (one per session): `imprimatur db upgrade` then `imprimatur serve --demo` on
  a free port, with a SQLite file, media and the simulated platform's output in a temporary
  folder and the embedded jobs ticking every second. Its log is attached to a failing test.
- `browser` (one per session): Debian's Chromium through Playwright, headless. Playwright's own
  browser downloads are never used. Without /usr/bin/chromium the tests skip, except under CI.
- `page_as(role)`: a fresh browser context signed in through the demo sign-in on /login.
  Pages accept `window.confirm` (action forms ask before submitting) and fail the test on a
  JavaScript error or a Content Security Policy violation.
- `shots`: screenshots of a test's key steps into a temporary folder (and of every open page
  when a test fails); `UPDATE_SCREENSHOTS=1` also copies the chosen ones into docs/screenshots/.
"""

import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import httpx2
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Response,
    ViewportSize,
    expect,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError
from skimage import data as skimage_data

from service.demo import DEMO_USERS
from service.users.models import Role
from service.web.errors import TITLES
from tests.conftest import service_unavailable

ROOT = Path(__file__).resolve().parents[3]
CLI = Path(sys.executable).with_name("imprimatur")  # installed beside the running Python
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_SCRIPT = ROOT / "tests" / "web" / "assets" / "axe-4.14.1.min.js"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
UPDATE_SCREENSHOTS = os.environ.get("UPDATE_SCREENSHOTS", "") == "1"
STARTUP_SECONDS = 30
ANSI = re.compile(r"\x1b\[[0-9;]*m")
TOKEN_LINE = re.compile(r"^\s+(\w+)\s+\S+@\S+\s+(imp_\S+)\s*$", re.MULTILINE)
DEMO_NAMES: dict[Role, str] = {role: name for _, role, name in DEMO_USERS}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}

ERROR_TITLES = {*TITLES.values(), "Something went wrong", "Request refused"}
REPORT_LIMIT = 3  # public reports per client address per hour, on the test server
TIMEOUT_MS = 10_000  # for one action or expectation; generous for a loaded CI machine
expect.set_options(timeout=TIMEOUT_MS)


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class LiveServer:
    """A running `imprimatur serve --demo` and the folder it keeps its state in."""

    url: str
    workdir: Path
    log_path: Path
    process: subprocess.Popen[bytes]

    @property
    def published_path(self) -> Path:
        """Where the demo's simulated platform records what it published."""
        return self.workdir / "simulated-published.jsonl"

    def tokens(self) -> dict[Role, str]:
        """The demo users' API tokens, as `serve --demo` prints them (for setting up data)."""
        found = {Role(role): token for role, token in TOKEN_LINE.findall(self.log(last=10_000))}
        assert set(found) == set(Role), f"demo tokens missing from the log:\n{self.log()}"
        return found

    def api(self, role: Role) -> httpx2.Client:
        """A JSON API client authenticated as the demo user of `role`."""
        return httpx2.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {self.tokens()[role]}"},
            timeout=10,
        )

    def log(self, last: int = 150) -> str:
        text = ANSI.sub("", self.log_path.read_text(encoding="utf-8", errors="replace"))
        return "\n".join(text.splitlines()[-last:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def server_environment(workdir: Path, port: int) -> dict[str, str]:
    """The parent's environment without any IMPRIMATUR_* of the developer's, plus the test's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMPRIMATUR_")}
    env.update(
        {
            "IMPRIMATUR_DATABASE_URL": f"sqlite:///{workdir / 'imprimatur.db'}",
            "IMPRIMATUR_MEDIA_DIR": str(workdir / "media"),
            "IMPRIMATUR_BASE_URL": f"http://127.0.0.1:{port}",
            "IMPRIMATUR_SIMULATED_PUBLISHED_PATH": str(workdir / "simulated-published.jsonl"),
            "IMPRIMATUR_PUBLISH_INTERVAL_SECONDS": "1",
            "IMPRIMATUR_MAIL_INTERVAL_SECONDS": "1",
            "IMPRIMATUR_REMINDER_INTERVAL_SECONDS": "1",
            "IMPRIMATUR_SCAN_CHECK_INTERVAL_SECONDS": "1",
            "IMPRIMATUR_JOBS_BACKEND": "embedded",
            # Low, so a test can reach it; each test reports from its own X-Forwarded-For.
            "IMPRIMATUR_REPORT_RATE_LIMIT": f"{REPORT_LIMIT}/3600",
            "NO_COLOR": "1",
        }
    )
    return env  # no IMPRIMATUR_SMTP_HOST: mail stays in the outbox


def start_server(workdir: Path) -> LiveServer:
    if not CLI.exists():
        pytest.fail(f"{CLI} is missing: run `make test` once to build the virtualenv")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = server_environment(workdir, port)
    log_path = workdir / "server.log"
    upgrade = subprocess.run(
        [str(CLI), "db", "upgrade"], cwd=workdir, env=env, capture_output=True, timeout=120
    )
    if upgrade.returncode != 0:
        pytest.fail(
            f"`imprimatur db upgrade` failed:\n{upgrade.stdout.decode()}\n{upgrade.stderr.decode()}"
        )
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(CLI), "serve", "--demo", "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", workdir, log_path, process)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{server.log()}")
        try:
            if httpx2.get(f"{server.url}/readyz", timeout=2).status_code == 200:
                return server
        except httpx2.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    pytest.fail(f"the server did not answer /readyz within {STARTUP_SECONDS} s:\n{server.log()}")


@pytest.fixture(scope="session")
def live_server(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One demo server for the whole run (starting one takes seconds): every test finds its
    own objects by id or name and never relies on the absence of another test's data. It
    depends on `browser` so that a missing Chromium skips before anything is started."""
    server = start_server(tmp_path_factory.mktemp("server"))
    yield server
    server.stop()


# --- test data ---------------------------------------------------------------------------


@cache
def group_photo() -> bytes:
    """Four real faces as in tests/posts: scikit-image's astronaut photograph tiled 2 x 2."""
    face = skimage_data.astronaut()  # type: ignore[no-untyped-call]
    buffer = io.BytesIO()
    Image.fromarray(np.vstack([np.hstack([face, face])] * 2)).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


# --- the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        service_unavailable(
            f"Chromium not found at {CHROMIUM}: install Debian's package (apt-get install "
            "chromium); Playwright's own browser downloads are not used"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


class Shots:
    """Screenshots of one test's key steps, numbered in order."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.taken: list[Path] = []

    def take(self, page: Page, name: str, *, docs: str | None = None) -> Path:
        """Save the whole page as `NN-name.png`; `docs="x.png"` also refreshes
        docs/screenshots/x.png with the first screenful when UPDATE_SCREENSHOTS=1."""
        page.wait_for_load_state("load")  # images included
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        page.screenshot(path=path, full_page=True)
        self.taken.append(path)
        if docs is not None and UPDATE_SCREENSHOTS:
            screenful = self.folder / f"{len(self.taken):02d}-{name}-screenful.png"
            page.screenshot(path=screenful)
            publish_screenshot(screenful, docs)
        return path


def publish_screenshot(path: Path, name: str) -> None:
    """Copy a screenshot into the documentation (the tests call it only when asked to)."""
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, DOCS_SCREENSHOTS / name)


@pytest.fixture(scope="session")
def screenshot_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def shots(screenshot_root: Path, request: pytest.FixtureRequest) -> Shots:
    return Shots(screenshot_root / re.sub(r"[^\w.-]+", "_", request.node.name))


class PageAs(Protocol):
    def __call__(
        self,
        role: Role,
        *,
        path: str = "/",
        viewport: ViewportSize | None = None,
        bypass_csp: bool = False,
    ) -> Page: ...


@dataclass
class OpenPages:
    """Every page a test opened, and what went wrong in them that no assertion looks at:
    a server error, a JavaScript error, a Content Security Policy violation."""

    pages: list[Page] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def watch(self, page: Page, label: str) -> None:
        self.pages.append(page)
        page.on("dialog", lambda dialog: dialog.accept())

        def on_console(message: ConsoleMessage) -> None:
            if "Content Security Policy" in message.text:
                self.problems.append(f"{label}: {message.text} (at {page.url})")

        def on_response(response: Response) -> None:
            if response.status >= 500:
                self.problems.append(f"{label}: HTTP {response.status} from {response.url}")

        page.on("console", on_console)
        page.on("response", on_response)
        page.on(
            "pageerror",
            lambda error: self.problems.append(f"{label}: JavaScript error {error} at {page.url}"),
        )


@pytest.fixture
def open_pages(request: pytest.FixtureRequest, screenshot_root: Path) -> OpenPages:
    # screenshot_root is requested so that a failure report finds it among the test's fixtures
    watched = OpenPages()
    request.node.open_pages = watched  # for the failure screenshots below
    return watched


def new_context(
    browser: Browser,
    server: LiveServer,
    *,
    viewport: ViewportSize | None = None,
    bypass_csp: bool = False,
) -> BrowserContext:
    context = browser.new_context(
        base_url=server.url,
        viewport=viewport or DESKTOP,
        bypass_csp=bypass_csp,
        accept_downloads=True,
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def anonymous(
    browser: Browser, live_server: LiveServer, open_pages: OpenPages
) -> Iterator[Callable[..., Page]]:
    """`anonymous(path, bypass_csp=False)`: a signed-out visitor's page."""
    contexts: list[BrowserContext] = []

    def open_page(path: str = "/", *, bypass_csp: bool = False) -> Page:
        context = new_context(browser, live_server, bypass_csp=bypass_csp)
        contexts.append(context)
        page = context.new_page()
        open_pages.watch(page, "public visitor")
        page.goto(path)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not open_pages.problems, "\n".join(open_pages.problems)


@pytest.fixture
def page_as(browser: Browser, live_server: LiveServer, open_pages: OpenPages) -> Iterator[PageAs]:
    """`page_as(Role.staff)`: a new browser context signed in as that demo user, on `path`."""
    contexts: list[BrowserContext] = []

    def sign_in(
        role: Role,
        *,
        path: str = "/",
        viewport: ViewportSize | None = None,
        bypass_csp: bool = False,
    ) -> Page:
        context = new_context(browser, live_server, viewport=viewport, bypass_csp=bypass_csp)
        contexts.append(context)
        page = context.new_page()
        open_pages.watch(page, f"{role.value} ({DEMO_NAMES[role]})")
        page.goto("/login?next=" + quote(path, safe=""))
        page.get_by_role("button", name=f"Sign in as {DEMO_NAMES[role]}").click()
        page.wait_for_url(lambda url: "/login" not in url)
        expect_ok(page)
        return page

    yield sign_in
    for context in contexts:
        context.close()
    assert not open_pages.problems, "\n".join(open_pages.problems)


def main_text(page: Page) -> str:
    """What the page says, for failure messages."""
    return re.sub(r"\n\s*\n+", "\n", page.locator("main").inner_text())[:1500]


def expect_ok(page: Page) -> None:
    """The page is not an error page (error.html's heading is one of the error titles)."""
    heading = page.locator("h1").first.inner_text().strip() if page.locator("h1").count() else ""
    assert heading not in ERROR_TITLES, f"{page.url} shows an error page:\n{main_text(page)}"


# --- accessibility -------------------------------------------------------------------------


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run the vendored axe-core on the page; the serious and critical violations.

    The page must come from a context created with `bypass_csp=True`: axe is injected as an
    inline script, which the site's strict Content-Security-Policy (script-src 'self') would
    rightly refuse. Only these checks bypass it; every other test runs under the real policy.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=AXE_SCRIPT)
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ["violations"]});
            return results.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " :: "
                    + (n.failureSummary || "").replace(/\\s+/g, " ").slice(0, 200)),
            }));
        }"""
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


# --- failure reports -----------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call" and report.failed:
        attach_failure_details(item, report)
    return report


def attach_failure_details(item: pytest.Item, report: pytest.TestReport) -> None:
    opened: OpenPages | None = getattr(item, "open_pages", None)
    screenshot_root = getattr(item, "funcargs", {}).get("screenshot_root")
    if opened is not None and screenshot_root is not None:
        saved = []
        for number, page in enumerate(opened.pages, start=1):
            path = screenshot_root / "failures" / f"{item.name}-{number}.png"
            try:
                if not page.is_closed():
                    page.screenshot(path=path, full_page=True)
                    saved.append(f"{path} ({page.url})")
            except PlaywrightError as error:
                saved.append(f"{path}: could not be taken ({error})")
        if saved:
            report.sections.append(("screenshots at failure", "\n".join(saved)))
        if opened.problems:
            report.sections.append(("problems seen in the pages", "\n".join(opened.problems)))
    server = getattr(item, "funcargs", {}).get("live_server")
    if isinstance(server, LiveServer):
        report.sections.append(("server log (last lines)", server.log()))
