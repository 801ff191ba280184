"""The plans' pages over HTTP: the list (suites, machines, last runs), one plan (suites and test
cases, machines, settings, runs), a plan run's grid (statuses linking to runs, counts, quality
gate, polling while it runs) and "rerun the failed ones" (CSRF, refused to viewers), escaping and
empty states."""

import html
import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from testament.domain.access import Role
from tests.conftest import LiveServer, Workspace, new_workspace, wait_for
from tests.e2e.web import csrf_of, signed_in

SCRIPT = "<script>alert(1)</script>"
ROLES = list(Role)


@dataclass(frozen=True)
class Arranged:
    workspace: Workspace
    plan_id: str
    plan_name: str
    suite_name: str
    case_id: str
    run_id: str
    executions: dict[tuple[str, str], dict[str, Any]]  # (machine, data set) -> execution


def _wait_plan_run(api: httpx.Client, run_id: str) -> list[dict[str, Any]]:
    def finished() -> list[dict[str, Any]] | None:
        items: list[dict[str, Any]] = api.get(
            "/executions", params={"plan_run_id": run_id, "limit": 100}
        ).json()["items"]
        done = all(x["status"] in ("PASSED", "FAILED", "STOPPED", "ERROR") for x in items)
        return items if items and done else None

    found: list[dict[str, Any]] = wait_for(finished, 60)
    return found


@pytest.fixture(scope="module")
def arranged(live: LiveServer, target: Any) -> Arranged:
    """A plan on two machines of one suite whose test case has a good and a bad data set; one run
    of it, finished: per machine, one iteration passed and one failed."""
    workspace = new_workspace(live.ctx, live.url)
    with workspace.client() as api:
        env = api.post("/environments", json={"name": "local", "variables": {"base": target.url}}).json()
        case = api.post(
            "/test-cases",
            json={
                "kind": "http",
                "name": f"pay {SCRIPT}",
                "publish": True,
                "content": {
                    "steps": [
                        {"name": "get", "request": {"url": "{{base}}{{path}}"}, "expect": {"status": 200}}
                    ]
                },
                "data_sets": [
                    {"name": "good", "variables": {"path": "/ok"}},
                    {"name": "bad <em>one</em>", "variables": {"path": "/missing"}},
                ],
            },
        ).json()
        suite_name = f"money {SCRIPT}"
        suite = api.post("/suites", json={"name": suite_name, "test_case_ids": [case["id"]]}).json()
        plan_name = f"nightly {SCRIPT}"
        made = api.post(
            "/plans",
            json={
                "name": plan_name,
                "description": "every night",
                "suite_ids": [suite["id"]],
                "environment_id": env["id"],
                "pass_ratio": 0.9,
                "machines": [
                    {"name": "linux", "suite_ids": [suite["id"]], "variables": {"os": "linux"}},
                    {"name": "mac", "suite_ids": [suite["id"]]},
                ],
            },
        )
        assert made.status_code == 201, made.text
        plan = made.json()
        started = api.post("/executions", json={"plan_id": plan["id"]})
        assert started.status_code == 201, started.text
        run_id = started.json()["plan_run_id"]
        executions = _wait_plan_run(api, run_id)
    by_cell = {(x["machine"], x["data_set_name"]): x for x in executions}
    assert {k: x["status"] for k, x in by_cell.items()} == {
        ("linux", "good"): "PASSED",
        ("linux", "bad <em>one</em>"): "FAILED",
        ("mac", "good"): "PASSED",
        ("mac", "bad <em>one</em>"): "FAILED",
    }
    return Arranged(workspace, plan["id"], plan_name, suite_name, case["id"], run_id, by_cell)


def _main(page: httpx.Response) -> str:
    found = re.search(r'<main id="main"[^>]*>(.*)</main>', page.text, re.S)
    assert found, page.text
    return found.group(1)


def _escaped(text: str) -> str:
    return html.escape(text, quote=False)


@pytest.mark.parametrize("role", ROLES)
def test_the_plans_list_shows_suites_machines_and_last_runs(arranged: Arranged, role: Role) -> None:
    with signed_in(arranged.workspace, role) as client:
        page = client.get("/plans")
    assert page.status_code == 200 and SCRIPT not in page.text
    main = _main(page)
    assert "<h1>Plans</h1>" in main
    assert f'<a href="/plans/{arranged.plan_id}"><strong>{_escaped(arranged.plan_name)}</strong></a>' in main
    assert f"<strong>linux</strong>: {_escaped(arranged.suite_name)}" in main
    assert f"<strong>mac</strong>: {_escaped(arranged.suite_name)}" in main
    last = main[main.index(f'href="/plan-runs/{arranged.run_id}"') :]
    assert "Failed" in last.split("</li>")[0] and "2/4 passed" in last.split("</li>")[0]
    assert (f'href="/runs/new?plan={arranged.plan_id}"' in main) is (role is not Role.VIEWER)


