"""Manual runs in a real browser: a tester walks an assigned run to completion with the keyboard
shortcuts (P/F/B/U, J/K), notes typed without setting outcomes, a file attached with the file
input and another dropped on a step, then the same run is read through the Enterprise Tester
surface's API; axe-core on every state of the pages, light and dark, wide and 360 px."""

from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from testament.domain.access import Role
from tests.browser.conftest import SignIn
from tests.browser.ui import NARROW, assert_accessible
from tests.conftest import LiveServer, Workspace

STEPS = [
    {"description": "Open the shop", "expected_result": "The shop shows"},
    {"description": "Add a book", "data": "ISBN 978-3", "expected_result": "1 item in the cart"},
    {"description": "Pay", "expected_result": "Paid"},
    {"description": "Print the receipt", "expected_result": "A receipt"},
]


def assign(workspace: Workspace, name: str, assignee: str = "tester-user") -> str:
    with workspace.client(Role.ADMIN) as api:
        case = api.post(
            "/test-cases", json={"kind": "manual", "name": name, "publish": True, "content": {"steps": STEPS}}
        )
        assert case.status_code == 201, case.text
        package = api.post("/packages", json={"name": f"package {name}"}).json()["id"]
        made = api.post(
            "/assignments",
            json={"package_id": package, "test_case_id": case.json()["id"], "assignee": assignee},
        )
        assert made.status_code == 201, made.text
        return str(made.json()["id"])


def enterprise_tester(live: LiveServer, workspace: Workspace) -> httpx.Client:
    key = workspace.keys[Role.ADMIN]
    return httpx.Client(
        base_url=f"{live.url}/enterprise-tester/api",
        auth=(key.access_key_id, key.secret_access_key),
        timeout=30,
    )


def state(page: Page, step: int) -> Any:
    return page.locator(f"#step-{step}-state")


def current(page: Page) -> Any:
    return page.locator("article.mstep.is-current")


