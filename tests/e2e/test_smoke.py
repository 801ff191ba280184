"""The shortest path a user takes: create an http test case, run it, read its records."""

from typing import Any

import httpx

from tests.conftest import wait_finished


def http_case(target_url: str, name: str = "ok", **extra: Any) -> dict[str, Any]:
    return {
        "kind": "http",
        "name": name,
        "publish": True,
        "content": {
            "steps": [{"name": "get ok", "request": {"url": f"{target_url}/ok"}, "expect": {"status": 200}}]
        },
        **extra,
    }


def test_a_published_http_case_runs_and_its_records_are_readable(api: httpx.Client, target: Any) -> None:
    case = api.post("/test-cases", json=http_case(target.url)).json()
    started = api.post("/executions", json={"test_case_id": case["id"]})
    assert started.status_code == 201, started.text
    assert started.json()["status"] == "QUEUED"

    finished = wait_finished(api, started.json()["id"])

    assert finished["status"] == "PASSED"
    assert finished["records"] == {"total": 1, "passed": 1, "failed": 0}
    records = api.get(f"/executions/{finished['id']}/records").json()
    assert [r["observation_id"] for r in records["items"]] == ["get ok"]
    assert records["items"][0]["record"]["response"]["status"] == 200
    assert records["next_cursor"] is None


def test_the_health_check_answers_without_a_key(live: Any) -> None:
    assert httpx.get(live.url + "/healthz").json()["status"] == "ok"
