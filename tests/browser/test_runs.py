"""Runs in a real browser: start a test case from the UI and watch its steps arrive live (no
duplicates, the stream's URL carrying the last seq, the live marker, the banner turning to the
verdict), open a failed step's diff and a passed step's checks, stop a running execution; `/`
focuses the list's filter; axe on each page, light and dark, and no sideways scroll at 360 px."""

import re
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from testament.domain.access import Role
from tests.browser.conftest import SignIn
from tests.browser.ui import NARROW, assert_accessible
from tests.conftest import LiveServer, Workspace, wait_finished, wait_for


@dataclass(frozen=True)
class Cases:
    slow_id: str
    long_id: str
    failed_run: str


def _created(answer: Any) -> dict[str, Any]:
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _http_case(api: Any, name: str, steps: list[dict[str, Any]]) -> dict[str, Any]:
    return _created(
        api.post(
            "/test-cases", json={"kind": "http", "name": name, "publish": True, "content": {"steps": steps}}
        )
    )


@pytest.fixture(scope="module")
def cases(ui_workspace: Workspace, target: Any) -> Cases:
    with ui_workspace.client() as api:
        slow = _http_case(
            api,
            "slowly",
            [{"name": f"step {i}", "request": {"url": f"{target.url}/slow?ms=700"}} for i in range(1, 5)],
        )
        long = _http_case(
            api, "long wait", [{"name": "wait", "request": {"url": f"{target.url}/slow?ms=8000"}}]
        )
        broken = _http_case(
            api,
            "broken",
            [
                {"name": "fine", "request": {"url": f"{target.url}/ok"}, "expect": {"status": 200}},
                {
                    "name": "wrong",
                    "request": {"url": f"{target.url}/ok"},
                    "expect": {"json": {"$.ok": "<yes>"}},
                },
            ],
        )
        failed = _created(api.post("/executions", json={"test_case_id": broken["id"]}))
        assert wait_finished(api, failed["id"], 60)["status"] == "FAILED"
    return Cases(slow["id"], long["id"], failed["id"])


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= NARROW["width"], f"{page.url} is {width} px wide at {NARROW['width']} px"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_start_a_test_case_and_watch_its_steps_arrive_live(
    signed_in: SignIn, live: LiveServer, cases: Cases, scheme: str
) -> None:
    page = signed_in(Role.TESTER, "/runs", color_scheme=scheme)
    expect(page.get_by_role("heading", level=1)).to_have_text("Runs")
    assert_accessible(page)
    page.get_by_role("link", name="Start a run").click()
    expect(page).to_have_url(f"{live.url}/runs/new")
    assert_accessible(page)
    page.get_by_label("What to run").select_option(label="slowly (http)")
    page.get_by_label("Variables").fill("build=7")
    page.get_by_role("button", name="Start").click()
    expect(page).to_have_url(re.compile(re.escape(live.url) + r"/runs/[0-9a-f-]{36}$"))

    marker = page.locator("#live-marker")
    expect(marker).to_contain_text("Live")
    steps = page.locator("ol#steps > li")
    expect(steps.first).to_be_visible(timeout=20_000)  # the first step arrived without a reload
    assert steps.count() < 4  # ... while the others were still running
    expect(steps).to_have_count(4, timeout=20_000)
    expect(page.get_by_label("Verdict")).to_contain_text("Passed", timeout=20_000)
    expect(marker).to_contain_text("Finished")
    ids = page.eval_on_selector_all("ol#steps > li", "items => items.map(i => i.id)")
    assert ids == ["record-1", "record-2", "record-3", "record-4"]
    assert (page.locator("#run-live").get_attribute("sse-connect") or "").endswith("?after=4")
    expect(page.locator("#no-steps")).to_have_count(0)
    assert_accessible(page)


