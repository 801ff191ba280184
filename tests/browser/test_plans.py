"""Plans in a real browser: open a plan, start it from its page (through /runs/new), watch its
grid fill in as the executions finish, and rerun the failed ones; axe on each page."""

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from testament.domain.access import Role
from tests.browser.conftest import SignIn
from tests.browser.ui import NARROW, assert_accessible
from tests.conftest import LiveServer, Workspace


@pytest.fixture(scope="module")
def plan_id(ui_workspace: Workspace, target: Any) -> str:
    """A plan of one suite whose test case has a good and a bad data set (the bad one waits a
    little first, so the grid is seen filling in)."""
    with ui_workspace.client() as api:
        env = api.post("/environments", json={"name": "local", "variables": {"base": target.url}}).json()
        case = api.post(
            "/test-cases",
            json={
                "kind": "http",
                "name": "pay",
                "publish": True,
                "content": {
                    "steps": [
                        {"name": "get", "request": {"url": "{{base}}{{path}}"}, "expect": {"status": 200}}
                    ]
                },
                "data_sets": [
                    {"name": "good", "variables": {"path": "/slow?ms=1500"}},
                    {"name": "bad", "variables": {"path": "/missing"}},
                ],
            },
        ).json()
        suite = api.post("/suites", json={"name": "money", "test_case_ids": [case["id"]]}).json()
        plan = api.post(
            "/plans",
            json={
                "name": "nightly",
                "suite_ids": [suite["id"]],
                "environment_id": env["id"],
                "pass_ratio": 0.9,
            },
        )
        assert plan.status_code == 201, plan.text
        ident: str = plan.json()["id"]
    return ident


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_start_a_plan_from_its_page_and_watch_its_grid(
    signed_in: SignIn, live: LiveServer, plan_id: str, scheme: str
) -> None:
    page = signed_in(Role.TESTER, "/plans", color_scheme=scheme)
    expect(page.get_by_role("heading", level=1)).to_have_text("Plans")
    assert_accessible(page)
    page.get_by_role("link", name="nightly", exact=True).click()
    expect(page).to_have_url(f"{live.url}/plans/{plan_id}")
    expect(page.get_by_role("heading", name="money")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Run…").first.click()
    expect(page).to_have_url(f"{live.url}/runs/new?plan={plan_id}")
    page.get_by_role("button", name="Start").click()
    expect(page).to_have_url(re.compile(re.escape(live.url) + r"/plan-runs/[^/]+$"))
    grid = page.locator("table.pl-grid")
    expect(grid.get_by_role("row", name="pay money bad")).to_contain_text("Failed")
    # the good one takes 1.5 s; the grid polls until the run ends, without a reload
    expect(grid.get_by_role("row", name="pay money good")).to_contain_text("Passed", timeout=20_000)
    banner = page.get_by_label("Verdict")
    expect(banner).to_contain_text("Failed")
    expect(banner).to_contain_text("✗ not held")
    expect(page.locator("#plan-run")).not_to_have_attribute("hx-trigger", "every 2s")
    assert_accessible(page)

    first_run = page.url
    page.get_by_role("button", name="Rerun the failed ones (1)").click()
    expect(page.get_by_text("rerun of")).to_be_visible()
    assert page.url != first_run
    expect(page.locator("table.pl-grid tbody tr")).to_have_count(1)
    expect(page.locator("table.pl-grid")).to_contain_text("bad")
    assert_accessible(page)


def test_the_plan_pages_fit_360_px_for_a_viewer(signed_in: SignIn, live: LiveServer, plan_id: str) -> None:
    page = signed_in(Role.VIEWER, f"/plans/{plan_id}", viewport=NARROW)
    expect(page.get_by_role("link", name="Run…")).to_have_count(0)
    for path in ("/plans", f"/plans/{plan_id}"):
        page.goto(live.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= NARROW["width"], f"{path} is {width} px wide"
        assert_accessible(page)
