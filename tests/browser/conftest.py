"""The browser tier: the web UI in Debian's headless chromium, driven by plain Playwright.

Off unless TESTAMENT_TEST_BROWSER=1 (`.ci/run` installs chromium and turns it on for one pass;
`make test-browser` runs it locally). One chromium for the tier; the session's live server
(tests/conftest.py `live`) with one workspace per module, a key for each role; a fresh browser
context (cookies, viewport, colour scheme) per page a test opens.

    def test_runs_page(signed_in: SignIn) -> None:
        page = signed_in(Role.VIEWER, "/runs")
        expect(page.get_by_role("heading", level=1)).to_have_text("Runs")
        assert_accessible(page)
"""

from collections.abc import Callable, Iterator
from typing import Any, Protocol

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from testament.domain.access import Role
from tests.browser.ui import WIDE, launch_chromium, sign_in
from tests.conftest import LiveServer, Workspace, browser_on, new_workspace


@pytest.fixture(autouse=True, scope="session")
def _browser_tier() -> None:
    if not browser_on():
        pytest.skip(
            "tier browser is off: set TESTAMENT_TEST_BROWSER=1 (needs Debian's chromium: "
            "apt-get install chromium; make test-browser runs it)"
        )


# Package scope: one chromium for all of tests/browser, closed (with Playwright's event loop)
# before the rest of the suite runs.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's chromium, headless, shared by every test of tests/browser. With the tier on, a
    chromium that cannot start fails the tests (it is not skipped)."""
    browser = launch_chromium(playwright)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def ui_workspace(live: LiveServer) -> Workspace:
    """A workspace of the module's own on the live server, with one key per role
    (`ui_workspace.keys[Role.VIEWER].token`, `ui_workspace.client(Role.ADMIN)` for the API)."""
    return new_workspace(live.ctx, live.url)


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Make a browser context (a browser profile of its own: cookies, viewport, colour scheme);
    keyword arguments go to Playwright's `Browser.new_context` (default viewport: 1280 x 800).
    Closed at the test's end."""
    made: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        context = browser.new_context(**{"viewport": WIDE, **options})
        context.set_default_timeout(15_000)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    """A page, signed out, in a context of its own."""
    return new_context().new_page()


class SignIn(Protocol):
    def __call__(self, role: Role = Role.ADMIN, path: str = "/", **context_options: Any) -> Page: ...


@pytest.fixture
def signed_in(
    live: LiveServer, ui_workspace: Workspace, new_context: Callable[..., BrowserContext]
) -> SignIn:
    """`signed_in(role, path, **context_options)`: a page in a new context that opened `path`,
    was shown the sign-in form, signed in through it with the module workspace's key of `role`
    and landed on `path`. Context options: `viewport=NARROW`, `color_scheme="dark"`, ..."""

    def open_signed_in(role: Role = Role.ADMIN, path: str = "/", **context_options: Any) -> Page:
        page = new_context(**context_options).new_page()
        return sign_in(page, live.url, ui_workspace.keys[role].token, path)

    return open_signed_in
