"""The test cases' pages in a real browser: find a test case with the filter ("/" focuses it),
open it, read its YAML and history, compare two versions (unified and side by side); axe on
each page, light and dark, and nothing scrolls sideways at 360 px."""

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from testament.domain.access import Role
from tests.browser.conftest import SignIn
from tests.browser.ui import NARROW, assert_accessible
from tests.conftest import LiveServer, Workspace, wait_finished


@pytest.fixture(scope="module")
def case_id(ui_workspace: Workspace, target: Any) -> str:
    """A test case with two versions and three runs (passed, failed, passed), and another one."""
    step = {"name": "get <b>it</b>", "request": {"url": "{{base}}{{path}}"}, "expect": {"status": 200}}
    with ui_workspace.client() as api:
        made = api.post(
            "/test-cases",
            json={
                "kind": "http",
                "name": "checkout",
                "publish": True,
                "content": {"steps": [step]},
                "tags": {"area": "shop"},
                "data_sets": [{"name": "main", "variables": {"path": "/ok"}}],
            },
        )
        assert made.status_code == 201, made.text
        ident: str = made.json()["id"]
        changed = api.patch(
            f"/test-cases/{ident}",
            json={"content": {"steps": [{**step, "name": "get it again"}]}, "publish": True},
        )
        assert changed.status_code == 200, changed.text
        for path in ("/ok", "/missing", "/ok"):
            started = api.post(
                "/executions", json={"test_case_id": ident, "variables": {"base": target.url, "path": path}}
            )
            wait_finished(api, started.json()["id"])
        api.post("/test-cases", json={"kind": "noop", "name": "quiet", "content": {}, "publish": True})
    return ident


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= NARROW["width"], f"{page.url} is {width} px wide at {NARROW['width']} px"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_find_a_test_case_read_it_and_compare_two_versions(
    signed_in: SignIn, live: LiveServer, case_id: str, scheme: str
) -> None:
    page = signed_in(Role.VIEWER, "/test-cases", color_scheme=scheme)
    expect(page.get_by_role("heading", level=1)).to_have_text("Test cases")
    expect(
        page.get_by_role("img", name="Last 3 runs of checkout, oldest first: Passed, Failed, Passed")
    ).to_be_visible()
    assert_accessible(page)

    page.locator("body").press("/")  # "/" focuses the filter
    expect(page.get_by_label("Name")).to_be_focused()
    page.keyboard.type("check")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live.url}/test-cases?name=check&tag=&kind=")
    expect(page.get_by_role("link", name="quiet")).to_have_count(0)
    page.get_by_role("link", name="checkout").click()

    expect(page).to_have_url(f"{live.url}/test-cases/{case_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("checkout")
    expect(page.get_by_role("link", name="Run…")).to_have_count(0)  # a viewer may not start runs
    content = page.get_by_label("Content of version 2 as YAML")
    expect(content).to_contain_text("name: get it again")
    expect(content.locator(".nt", has_text="steps").first).to_be_visible()  # highlighted on the server
    expect(page.locator(".tc-facts")).to_contain_text("67%")
    assert_accessible(page)

    page.get_by_label("Compare version").select_option("1")
    page.get_by_label("with").select_option("2")
    page.get_by_role("button", name="Compare").click()
    expect(page.get_by_role("heading", name="Changes from version 1 to 2")).to_be_visible()
    expect(page.locator(".diff-unified .d-del")).to_have_text("-- name: get <b>it</b>")
    expect(page.locator(".diff-unified .d-add")).to_have_text("+- name: get it again")
    assert_accessible(page)

    page.get_by_role("link", name="Side by side").click()
    row = page.locator(".diff-split tr.d-replace")
    expect(row).to_contain_text("get <b>it</b>")
    expect(row).to_contain_text("get it again")
    assert_accessible(page)


def test_the_pages_fit_360_px(signed_in: SignIn, live: LiveServer, case_id: str) -> None:
    page = signed_in(Role.TESTER, "/test-cases", viewport=NARROW)
    _no_sideways_scroll(page)
    assert_accessible(page)
    for path in (f"/test-cases/{case_id}", f"/test-cases/{case_id}?diff=1..2&view=split"):
        page.goto(live.url + path)
        _no_sideways_scroll(page)
        assert_accessible(page)
    expect(page.get_by_role("link", name="Run…")).to_be_visible()  # a tester may