@pytest.mark.parametrize("role", ROLES)
def test_a_plan_shows_its_suites_test_cases_machines_settings_and_runs(
    arranged: Arranged, role: Role
) -> None:
    with signed_in(arranged.workspace, role) as client:
        page = client.get(f"/plans/{arranged.plan_id}")
    assert page.status_code == 200 and SCRIPT not in page.text
    main = _main(page)
    assert f"<h1>{_escaped(arranged.plan_name)}</h1>" in main and "every night" in main
    runs = main[main.index('id="pl-runs"') : main.index('id="pl-suites"')]
    assert f'href="/plan-runs/{arranged.run_id}"' in runs and "2 / 4" in runs
    suites = main[main.index('id="pl-suites"') : main.index('id="pl-machines"')]
    assert f"<h3>{_escaped(arranged.suite_name)}</h3>" in suites
    assert f'href="/test-cases/{arranged.case_id}"' in suites and "pay &lt;script&gt;" in suites
    strip = re.search(r"oldest first: ([^\"]+)\"", suites)
    assert strip and sorted(strip.group(1).split(", ")) == ["Failed", "Failed", "Passed", "Passed"]
    machines = main[main.index('id="pl-machines"') : main.index('id="pl-settings"')]
    assert "linux" in machines and "os=linux" in machines and "mac" in machines
    settings = main[main.index('id="pl-settings"') :]
    assert "<dd>local</dd>" in settings and "pass ratio ≥ 90%" in settings
    assert (f'href="/runs/new?plan={arranged.plan_id}"' in main) is (role is not Role.VIEWER)


@pytest.mark.parametrize("role", ROLES)
def test_a_plan_run_shows_its_grid_counts_and_gate(arranged: Arranged, role: Role) -> None:
    with signed_in(arranged.workspace, role) as client:
        page = client.get(f"/plan-runs/{arranged.run_id}")
    assert page.status_code == 200 and SCRIPT not in page.text
    main = _main(page)
    banner = main[main.index('class="pl-banner') :].split("</section>")[0]
    assert "st-failed" in banner.split(">")[0]  # the verdict first
    assert re.search(r"✓</span> Passed</span> <strong>2</strong>", banner)
    assert re.search(r"✗</span> Failed</span> <strong>2</strong>", banner)
    assert "of <strong>4</strong>" in banner
    assert "✗ not held" in banner and "(50% &lt; 90%)" in banner
    grid = main[main.index('class="table pl-grid"') :].split("</table>")[0]
    assert '<th scope="col">linux</th><th scope="col">mac</th>' in grid.replace("\n", "")
    assert "bad &lt;em&gt;one&lt;/em&gt;" in grid and "<em>" not in grid
    for (machine, data_set), execution in arranged.executions.items():
        cell = grid[grid.index(f'href="/runs/{execution["id"]}"') :].split("</td>")[0]
        assert ("Passed" if data_set == "good" else "Failed") in cell, (machine, data_set)
    assert "hx-trigger" not in main  # finished: no polling
    rerun = f'action="/plan-runs/{arranged.run_id}/rerun"'
    assert (rerun in main) is (role is not Role.VIEWER)


def test_a_viewer_cannot_rerun_and_the_server_refuses_it(arranged: Arranged) -> None:
    with signed_in(arranged.workspace, Role.VIEWER) as client:
        csrf = csrf_of(client.get("/plans").text)  # the sign-out form's token
        refused = client.post(f"/plan-runs/{arranged.run_id}/rerun", data={"csrf": csrf})
    assert refused.status_code == 403 and "text/html" in refused.headers["content-type"]
    assert "may not execute" in refused.text
    with arranged.workspace.client() as api:
        runs = api.get("/executions", params={"limit": 100}).json()["items"]
    assert {x["plan_run_id"] for x in runs} == {arranged.run_id}  # no new run


def test_a_rerun_without_the_csrf_token_is_refused(arranged: Arranged) -> None:
    with signed_in(arranged.workspace, Role.TESTER) as client:
        refused = client.post(f"/plan-runs/{arranged.run_id}/rerun", data={"mode": "failed_iterations"})
        bad_mode = client.post(
            f"/plan-runs/{arranged.run_id}/rerun",
            data={"mode": "everything", "csrf": csrf_of(client.get(f"/plan-runs/{arranged.run_id}").text)},
        )
    assert refused.status_code == 403
    assert bad_mode.status_code == 400 and "mode: must be one of" in bad_mode.text


