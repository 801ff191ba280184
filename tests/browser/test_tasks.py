"""Tasks and candidates in a real browser: from the task list to a task and to a test instance's
scoreboard, by links and the list's filter; axe-core on each page, light and dark, and no
sideways scroll at 360 px."""

import httpx
import pytest
from playwright.sync_api import expect

from testament.domain.access import Role
from tests.browser.conftest import SignIn
from tests.browser.ui import NARROW, assert_accessible
from tests.conftest import LiveServer, Workspace

TI = "/testinvite/api/integration/rest/v1"
STEPS = [
    {"description": "Greet", "points": 1, "section": "manners", "dimensions": ["care/tone"]},
    {"description": "Answer", "points": 3, "section": "substance", "dimensions": ["care"]},
]


def scored_task(live: LiveServer, workspace: Workspace, title: str) -> tuple[str, str]:
    """A task whose one step is a scored manual test case, a candidate who took it, and the
    instance completed: its first step passed (1 point), its second failed (0 of 3)."""
    with workspace.client(Role.ADMIN) as api:
        case = api.post(
            "/test-cases",
            json={"kind": "manual", "name": f"case {title}", "publish": True, "content": {"steps": STEPS}},
        ).json()["id"]
        task = api.post("/tasks", json={"title": title, "steps": [{"title": "Talk", "test_case_id": case}]})
        assert task.status_code == 201, task.text
        task_id, step_id = task.json()["id"], task.json()["steps"][0]["id"]
        token = workspace.keys[Role.ADMIN].token
        with httpx.Client(base_url=live.url + TI, headers={"Authorization": f"Bearer {token}"}) as ti:
            who = ti.post(
                f"/tasks/{task_id}/candidates",
                json={"kind": "temporary-candidate", "externalId": "c-1", "fullname": "Cy Candidate"},
            ).json()["candidateId"]
            instance = ti.post(f"/tasks/{task_id}/candidates/{who}/steps/{step_id}/start").json()
        run = api.get("/executions", params={"test_case_id": case}).json()["items"][0]["id"]
        results = [{"step": 1, "outcome": "Passed"}, {"step": 2, "outcome": "Failed"}]
        assert api.post(f"/executions/{run}/steps", json={"results": results}).status_code == 200
    return task_id, str(instance["testInstanceId"])


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_from_the_task_list_to_an_instance_s_scoreboard(
    signed_in: SignIn, live: LiveServer, ui_workspace: Workspace, scheme: str
) -> None:
    title = f"Interview {scheme}"
    task_id, instance_id = scored_task(live, ui_workspace, title)
    page = signed_in(Role.VIEWER, "/tasks", color_scheme=scheme)
    assert_accessible(page)
    page.keyboard.press("/")
    expect(page.get_by_label("Title contains")).to_be_focused()
    page.keyboard.type(title)
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name=title, exact=True)).to_have_count(1)
    page.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("row").filter(has_text="Cy Candidate").first).to_contain_text("1 / 4")
    assert_accessible(page)

    page.get_by_role("link", name="Complete").click()
    expect(page).to_have_url(f"{live.url}/tasks/{task_id}/instances/{instance_id}")
    expect(page.get_by_label("Verdict")).to_contain_text("1 / 4")
    expect(page.get_by_role("row").filter(has_text="care/tone")).to_contain_text("1 / 1")
    expect(page.get_by_role("row").filter(has_text="substance")).to_contain_text("0 / 3")
    assert_accessible(page)

    narrow = signed_in(Role.VIEWER, "/tasks", color_scheme=scheme, viewport=NARROW)
    for path in ("/tasks", f"/tasks/{task_id}", f"/tasks/{task_id}/instances/{instance_id}"):
        narrow.goto(live.url + path)
        width = narrow.evaluate("document.documentElement.scrollWidth")
        assert width <= NARROW["width"], f"{path} is {width} px wide at 360 px"
        assert_accessible(narrow)
