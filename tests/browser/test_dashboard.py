"""The dashboard and the workers page in a real browser: with runs made here, the answer (counts,
charts with their tables) shows without scrolling, passes axe in light and dark, at desktop width
and at 360 px without sideways scrolling; the range links keep the URL."""

import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from testament.domain.access import Role
from tests.browser.conftest import SignIn
from tests.browser.ui import NARROW, assert_accessible
from tests.conftest import LiveServer, Workspace, wait_finished


@pytest.fixture(scope="module")
def runs(ui_workspace: Workspace, target: Any) -> list[dict[str, Any]]:
    """A passed, a failed and a flaky run in the module's workspace."""
    made = []
    with ui_workspace.client() as api:
        for url, expect_status, retries in (
            (f"{target.url}/ok", 200, 0),
            (f"{target.url}/ok", 201, 0),
            (f"{target.url}/flaky/{uuid.uuid4().hex}?fail=1", 200, 1),
        ):
            case = api.post(
                "/test-cases",
                json={
                    "kind": "http",
                    "name": f"browser-{uuid.uuid4().hex[:6]}",
                    "publish": True,
                    "retries": retries,
                    "content": {
                        "steps": [
                            {"name": "call", "request": {"url": url}, "expect": {"status": expect_status}}
                        ]
                    },
                },
            ).json()
            started = api.post("/executions", json={"test_case_id": case["id"]}).json()
            made.append(wait_finished(api, started["id"]))
    return made


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_dashboard_answers_first_and_passes_axe(
    signed_in: SignIn, runs: list[dict[str, Any]], scheme: str
) -> None:
    page = signed_in(Role.VIEWER, "/", color_scheme=scheme)
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    counts = page.locator(".dash-counts")
    expect(counts).to_contain_text("Runs, last 7 days")
    expect(counts.locator("dd").first).to_have_text("3")
    box = counts.bounding_box()
    assert box and box["y"] + box["height"] <= 800, "the counts are not visible without scrolling"
    charts = page.get_by_role("img", name="Runs per day")
    expect(charts).to_be_visible()
    expect(page.get_by_role("img", name="Pass rate per day")).to_be_visible()
    page.get_by_text("Runs per day as a table").click()
    expect(page.get_by_role("table", name="Runs per day")).to_be_visible()
    expect(page.get_by_role("heading", name="Flakiest test cases")).to_be_visible()
    assert_accessible(page)


def test_the_range_is_kept_in_the_url(
    signed_in: SignIn, live: LiveServer, runs: list[dict[str, Any]]
) -> None:
    page = signed_in(Role.TESTER, "/")
    page.get_by_role("navigation", name="Range").get_by_role("link", name="30 days").click()
    expect(page).to_have_url(live.url + "/?days=30")
    expect(page.get_by_role("link", name="30 days")).to_have_attribute("aria-current", "page")
    expect(page.locator(".dash-counts")).to_contain_text("Runs, last 30 days")


@pytest.mark.parametrize("path", ["/", "/workers"])
def test_at_360_px_nothing_scrolls_sideways_and_axe_passes(
    signed_in: SignIn, runs: list[dict[str, Any]], path: str
) -> None:
    page = signed_in(Role.ADMIN, path, viewport=NARROW, color_scheme="dark")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{path} scrolls sideways by {overflow} px at 360 px"
    assert_accessible(page)


def test_the_workers_page_passes_axe(signed_in: SignIn) -> None:
    page = signed_in(Role.MANAGER, "/workers")
    expect(page.get_by_role("heading", level=1)).to_have_text("Workers")
    assert_accessible(page)
