"""Tasks and candidates in the browser over HTTP: tasks listed and filtered, a task's test
instances with their points, its candidates; an instance's scoreboard by section, dimension and
effect, the same numbers the TestInvite surface serves; a manual step's score so far until a
tester completes it; every role reads; unknown ids are 404s; user content is escaped."""

from typing import Any

import httpx

from testament.domain.access import Role
from tests.conftest import LiveServer, Workspace
from tests.e2e.test_testinvite import add_candidate, complete, make_task, start, ti_client
from tests.e2e.web import signed_in

SCRIPT = "<script>alert(1)</script>"


def test_a_task_shows_its_instances_scored_as_testinvite_serves_them(
    live: LiveServer, workspace: Workspace, api: httpx.Client, target: Any
) -> None:
    task = make_task(api, target.url)
    review, _ping, both = (s["id"] for s in task["steps"])
    with ti_client(live, workspace) as ti:
        ann = add_candidate(ti, task["id"], "ext-ann", fullname=f"Ann {SCRIPT}", labels=["remote"])
        add_candidate(ti, task["id"], "ext-bob", fullname="Bob Idle")
        first = start(ti, task["id"], ann["candidateId"], review)["testInstanceId"]
        second = start(ti, task["id"], ann["candidateId"], both)["testInstanceId"]
        served = complete(ti, task["id"], first)["result"]
        complete(ti, task["id"], second)
    for role in Role:
        with signed_in(workspace, role) as browser:
            listed = browser.get("/tasks")
            assert listed.status_code == 200, role
            assert f'href="/tasks/{task["id"]}"' in listed.text and task["title"] in listed.text

    with signed_in(workspace, Role.VIEWER) as browser:
        page = browser.get(f"/tasks/{task['id']}")
        assert page.status_code == 200
        assert f"<h1>{task['title']}</h1>" in page.text
        assert SCRIPT not in page.text and "Ann &lt;script&gt;" in page.text
        assert "Bob Idle" in page.text and "remote" in page.text
        assert page.text.count("Complete</span>") == 3  # both instances, and their count
        assert "Complete</span> <strong>2</strong>" in page.text
        assert f">{task['steps'][0]['title']}<" in page.text and "Plan <a href=" in page.text
        # review: 4 of 6 points, 3 questions; the plan: 5 of 7, 4 questions
        assert '<span class="mscore">4 / 6</span>' in page.text and "(67%)" in page.text
        assert '<span class="mscore">5 / 7</span>' in page.text and "(71%)" in page.text
        assert f"/tasks/{task['id']}/instances/{first}" in page.text

        instance = browser.get(f"/tasks/{task['id']}/instances/{first}")
        assert instance.status_code == 200
        text = instance.text
        assert "Review</h1>" in text and "Ann &lt;script&gt;" in text and SCRIPT not in text
        overall = served["scoreboard"]
        assert overall == {
            "pointsAchieved": 4,
            "maxAchievablePoints": 6,
            "achievementRatio": 0.666667,
            "noOfQuestions": 3,
        }
        assert '<span class="mscore">4 / 6</span>' in text
        # its sections (auth 2 of 3, perf 2 of 3), dimensions with sub-dimensions, effects
        assert ">auth</td>" in text and ">perf</td>" in text
        assert "security/auth" in text and "security/errors" in text and ">speed</td>" in text
        assert '<span class="mscore">2 / 2</span>' in text and '<span class="mscore">0 / 1</span>' in text
        assert ">quality</td>" in text and "0.666667" in text and "quality/auth" in text
        assert "sealed when the instance completes" not in text
        assert text.count('href="/runs/') == 1  # its one execution, linked to its run page

        plan = browser.get(f"/tasks/{task['id']}/instances/{second}")
        assert plan.status_code == 200 and '<span class="mscore">5 / 7</span>' in plan.text
        assert plan.text.count('href="/runs/') == 2  # the plan's two executions

        filtered = browser.get("/tasks", params={"q": task["title"][-6:]})
        assert task["title"] in filtered.text and "1 task" in filtered.text
        nothing = browser.get("/tasks", params={"q": f"no such {SCRIPT}"})
        assert "No task&#39;s title contains" in nothing.text and SCRIPT not in nothing.text


