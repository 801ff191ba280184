"""Every execution is scored: points, sections, dimensions, partial credit and effects,
sealed when it ends and shown by the native API; plans gate on the score ratio."""

from typing import Any

import httpx

from tests.conftest import wait_finished
from tests.e2e.test_api_assets import created, plan_of, wait_plan_run
from tests.e2e.test_api_test_cases import assert_problem, unique


def scored_http_case(base: str, *, keep_going: bool) -> dict[str, Any]:
    steps = [
        {
            "name": "health",
            "request": {"url": f"{base}/ok"},
            "expect": {"status": 200, "json": {"$.ok": True}},
            "points": 2,
            "section": "api",
            "dimensions": ["reliability"],
        },
        {
            "name": "teapot",
            "request": {"url": f"{base}/ok"},
            "expect": {"status": 418},
            "section": "api",
            "dimensions": ["reliability/errors"],
        },
        {
            # three checks, two hold: status and body text; the JSON value does not
            "name": "partial",
            "request": {"url": f"{base}/ok"},
            "expect": {"status": 200, "json": {"$.ok": False}, "body_contains": "ok"},
            "partial_credit": True,
            "points": 3,
            "section": "perf",
            "dimensions": ["speed"],
        },
    ]
    effects = [
        {
            "name": "index",
            "formula": "round(overall * 100)",
            "sub_effects": [{"name": "errors", "formula": "dimension('reliability/errors')"}],
        },
        {"name": "balance", "formula": "weighted(dimension('reliability'), 3, dimension('speed'), 1)"},
    ]
    content = {"steps": steps, "effects": effects, "continue_on_failure": keep_going}
    return {"kind": "http", "name": unique("scored"), "publish": True, "content": content}


def run(api: httpx.Client, case_id: str) -> dict[str, Any]:
    started = api.post("/executions", json={"test_case_id": case_id}).json()
    return wait_finished(api, started["id"])


def tally(achieved: float, maximum: float, ratio: float, questions: int) -> dict[str, Any]:
    return {
        "pointsAchieved": achieved,
        "maxAchievablePoints": maximum,
        "achievementRatio": ratio,
        "noOfQuestions": questions,
    }


def test_an_http_execution_is_scored_by_points_sections_dimensions_and_partial_credit(
    api: httpx.Client, target: Any
) -> None:
    case = created(api.post("/test-cases", json=scored_http_case(target.url, keep_going=True)))

    done = run(api, case["id"])
    score = done["score"]

    assert done["status"] == "FAILED" and "teapot" in done["reason"]
    # health 2 of 2, teapot 0 of 1, partial 3 * 2/3 = 2 of 3
    assert score["scoreboard"] == tally(4, 6, 0.666667, 3)
    assert score["sections"] == [
        {"name": "api", "scoreboard": tally(2, 3, 0.666667, 2)},
        {"name": "perf", "scoreboard": tally(2, 3, 0.666667, 1)},
    ]
    reliability, speed = score["dimensions"]
    assert reliability == {
        "name": "reliability",
        "scoreboard": tally(2, 3, 0.666667, 2),
        "subDimensions": [{"name": "errors", "scoreboard": tally(0, 1, 0.0, 1)}],
    }
    assert (speed["name"], speed["scoreboard"]) == ("speed", tally(2, 3, 0.666667, 1))
    # (2/3 * 3 + 2/3 * 1) / 4
    assert score["effects"] == [
        {"name": "index", "score": 67.0, "subEffects": [{"name": "errors", "score": 0.0}]},
        {"name": "balance", "score": 0.666667, "subEffects": []},
    ]
    records = api.get(f"/executions/{done['id']}/records").json()["items"]
    assert [r["record"].get("credit") for r in records] == [None, None, 2 / 3]


def test_steps_a_run_never_reached_count_towards_the_maximum(api: httpx.Client, target: Any) -> None:
    case = created(api.post("/test-cases", json=scored_http_case(target.url, keep_going=False)))

    score = run(api, case["id"])["score"]

    assert score["scoreboard"] == tally(2, 6, 0.333333, 3)
    assert score["sections"][1] == {"name": "perf", "scoreboard": tally(0, 3, 0.0, 1)}


