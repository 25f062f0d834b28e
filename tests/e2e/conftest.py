"""Browser tests: the real app on a live server, driven by Debian Chromium through Playwright (sync API).

* The live server serves the `app` fixture itself (tests/conftest.py), so the browser and the factory
  fixtures share one app, one engine and one database, and the `app` fixture's per-test cleanup still
  empties it. Werkzeug runs each request in its own thread with its own app context (Flask pushes one
  per request), so the server's sessions never mix with the test thread's. A new app per test also
  means fresh rate-limit counters: many sign-ins from 127.0.0.1 across the run never add up.
* The browser comes from pytest-playwright's fixtures (so `--tracing`, `--screenshot` and `--video`
  work), launched from /usr/bin/chromium; `playwright install` is never needed.
* axe-core is loaded from a same-origin URL that the browser context answers itself
  (`context.route`), so it passes the app's `script-src 'self'` while the CSP stays enforced:
  a CSP violation or an uncaught script error on any page fails the test.
"""
from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import got_request_exception
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, expect
from werkzeug.serving import make_server

from tests import services
from tests.conftest import PASSWORD, second_factor_code

E2E = Path(__file__).resolve().parent
ROOT = E2E.parent.parent
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_URL_PATH = "/__e2e__/axe.min.js"  # never served by the app: the browser context answers it
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
TIMEOUT_MS = 10_000  # Playwright's 30 s default makes a failing run slow; every page here answers in ms


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/e2e is a browser test (`-m "not e2e"` leaves them out)."""
    for item in items:
        if E2E in item.path.parents:
            item.add_marker(pytest.mark.e2e)


# --- the live server -------------------------------------------------------------------------------------

@pytest.fixture
def server_socket() -> Iterator[socket.socket]:
    """The live server's listening socket, bound first so the app can be created knowing its own URL."""
    sock = socket.create_server(("127.0.0.1", 0))
    yield sock
    sock.close()


@pytest.fixture
def app_overrides(server_socket):
    """The `app` fixture, configured as the live server needs: real CSRF, links pointing at the server."""
    host, port = server_socket.getsockname()
    return {"WTF_CSRF_ENABLED": True, "PUBLIC_BASE_URL": f"http://{host}:{port}"}


@dataclass
class LiveServer:
    """The running server: `live_server.url`, or `live_server("/sign-in")` for an absolute URL."""

    url: str
    errors: list = field(default_factory=list)

    def __call__(self, path: str = "/") -> str:
        return self.url + path


def closing_what_it_sends(app):
    """The app, with every answer's body closed however its sending ends. When the browser drops a connection
    mid-answer (it navigates on while a static file is still being sent), Werkzeug's development server stops
    reading the body without closing it, and the file left open is a ResourceWarning — an error in this suite."""
    def serve(environ, start_response):
        body = app(environ, start_response)
        try:
            yield from body
        finally:  # also when the server abandons this generator: it is closed as it is collected
            close = getattr(body, "close", None)
            if close is not None:
                close()
    return serve


@pytest.fixture
def live_server(app, server_socket) -> Iterator[LiveServer]:
    """The `app` fixture served over HTTP in a background thread; a server-side exception fails the test."""
    server = make_server("127.0.0.1", 0, closing_what_it_sends(app), threaded=True, fd=server_socket.fileno())
    live = LiveServer(app.config["PUBLIC_BASE_URL"])

    def record(sender, exception, **extra):
        live.errors.append(exception)

    got_request_exception.connect(record, app)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
                              name="e2e-live-server")
    thread.start()
    try:
        yield live
    finally:
        server.shutdown()  # serve_forever closes the server's socket as it returns
        thread.join(timeout=5)
        got_request_exception.disconnect(record, app)
    assert not live.errors, f"the app raised while serving the browser: {live.errors!r}"


# --- the browser -----------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch arguments, pointed at Debian's Chromium (fails under REQUIRE_SERVICES=1)."""
    headed = browser_type_launch_args.get("headless") is False  # pytest --headed, to watch a test run
    args = [arg for arg in CHROMIUM_ARGS if not (headed and arg == "--headless")]
    return {**browser_type_launch_args, "executable_path": services.chromium_or_fail(), "args": args}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """Every context gets the live server's base URL in `new_browser_context`; a --base-url would clash."""
    return {key: value for key, value in browser_context_args.items() if key != "base_url"}


@dataclass
class BrowserProblems:
    """Things a user would never see but that break pages: CSP refusals and uncaught script errors."""

    messages: list[str] = field(default_factory=list)

    def console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.messages.append(f"{message.type}: {message.text} ({message.location.get('url')})")

    def page_error(self, error) -> None:
        self.messages.append(f"uncaught script error: {error}")


@pytest.fixture
def browser_problems() -> BrowserProblems:
    return BrowserProblems()