def test_rerunning_the_failed_ones_starts_a_run_of_only_them(live: LiveServer, target: Any) -> None:
    """A run of its own (the shared one must stay without reruns for the other tests)."""
    workspace = new_workspace(live.ctx, live.url)
    with workspace.client() as api:
        case = api.post(
            "/test-cases",
            json={
                "kind": "http",
                "name": "flaky one",
                "publish": True,
                "content": {
                    "steps": [
                        {
                            "name": "get",
                            "request": {"url": f"{target.url}{{{{path}}}}"},
                            "expect": {"status": 200},
                        }
                    ]
                },
                "data_sets": [
                    {"name": "good", "variables": {"path": "/ok"}},
                    {"name": "bad", "variables": {"path": "/missing"}},
                ],
            },
        ).json()
        suite = api.post("/suites", json={"name": "s", "test_case_ids": [case["id"]]}).json()
        plan = api.post("/plans", json={"name": "p", "suite_ids": [suite["id"]]}).json()
        run_id = api.post("/executions", json={"plan_id": plan["id"]}).json()["plan_run_id"]
        _wait_plan_run(api, run_id)
    with signed_in(workspace, Role.TESTER) as client:
        page = client.get(f"/plan-runs/{run_id}")
        assert "Rerun the failed ones (1)" in page.text
        answer = client.post(
            f"/plan-runs/{run_id}/rerun", data={"csrf": csrf_of(page.text), "mode": "failed_iterations"}
        )
        assert answer.status_code == 303
        new_run = answer.headers["location"].removeprefix("/plan-runs/")
        assert new_run != run_id
        with workspace.client() as api:
            rerun = _wait_plan_run(api, new_run)
        shown = _main(client.get(f"/plan-runs/{new_run}"))
    assert [(x["data_set_name"], x["status"]) for x in rerun] == [("bad", "FAILED")]
    assert f'rerun of <a href="/plan-runs/{run_id}">' in shown and "(MANUAL)" in shown


def test_a_running_plan_run_polls_its_grid_until_it_ends(live: LiveServer, target: Any) -> None:
    workspace = new_workspace(live.ctx, live.url)
    with workspace.client() as api:
        case = api.post(
            "/test-cases",
            json={
                "kind": "http",
                "name": "slow one",
                "publish": True,
                "content": {"steps": [{"name": "wait", "request": {"url": f"{target.url}/slow?ms=4000"}}]},
            },
        ).json()
        suite = api.post("/suites", json={"name": "s", "test_case_ids": [case["id"]]}).json()
        plan = api.post("/plans", json={"name": "p", "suite_ids": [suite["id"]]}).json()
        run_id = api.post("/executions", json={"plan_id": plan["id"]}).json()["plan_run_id"]
        with signed_in(workspace, Role.TESTER) as client:
            page = client.get(f"/plan-runs/{run_id}")
            fragment = client.get(f"/plan-runs/{run_id}/grid", headers={"HX-Request": "true"})
            early = client.post(
                f"/plan-runs/{run_id}/rerun", data={"csrf": csrf_of(page.text), "mode": "failed_tests"}
            )
            _wait_plan_run(api, run_id)
            done = client.get(f"/plan-runs/{run_id}/grid", headers={"HX-Request": "true"})
    polling = f'hx-get="/plan-runs/{run_id}/grid" hx-trigger="every 2s" hx-swap="outerHTML"'
    assert polling in page.text
    assert polling in fragment.text and "<html" not in fragment.text  # the fragment alone
    assert "Queued" in fragment.text or "Running" in fragment.text
    assert early.status_code == 409 and "still running" in early.text
    assert done.status_code == 200 and "hx-trigger" not in done.text and "Passed" in done.text
    assert 'id="plan-run"' in done.text


def test_empty_states_teach_what_to_do(live: LiveServer) -> None:
    workspace = new_workspace(live.ctx, live.url)
    with workspace.client() as api:
        plan = api.post("/plans", json={"name": "unrun", "suite_ids": []}).json()
    with signed_in(workspace, Role.TESTER) as client:
        plan_page = _main(client.get(f"/plans/{plan['id']}"))
        client.cookies.clear()
    other = new_workspace(live.ctx, live.url)
    with signed_in(other, Role.VIEWER) as client:
        listed = _main(client.get("/plans"))
        missing = client.get("/plan-runs/no-such-run")
        elsewhere = client.get(f"/plans/{plan['id']}")  # another workspace's plan
    assert "No plans yet." in listed and "<code>testament apply -f plan.yaml</code>" in listed
    assert (
        "This plan has not run yet." in plan_page and "<code>testament run unrun --wait</code>" in plan_page
    )
    assert "This plan runs no suites." in plan_page
    assert missing.status_code == 404 and elsewhere.status_code == 404