def start_assigned_run(page: Page, name: str) -> str:
    row = page.get_by_role("row").filter(has_text=name)
    row.get_by_role("button", name=f"Start a run of {name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    return page.url.rsplit("/", 1)[1]


def test_a_tester_walks_a_run_with_the_keyboard_and_a_file_and_enterprise_tester_sees_it(
    signed_in: SignIn, live: LiveServer, ui_workspace: Workspace
) -> None:
    assign(ui_workspace, "keyboard walk")
    page = signed_in(Role.TESTER, "/manual")
    assert_accessible(page)
    run = start_assigned_run(page, "keyboard walk")
    expect(page.locator("#run-banner")).to_contain_text("0 of 4 steps recorded")
    assert_accessible(page)

    expect(current(page)).to_have_id("step-1")  # the first step without an outcome
    page.keyboard.press("p")
    expect(state(page, 1)).to_contain_text("Passed")
    expect(state(page, 1)).to_contain_text("Saved")
    expect(page.locator("#run-banner")).to_contain_text("1 of 4 steps recorded")

    page.keyboard.press("j")
    expect(current(page)).to_have_id("step-2")
    expect(page.locator("#step-2")).to_be_focused()
    # typing in a field sets no outcome, even letters that are shortcuts
    page.locator("#notes-2").press_sequentially("Full cart? Undo. Blocked? Perhaps")
    page.keyboard.press("Tab")  # out of the field: its change is saved
    expect(state(page, 2)).to_contain_text("Saved")
    expect(state(page, 2)).to_contain_text("Not run")
    page.keyboard.press("f")  # focus is on the step's Save button now: the shortcut works again
    expect(state(page, 2)).to_contain_text("Failed")
    expect(page.locator("#step-2").get_by_text("Raise an incident on step 2")).to_be_visible()

    page.locator("#file-2").set_input_files(
        files=[{"name": "cart.png", "mimeType": "image/png", "buffer": b"\x89PNG cart"}]
    )
    page.get_by_role("button", name="Attach to step 2", exact=True).click()
    expect(page).to_have_url(f"{live.url}/manual/{run}#step-2")
    expect(page.locator("#step-2").get_by_role("link", name="cart.png")).to_be_visible()
    expect(current(page)).to_have_id("step-2")  # the step the page came back to

    page.keyboard.press("j")
    page.keyboard.press("k")
    expect(current(page)).to_have_id("step-2")
    page.keyboard.press("j")
    expect(current(page)).to_have_id("step-3")
    page.keyboard.press("b")
    expect(state(page, 3)).to_contain_text("Blocked")
    expect(page.locator("#run-banner")).to_contain_text("3 of 4 steps recorded")
    assert_accessible(page)

    page.get_by_role("button", name="Complete run").click()
    expect(page.locator("#run-banner")).to_contain_text("Failed")
    expect(page.locator("#run-banner")).to_contain_text("completed")
    expect(page.get_by_role("button", name="Complete run")).to_have_count(0)
    assert_accessible(page)

    with enterprise_tester(live, ui_workspace) as et:
        shown = et.get(f"/scriptrun/{run}", params={"$expand": "StepResults"}).json()
    assert (shown["Status"], shown["Completed"]) == ("Failed", True)
    results = shown["StepResults"]
    assert [s["Outcome"] for s in results] == ["Passed", "Failed", "Blocked", "NotRun"]
    assert results[1]["Notes"] == "Full cart? Undo. Blocked? Perhaps"
    assert [s["HasAttachments"] for s in results] == [False, True, False, False]


def test_a_file_dropped_on_a_step_an_incident_and_the_last_outcome_completing_the_run(
    signed_in: SignIn, live: LiveServer, ui_workspace: Workspace
) -> None:
    assign(ui_workspace, "drop a file")
    page = signed_in(Role.TESTER, "/manual")
    run = start_assigned_run(page, "drop a file")
    drop_zone = page.locator("#step-1 form.mdrop")
    expect(drop_zone.get_by_text("or drop files here")).to_be_visible()
    with page.expect_navigation():
        drop_zone.evaluate(
            """form => {
              const data = new DataTransfer();
              data.items.add(new File(["a log line"], "console.log", {type: "text/plain"}));
              const drop = new DragEvent("drop", {dataTransfer: data, bubbles: true, cancelable: true});
              form.dispatchEvent(drop);
            }"""
        )
    expect(page.locator("#step-1").get_by_role("link", name="console.log")).to_be_visible()

    page.keyboard.press("f")
    expect(state(page, 1)).to_contain_text("Failed")
    page.locator("#step-1").get_by_text("Raise an incident on step 1").click()
    page.get_by_label("Summary").fill("Shop does not open")
    page.get_by_role("button", name="Raise incident").click()
    expect(page.locator("#step-1")).to_contain_text("Shop does not open")
    assert_accessible(page)
    # the last outcome completes the run: the page reloads to show the verdict
    expect(current(page)).to_have_id("step-1")
    for _ in range(3):
        page.keyboard.press("j")
        page.keyboard.press("p")
    expect(page.locator("#run-banner")).to_contain_text("completed")
    expect(page.locator("#run-banner")).to_contain_text("Failed")
    expect(page.get_by_role("button", name="Save step 1")).to_have_count(0)
    with enterprise_tester(live, ui_workspace) as et:
        shown = et.get(f"/scriptrun/{run}", params={"$expand": "StepResults"}).json()
    assert (shown["Status"], shown["Completed"]) == ("Failed", True)
    assert [s["Outcome"] for s in shown["StepResults"]] == ["Failed", "Passed", "Passed", "Passed"]
    assert shown["StepResults"][0]["HasAttachments"] is True


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_pages_pass_axe_for_a_viewer_and_fit_360_px(
    signed_in: SignIn, live: LiveServer, ui_workspace: Workspace, scheme: str
) -> None:
    assign(ui_workspace, f"read only {scheme}", assignee="viewer-user")
    with ui_workspace.client(Role.ADMIN) as api:
        runs = [
            api.post("/executions", json={"test_case_id": c["id"]}).json()["id"]
            for c in api.get("/test-cases", params={"limit": 100}).json()["items"]
            if c["kind"] == "manual" and c["name"] == f"read only {scheme}"
        ]
        api.post(f"/executions/{runs[0]}/steps", json={"results": [{"step": 1, "outcome": "Failed"}]})
    page = signed_in(Role.VIEWER, f"/manual/{runs[0]}", color_scheme=scheme)
    expect(page.get_by_role("button", name="Save step 1")).to_have_count(0)
    expect(page.locator("#step-1-state")).to_contain_text("Failed")
    assert_accessible(page)
    page.goto(live.url + "/manual")
    assert_accessible(page)

    narrow = signed_in(Role.TESTER, f"/manual/{runs[0]}", color_scheme=scheme, viewport=NARROW)
    for path in (f"/manual/{runs[0]}", "/manual"):
        narrow.goto(live.url + path)
        width = narrow.evaluate("document.documentElement.scrollWidth")
        assert width <= NARROW["width"], f"{path} is {width} px wide at 360 px"
        assert_accessible(narrow)