def test_a_manual_run_is_scored_when_it_completes(api: httpx.Client) -> None:
    steps = [
        {"description": "Open", "points": 1, "section": "setup"},
        {"description": "Pay", "points": 2, "dimensions": ["payments/cards"]},
        {"description": "Refund", "points": 3, "dimensions": ["payments/refunds"]},
    ]
    case = created(
        api.post(
            "/test-cases",
            json={"kind": "manual", "name": unique("manual"), "publish": True, "content": {"steps": steps}},
        )
    )
    execution = api.post("/executions", json={"test_case_id": case["id"]}).json()["id"]

    halfway = api.get(f"/executions/{execution}").json()
    results = [
        {"step": 1, "outcome": "Passed"},
        {"step": 2, "outcome": "Failed"},
        {"step": 3, "outcome": "Passed"},
    ]
    api.post(f"/executions/{execution}/steps", json={"results": results})
    done = api.get(f"/executions/{execution}").json()

    assert halfway["score"] is None  # sealed when the run ends
    assert done["score"]["scoreboard"] == tally(4, 6, 0.666667, 3)
    payments = done["score"]["dimensions"][0]
    assert payments["scoreboard"] == tally(3, 5, 0.6, 2)
    assert [s["name"] for s in payments["subDimensions"]] == ["cards", "refunds"]


def test_an_unscored_test_counts_each_step_as_one_point(api: httpx.Client, target: Any) -> None:
    steps = [{"name": "a", "request": {"url": f"{target.url}/ok"}, "expect": {"status": 200}}]
    case = created(
        api.post(
            "/test-cases",
            json={"kind": "http", "name": unique(), "publish": True, "content": {"steps": steps}},
        )
    )
    score = run(api, case["id"])["score"]
    assert (score["scoreboard"], score["sections"], score["dimensions"]) == (tally(1, 1, 1.0, 1), [], [])


def test_a_plan_gates_on_the_score_ratio(api: httpx.Client, target: Any) -> None:
    case = created(api.post("/test-cases", json=scored_http_case(target.url, keep_going=True)))
    plan = plan_of(api, case["id"], pass_ratio=0.6)
    strict = plan_of(api, case["id"], pass_ratio=0.9)

    lenient_run = wait_plan_run(
        api, api.post("/executions", json={"plan_id": plan["id"]}).json()["plan_run_id"]
    )
    strict_run = wait_plan_run(
        api, api.post("/executions", json={"plan_id": strict["id"]}).json()["plan_run_id"]
    )
    ungated = api.patch(f"/plans/{strict['id']}", json={"pass_ratio": None}).json()

    assert lenient_run["status"] == "FAILED" and lenient_run["score"] == tally(4, 6, 0.666667, 3)
    assert (lenient_run["pass_ratio"], lenient_run["gate_passed"]) == (0.6, True)
    assert (strict_run["pass_ratio"], strict_run["gate_passed"]) == (0.9, False)
    assert ungated["pass_ratio"] is None
    assert_problem(api.patch(f"/plans/{plan['id']}", json={"pass_ratio": 1.5}), 422, "pass_ratio")


def test_scoring_fields_and_effects_are_validated(api: httpx.Client, target: Any) -> None:
    bad_effect = scored_http_case(target.url, keep_going=True)
    bad_effect["content"]["effects"] = [{"name": "x", "formula": "dimension('speedy')"}]
    bad_dimension = scored_http_case(target.url, keep_going=True)
    bad_dimension["content"]["steps"][0]["dimensions"] = ["a/b/c"]
    bad_points = scored_http_case(target.url, keep_going=True)
    bad_points["content"]["steps"][0]["points"] = -1

    problem = assert_problem(api.post("/test-cases", json=bad_effect), 422, "content.effects[0].formula")
    assert "speedy" in str(problem["errors"])
    assert_problem(api.post("/test-cases", json=bad_dimension), 422, "content.steps[0].dimensions")
    assert_problem(api.post("/test-cases", json=bad_points), 422, "content.steps[0].points")