@pytest.fixture
def new_browser_context(live_server, new_context, browser_problems) -> Iterator[Callable[..., BrowserContext]]:
    """A fresh browser context (its own cookies: another person) at the live server, ready for `axe`.

    Keyword arguments go to `browser.new_context` (e.g. `viewport={"width": 390, "height": 844}`).
    pytest-playwright's `new_context` closes it after the test.
    """

    def open_context(**context_args) -> BrowserContext:
        context = new_context(base_url=live_server.url, **context_args)
        context.set_default_timeout(TIMEOUT_MS)
        context.route(f"**{AXE_URL_PATH}",
                      lambda route: route.fulfill(path=AXE_SCRIPT, content_type="text/javascript"))
        context.on("console", browser_problems.console)
        context.on("weberror", lambda web_error: browser_problems.page_error(web_error.error))
        return context

    yield open_context
    assert not browser_problems.messages, "\n".join(browser_problems.messages)


@pytest.fixture
def new_browser_page(new_browser_context) -> Callable[..., Page]:
    """`new_browser_page(**context_args)`: a page in a fresh context, for a second person in one test."""
    return lambda **context_args: new_browser_context(**context_args).new_page()


@pytest.fixture
def context(new_browser_context) -> BrowserContext:
    """pytest-playwright's `context`, at the live server."""
    return new_browser_context()


@pytest.fixture
def page(context) -> Page:
    """pytest-playwright's `page`, at the live server: `page.goto("/sign-in")`."""
    return context.new_page()


# --- accessibility ---------------------------------------------------------------------------------------

def _describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation.get('impact')}): {violation['help']} — {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"    {node['target']}: {node['html'][:200]}")
            if node.get("failureSummary"):
                lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
    return "\n".join(lines)


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 720}  # Playwright's default viewport
# The rules whose result depends on the page's width; the phone-width pass runs only these (a full second run
# would double the suite's axe time for rules that read the same DOM).
LAYOUT_RULES = ["scrollable-region-focusable", "target-size", "region", "landmark-one-main", "meta-viewport"]
_LAYOUT = """() => {
    const lines = (list) => list ? new Set(Array.from(list.children, (item) => Math.round(item.offsetTop))).size : 0;
    return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
            navLines: Math.max(lines(document.querySelector('.site-header .nav')),
                               lines(document.querySelector('.subnav ul')))};
}"""


def _run_axe(page: Page, rules: list[str] | None = None) -> list[dict]:
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(url=AXE_URL_PATH)
    options = {"resultTypes": ["violations"], **({"runOnly": {"type": "rule", "values": rules}} if rules else {})}
    return page.evaluate("async (options) => (await axe.run(document, options)).violations", options)


@pytest.fixture
def axe() -> Callable[[Page], None]:
    """`axe(page)`: run axe-core on the page as it is now, at 1280 px and at 390 px (a phone); fail on any
    violation, on sideways scrolling at 390 px and on a navigation bar that wraps to two lines at 1280 px.

    All rules run at the page's own width; at the other width only the rules that depend on layout do. Focus
    is kept: resizing never moves it, and the checks read the page without touching it.
    """

    def check(page: Page) -> None:
        page.wait_for_load_state("load")
        own = page.viewport_size or DESKTOP
        violations = _run_axe(page)
        assert not violations, f"axe found {len(violations)} violation(s) on {page.url}:\n{_describe(violations)}"
        for size in ((PHONE, DESKTOP) if own["width"] > PHONE["width"] else (PHONE,)):
            if (page.viewport_size or DESKTOP) != size:
                page.set_viewport_size(size)
            layout = page.evaluate(_LAYOUT)
            if size == PHONE:
                assert layout["scroll"] <= layout["inner"], f"{page.url} scrolls sideways at 390 px: {layout}"
                narrow = _run_axe(page, LAYOUT_RULES) if own != PHONE else []
                assert not narrow, f"axe at 390 px found on {page.url}:\n{_describe(narrow)}"
            else:
                assert layout["navLines"] <= 1, f"{page.url}: the navigation wraps at 1280 px: {layout}"
        if (page.viewport_size or DESKTOP) != own:
            page.set_viewport_size(own)

    return check


# --- people ----------------------------------------------------------------------------------------------

@pytest.fixture
def sign_in(axe) -> Callable[..., None]:
    """`sign_in(page, email)`: through the sign-in page (checked with axe), then wait to leave it."""

    def sign_in_as(page: Page, email: str, password: str = PASSWORD) -> None:
        page.goto("/sign-in")
        axe(page)
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page).not_to_have_url(re.compile(r"/sign-in$"))
        if page.url.endswith("/sign-in/code"):  # an account with two-factor sign-in: its app's code now
            page.get_by_label("Code", exact=True).fill(second_factor_code(email))
            page.get_by_role("button", name="Continue").click()
        expect(page).not_to_have_url(re.compile(r"/sign-in"))

    return sign_in_as

