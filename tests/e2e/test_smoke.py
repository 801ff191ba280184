"""The shortest path a user takes: create an http test case, run it, read its records."""

from typing import Any

import httpx

from tests.conftest import new_workspace, wait_finished


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


def test_a_response_too_long_for_its_record_is_downloadable_as_an_artifact(
    api: httpx.Client, live: Any
) -> None:
    big_url = f"{live.url}/api/v1/openapi.json"  # the server's own OpenAPI document is well over 4 KiB
    steps = [{"name": "openapi", "request": {"url": big_url}, "expect": {"status": 200}}]
    case = api.post(
        "/test-cases", json={"kind": "http", "name": "big", "publish": True, "content": {"steps": steps}}
    )
    execution = wait_finished(
        api, api.post("/executions", json={"test_case_id": case.json()["id"]}).json()["id"]
    )

    record = api.get(f"/executions/{execution['id']}/records").json()["items"][0]["record"]
    [artifact] = api.get(f"/executions/{execution['id']}/artifacts").json()["items"]
    download = api.get(f"/artifacts/{artifact['id']}")

    assert record["response"]["truncated"] is True
    assert record["response"]["artifact_id"] == artifact["id"]
    assert download.status_code == 200 and download.headers["content-type"].startswith("application/json")
    assert len(download.content) == artifact["size"] == record["response"]["size"]
    assert download.json()["openapi"].startswith("3.")
    with new_workspace(live.ctx, live.url).client() as stranger:
        assert stranger.get(f"/artifacts/{artifact['id']}").status_code == 404