def test_a_dropped_stream_resumes_after_the_last_step_seen(
    signed_in: SignIn, ui_workspace: Workspace, cases: Cases
) -> None:
    with ui_workspace.client() as api:
        run = _created(api.post("/executions", json={"test_case_id": cases.slow_id}))
    page = signed_in(Role.VIEWER, f"/runs/{run['id']}")
    streams: list[str] = []
    page.on("request", lambda r: streams.append(r.url) if "/stream" in r.url else None)
    steps = page.locator("ol#steps > li")
    expect(steps.first).to_be_visible(timeout=20_000)
    seen, before = steps.count(), len(streams)
    # the connection drops (as a proxy or a network would cut it): the extension connects again
    page.evaluate(
        """() => {
            const live = document.getElementById('run-live');
            const source = live['htmx-internal-data'].sseEventSource;
            source.close();
            source.onerror(new Event('error'));
        }"""
    )
    expect(page.locator("#live-marker")).to_contain_text("Disconnected")
    expect(page.get_by_label("Verdict")).to_contain_text("Passed", timeout=20_000)
    ids = page.eval_on_selector_all("ol#steps > li", "items => items.map(i => i.id)")
    assert ids == ["record-1", "record-2", "record-3", "record-4"]  # no gap, no duplicate
    assert len(streams) > before, streams  # it connected again after the drop
    resumed = re.search(r"/stream\?after=(\d+)$", streams[before])
    assert resumed and 1 <= seen <= int(resumed.group(1)) < 4, streams  # after what it had, not from 0


def test_open_a_failed_steps_diff(signed_in: SignIn, cases: Cases) -> None:
    page = signed_in(Role.VIEWER, f"/runs/{cases.failed_run}")
    banner = page.get_by_label("Verdict")
    expect(banner).to_contain_text("Failed")
    expect(banner.get_by_role("button")).to_have_count(0)  # a viewer: no stop, no rerun
    failed = page.locator("#record-2")
    diff = failed.locator("table.run-diff")
    expect(diff).to_be_visible()  # the failing step came open
    # "<yes>" against true: a text and a boolean, shown as they are, with no character highlights
    expect(diff.locator("td[data-label=Expected]")).to_contain_text("<yes>")
    expect(diff.locator("td[data-label=Actual]")).to_contain_text("true")
    expect(diff.locator("mark")).to_have_count(0)
    passing = page.locator("#record-1")
    expect(passing.get_by_text("Response body")).to_be_hidden()  # one line, closed
    expect(passing.locator("table.run-checks-table")).to_be_hidden()
    passing.locator("summary").first.click()
    expect(passing.get_by_text("Response body")).to_be_visible()
    # every check the passed step made, with expected and actual, without another click
    held = passing.locator("table.run-checks-table tbody tr")
    expect(held).to_have_count(1)
    expect(held.locator("th")).to_contain_text("status eq")
    expect(held.locator("td[data-label=Expected]")).to_have_text("200")
    expect(held.locator("td[data-label=Actual]")).to_have_text("200")
    expect(held.locator("td[data-label=Result]")).to_contain_text("Passed")
    assert_accessible(page)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_run_pages_at_360_px(signed_in: SignIn, cases: Cases, scheme: str) -> None:
    page = signed_in(Role.TESTER, f"/runs/{cases.failed_run}", viewport=NARROW, color_scheme=scheme)
    expect(page.get_by_label("Verdict")).to_contain_text("Failed")
    page.locator("#record-1 summary").first.click()  # the passed step's checks, stacked
    expect(page.locator("#record-1 table.run-checks-table")).to_be_visible()
    _no_sideways_scroll(page)
    assert_accessible(page)
    page.goto(page.url.rsplit("/runs/", 1)[0] + "/runs")
    expect(page.get_by_role("heading", level=1)).to_have_text("Runs")
    _no_sideways_scroll(page)
    assert_accessible(page)


