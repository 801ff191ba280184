"""Signing in and out in a real browser, the layout's navigation, and every navigation page
checked by axe-core, at desktop width and 360 px, in light and dark."""

from typing import Any, cast

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from testament.domain.access import Role
from tests.browser.conftest import SignIn
from tests.browser.ui import NARROW, assert_accessible
from tests.conftest import LiveServer, Workspace

# Pages the navigation has at least: (path, the link's name); the tests visit every link it has.
NAV_PAGES = [
    ("/", "Dashboard"),
    ("/runs", "Runs"),
    ("/manual", "Manual runs"),
    ("/test-cases", "Test cases"),
    ("/plans", "Plans"),
    ("/tasks", "Tasks"),
    ("/workers", "Workers"),
    ("/settings", "Settings"),
]


def nav(page: Page) -> Any:
    return page.get_by_role("navigation", name="Main")


def nav_links(page: Page) -> list[tuple[str, str]]:
    """The navigation's links, (path, name), after checking it has those of NAV_PAGES."""
    links: list[tuple[str, str]] = page.evaluate(
        "[...document.querySelectorAll('nav[aria-label=Main] a')]"
        ".map(a => [a.getAttribute('href'), a.textContent.trim()])"
    )
    links = [(href, name) for href, name in links]
    missing = set(NAV_PAGES) - set(links)
    assert not missing, f"the navigation lacks {sorted(missing)}"
    return links


def test_a_link_signed_out_asks_for_a_key_and_lands_on_the_page_asked_for(
    signed_in: SignIn, live: LiveServer
) -> None:
    # as a link from a CI log would: a filtered list, opened by a browser with no session
    page = signed_in(Role.VIEWER, "/runs?status=FAILED")
    assert page.url == f"{live.url}/runs?status=FAILED"
    expect(nav(page).get_by_role("link", name="Runs", exact=True)).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    session = [c for c in page.context.cookies() if c["name"] == "testament_session"]
    assert session and session[0]["httpOnly"] and session[0]["sameSite"] == "Lax"


def test_a_wrong_key_is_refused_on_the_form_with_an_accessible_message(
    page: Page, live: LiveServer, ui_workspace: Workspace
) -> None:
    page.goto(live.url + "/plans")
    page.get_by_label("API key").fill("tst_not-a-key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_label("API key")).to_have_attribute("aria-invalid", "true")
    assert not [c for c in page.context.cookies() if c["name"] == "testament_session"]
    assert_accessible(page)
    # the right key on the same form still goes where the link pointed
    page.get_by_label("API key").fill(ui_workspace.keys[Role.VIEWER].token)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live.url + "/plans")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_navigation_page_passes_axe(signed_in: SignIn, live: LiveServer, scheme: str) -> None:
    page = signed_in(Role.ADMIN, "/", color_scheme=scheme)
    failures = []
    for path, name in nav_links(page):
        nav(page).get_by_role("link", name=name, exact=True).click()
        expect(page).to_have_url(live.url + path)
        expect(nav(page).get_by_role("link", name=name, exact=True)).to_have_attribute("aria-current", "page")
        try:
            assert_accessible(page)
        except AssertionError as exc:
            failures.append(str(exc))
    assert not failures, "\n\n".join(failures)


def test_the_sign_in_page_passes_axe_in_both_themes(new_context: Any, live: LiveServer) -> None:
    for scheme in ("light", "dark"):
        page = new_context(color_scheme=scheme).new_page()
        page.goto(live.url + "/sign-in")
        assert_accessible(page)


def test_at_360_px_nothing_scrolls_sideways_and_the_navigation_is_a_menu(
    signed_in: SignIn, live: LiveServer
) -> None:
    page = signed_in(Role.ADMIN, "/", viewport=NARROW)
    for path, _ in nav_links(page):
        page.goto(live.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= NARROW["width"], (
            f"{path} is {width} px wide at {NARROW['width']} px: it scrolls sideways"
        )
    menu = nav(page).get_by_text("Menu", exact=True)
    expect(menu).to_be_visible()
    runs = nav(page).get_by_role("link", name="Runs", exact=True)
    expect(runs).to_be_hidden()  # folded until the menu is opened
    menu.click()
    expect(runs).to_be_visible()
    runs.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert page.url.endswith("/runs")
    assert_accessible(page)


def _focus_shown(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(
        """() => {
          const el = document.activeElement, style = getComputedStyle(el), box = el.getBoundingClientRect();
          return {tag: el.tagName, text: el.textContent.trim(), href: el.getAttribute('href'),
                  outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
                  shadow: style.boxShadow !== 'none',
                  onScreen: box.width > 0 && box.height > 0 && box.top >= 0 && box.left >= 0
                            && box.bottom <= innerHeight && box.right <= innerWidth};
        }"""
    )
    return result


@pytest.mark.parametrize("width", ["wide", "narrow"])
def test_tab_reaches_the_skip_link_first_with_visible_focus_and_it_skips_to_the_page(
    signed_in: SignIn, width: str
) -> None:
    options = {"viewport": NARROW} if width == "narrow" else {}
    page = signed_in(Role.ADMIN, "/runs", **options)
    page.keyboard.press("Tab")
    focused = _focus_shown(page)
    assert (focused["tag"], focused["href"], focused["text"]) == ("A", "#main", "Skip to content")
    assert focused["onScreen"], "the focused skip link is not on screen"
    assert focused["outline"] or focused["shadow"], "the focused skip link shows no focus ring"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # the next Tab goes on from the page, past the header and the navigation
    page.keyboard.press("Tab")
    in_chrome = "[...document.querySelectorAll('header, nav')].some(e => e.contains(document.activeElement))"
    assert not page.evaluate(in_chrome), "Tab after the skip link went back to the header or navigation"


def test_signing_out_ends_the_session_for_good(signed_in: SignIn, new_context: Any, live: LiveServer) -> None:
    page = signed_in(Role.TESTER, "/tasks")
    cookies = page.context.cookies()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("API key")).to_be_visible()
    page.goto(live.url + "/tasks")
    expect(page.get_by_label("API key")).to_be_visible()
    # the cookie kept from before signing out opens nothing either
    replay: BrowserContext = new_context()
    replay.add_cookies(cast(Any, cookies))  # the same fields, typed apart
    again = replay.new_page()
    again.goto(live.url + "/tasks")
    expect(again.get_by_label("API key")).to_be_visible()
    assert "/sign-in" in again.url
