"""A script run's Status on the Enterprise Tester surface: what is shown is what filters match."""

import itertools
import uuid

import httpx

from tests.e2e.test_enterprise_tester import assignment, et

__all__ = ["et"]  # the fixture

OUTCOMES = ["NotRun", "Passed", "Failed", "Blocked", "Undetermined"]
WORDS = ["Not Run", "In Progress", "Passed", "Failed", "Blocked", "Undetermined"]
FIVE_STEPS = [{"description": f"Step {n}", "expected_result": "ok"} for n in range(1, 6)]


def five_step_assignment(api: httpx.Client) -> str:
    case = api.post(
        "/test-cases",
        json={
            "kind": "manual",
            "name": f"five {uuid.uuid4()}",
            "publish": True,
            "content": {"steps": FIVE_STEPS},
        },
    ).json()["id"]
    package = api.post("/packages", json={"name": f"Cycle {uuid.uuid4()}"}).json()["id"]
    answer = api.post(
        "/assignments", json={"package_id": package, "test_case_id": case, "assignee": "admin-user"}
    )
    return str(answer.json()["id"])


def record(et: httpx.Client, assignment_id: str, outcomes: tuple[str, ...], *, complete: bool) -> dict:  # type: ignore[type-arg]
    """A run whose five steps take the given outcomes in turn (NotRun when none is given)."""
    run = et.post(f"/scriptassignment/{assignment_id}/runs", params={"$expand": "StepResults"}).json()
    cycle = itertools.cycle(outcomes or ("NotRun",))
    results = [{"Id": s["Id"], "Outcome": next(cycle)} for s in run["StepResults"]]
    answer = et.put(f"/scriptrun/{run['Id']}", json={"StepResults": results, "AttemptToComplete": complete})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_a_fresh_run_shows_in_progress_and_filters_find_it_so(et: httpx.Client, api: httpx.Client) -> None:
    assignment_id = assignment(api)
    created = et.post(f"/scriptassignment/{assignment_id}/runs")
    returned = et.post(f"/scriptassignment/{assignment_id}/runs")

    def odata(word: str) -> list[str]:
        found = et.get(f"/scriptassignment/{assignment_id}/runs", params={"$filter": f"Status eq '{word}'"})
        return [r["Id"] for r in found.json()["Items"]]

    def tql(word: str) -> list[str]:
        return [r["Id"] for r in et.get("/scriptruns", params={"tql": f'Status = "{word}"'}).json()["Items"]]

    assert (created.status_code, returned.status_code) == (201, 200)
    assert created.json()["Status"] == returned.json()["Status"] == "In Progress"
    assert odata("In Progress") == tql("In Progress") == [created.json()["Id"]]
    assert odata("Not Run") == tql("Not Run") == []


def test_a_run_completed_with_steps_left_not_run_is_undetermined_not_passed(
    et: httpx.Client, api: httpx.Client
) -> None:
    done = record(et, five_step_assignment(api), ("Passed", "Passed", "NotRun"), complete=True)
    found = et.get("/scriptruns", params={"tql": "Status = Undetermined"}).json()["Items"]

    assert (done["Status"], done["Completed"]) == ("Undetermined", True)
    assert [r["Id"] for r in found] == [done["Id"]]


def test_every_status_filter_finds_exactly_the_runs_showing_that_status(
    et: httpx.Client, api: httpx.Client
) -> None:
    completed_here = five_step_assignment(api)
    shown: dict[str, str] = {}
    for size in range(len(OUTCOMES) + 1):
        for outcomes in itertools.combinations(OUTCOMES, size):
            run = record(et, completed_here, outcomes, complete=True)
            shown[run["Id"]] = run["Status"]
            if "NotRun" in outcomes or not outcomes:  # an open run needs a step left to do
                run = record(et, five_step_assignment(api), outcomes, complete=False)
                shown[run["Id"]] = run["Status"]

    assert set(shown.values()) == set(WORDS)
    for word in WORDS:
        expected = {run for run, status in shown.items() if status == word}
        by_tql = et.get("/scriptruns", params={"tql": f'Status = "{word}"', "$top": 1000}).json()["Items"]
        by_odata = et.get(
            f"/scriptassignment/{completed_here}/runs",
            params={"$filter": f"Status eq '{word}'", "$top": 1000},
        ).json()["Items"]
        assert {r["Id"] for r in by_tql} == expected, word
        assert {r["Id"] for r in by_odata} == {r for r in expected if r in _runs_of(et, completed_here)}, word


def _runs_of(et: httpx.Client, assignment_id: str) -> set[str]:
    items = et.get(f"/scriptassignment/{assignment_id}/runs", params={"$top": 1000}).json()["Items"]
    return {r["Id"] for r in items}