def test_stop_a_running_execution(signed_in: SignIn, ui_workspace: Workspace, cases: Cases) -> None:
    with ui_workspace.client() as api:
        run = _created(api.post("/executions", json={"test_case_id": cases.long_id}))
        wait_for(lambda: api.get(f"/executions/{run['id']}").json()["status"] == "RUNNING")
        page = signed_in(Role.TESTER, f"/runs/{run['id']}")
        banner = page.get_by_label("Verdict")
        expect(banner).to_contain_text("Running")
        assert_accessible(page)
        banner.get_by_role("button", name="Stop").click()
        expect(page.get_by_label("Verdict")).to_contain_text("Stopped", timeout=20_000)
        expect(page.get_by_label("Verdict").get_by_role("button", name="Run again")).to_be_visible()
        assert api.get(f"/executions/{run['id']}").json()["status"] == "STOPPED"


def test_slash_focuses_the_filter(signed_in: SignIn) -> None:
    page = signed_in(Role.VIEWER, "/runs")
    expect(page.get_by_role("link", name="Start a run")).to_have_count(0)
    page.locator("body").press("/")
    expect(page.get_by_label("Test case")).to_be_focused()
    page.get_by_label("Test case").fill("broken")
    page.get_by_label("Test case").press("Enter")
    expect(page).to_have_url(re.compile(r"/runs\?.*test_case=broken"))
    expect(page.locator("table.runs-table tbody tr")).to_have_count(1)
    assert_accessible(page)


def test_at_360_px_the_filters_fold_and_slash_opens_them(signed_in: SignIn) -> None:
    page = signed_in(Role.VIEWER, "/runs", viewport=NARROW)
    expect(page.get_by_label("Test case")).to_be_hidden()  # the runs come first
    expect(page.locator("table.runs-table")).to_be_visible()
    page.locator("body").press("/")
    expect(page.get_by_label("Test case")).to_be_focused()
    page.get_by_label("Test case").fill("broken")
    page.get_by_label("Test case").press("Enter")
    expect(page.get_by_label("Test case")).to_have_value("broken")  # open while a filter is set
    _no_sideways_scroll(page)
    assert_accessible(page)


def test_load_earlier_records_in_place(signed_in: SignIn, ui_workspace: Workspace, target: Any) -> None:
    steps = [{"name": f"s{i}", "request": {"url": f"{target.url}/ok"}} for i in range(1, 131)]
    with ui_workspace.client() as api:
        case = _http_case(api, "many steps", steps)
        run = _created(api.post("/executions", json={"test_case_id": case["id"]}))
        wait_finished(api, run["id"], 60)
    page = signed_in(Role.VIEWER, f"/runs/{run['id']}")
    records = page.locator("ol#steps > li[id^=record-]")
    expect(records).to_have_count(100)  # the last 100
    expect(records.first).to_have_id("record-31")
    page.get_by_role("link", name="Load earlier records").click()
    expect(records).to_have_count(130)
    ids = page.eval_on_selector_all("ol#steps > li[id^=record-]", "items => items.map(i => i.id)")
    assert ids == [f"record-{n}" for n in range(1, 131)]
    expect(page.get_by_role("link", name="Load earlier records")).to_have_count(0)
    assert_accessible(page)


def test_only_a_running_status_s_own_icon_spins(signed_in: SignIn, cases: Cases) -> None:
    """A container marked with a running tone (a plan run's banner) does not spin the statuses
    inside it: only the status macro's own running icon turns."""
    page = signed_in(Role.VIEWER, f"/runs/{cases.failed_run}")
    page.evaluate(
        """() => {
            const box = document.createElement('div');
            box.className = 'st-running';
            const icon = (glyph) => '<span class="status-icon">' + glyph + '</span>';
            box.innerHTML = '<span id="inner-passed" class="status st-passed">' + icon('✓') + ' Passed</span>'
                + ' <span id="inner-running" class="status st-running">' + icon('◌') + ' Running</span>';
            document.querySelector('main').append(box);
        }"""
    )
    spin = "el => getComputedStyle(el).animationName"
    assert page.eval_on_selector("#inner-passed .status-icon", spin) == "none"
    assert page.eval_on_selector("#inner-running .status-icon", spin) == "spin"