def test_a_manual_step_shows_its_score_so_far_until_the_tester_completes_it(
    live: LiveServer, workspace: Workspace, api: httpx.Client
) -> None:
    steps = [
        {"description": "Greet", "points": 1, "section": "manners"},
        {"description": "Answer", "points": 3, "section": "substance", "dimensions": ["care"]},
    ]
    case = api.post(
        "/test-cases",
        json={"kind": "manual", "name": "interview", "publish": True, "content": {"steps": steps}},
    ).json()["id"]
    task = api.post("/tasks", json={"title": "Interview", "steps": [{"title": "Talk", "test_case_id": case}]})
    assert task.status_code == 201, task.text
    task_id, step_id = task.json()["id"], task.json()["steps"][0]["id"]
    with ti_client(live, workspace) as ti:
        who = add_candidate(ti, task_id, "ext-cy")
        instance = start(ti, task_id, who["candidateId"], step_id)["testInstanceId"]
    run = api.get("/executions", params={"test_case_id": case}).json()["items"][0]["id"]
    api.post(f"/executions/{run}/steps", json={"results": [{"step": 1, "outcome": "Passed"}]})
    with signed_in(workspace, Role.TESTER) as browser:
        page = browser.get(f"/tasks/{task_id}/instances/{instance}")
        assert page.status_code == 200
        assert "Started</span>" in page.text and "sealed when the instance completes" in page.text
        assert '<span class="mscore">1 / 4</span>' in page.text  # Greet passed, Answer not yet
        assert f'href="/manual/{run}"' in page.text  # a manual execution opens where it is recorded
        listed = browser.get(f"/tasks/{task_id}")
        assert "when complete" in listed.text
    api.post(f"/executions/{run}/steps", json={"results": [{"step": 2, "outcome": "Passed"}]})
    with signed_in(workspace, Role.TESTER) as browser:
        page = browser.get(f"/tasks/{task_id}/instances/{instance}")
        assert "Complete</span>" in page.text and '<span class="mscore">4 / 4</span>' in page.text
        assert "sealed when the instance completes" not in page.text and ">care</td>" in page.text


def test_unknown_tasks_and_instances_are_404_and_a_bad_page_number_a_400(
    workspace: Workspace, api: httpx.Client, target: Any, live: LiveServer
) -> None:
    task = make_task(api, target.url)
    other = make_task(api, target.url)
    with ti_client(live, workspace) as ti:
        who = add_candidate(ti, task["id"], "ext-1")
        instance = start(ti, task["id"], who["candidateId"], task["steps"][1]["id"])["testInstanceId"]
    unknown = "01a20000-0000-7000-8000-000000000000"
    with signed_in(workspace, Role.VIEWER) as browser:
        assert browser.get(f"/tasks/{unknown}").status_code == 404
        assert browser.get(f"/tasks/{task['id']}/instances/{unknown}").status_code == 404
        assert browser.get(f"/tasks/{other['id']}/instances/{instance}").status_code == 404
        bad = browser.get("/tasks", params={"page": "0"})
        assert bad.status_code == 400 and "page:" in bad.text
        empty = browser.get(f"/tasks/{other['id']}")
        assert "No test instances yet." in empty.text and "No candidates yet." in empty.text


def test_tasks_are_paged_and_an_empty_workspace_is_taught_what_to_do(
    live: LiveServer, workspace: Workspace, api: httpx.Client
) -> None:
    with signed_in(workspace, Role.ADMIN) as browser:
        empty = browser.get("/tasks")
        assert "No tasks yet." in empty.text and "<code>POST /api/v1/tasks</code>" in empty.text
        case = api.post(
            "/test-cases", json={"kind": "noop", "name": "trivial", "publish": True, "content": {}}
        ).json()["id"]
        for n in range(26):
            made = api.post(
                "/tasks", json={"title": f"Task {n:02}", "steps": [{"title": "s", "test_case_id": case}]}
            )
            assert made.status_code == 201
        first = browser.get("/tasks")
        assert "26 tasks" in first.text and "Task 25" in first.text and "Task 00" not in first.text
        assert 'href="/tasks?page=2"' in first.text
        second = browser.get("/tasks", params={"page": "2"})
        assert "Task 00" in second.text and "Task 25" not in second.text and "page=3" not in second.text
