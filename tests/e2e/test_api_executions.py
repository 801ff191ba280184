"""/api/v1/executions over HTTP: starting, idempotency, data sets, environments, records, stop, retries."""

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx

from testament.domain.access import Role
from tests.conftest import Workspace, new_workspace, wait_finished, wait_for
from tests.e2e.test_api_test_cases import assert_problem, unique
from tests.e2e.test_smoke import http_case


def steps_case(name: str, steps: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"kind": "http", "name": name, "publish": True, "content": {"steps": steps}, **extra}


def step(name: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "request": {"url": url}, **extra}


def create(api: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/test-cases", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def start(api: httpx.Client, **body: Any) -> dict[str, Any]:
    response = api.post("/executions", json=body)
    assert response.status_code == 201, response.text
    started: dict[str, Any] = response.json()
    return started


def all_records(api: httpx.Client, execution_id: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = api.get(
            f"/executions/{execution_id}/records", params={**params, **({"cursor": cursor} if cursor else {})}
        )
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        if not (cursor := page.json()["next_cursor"]):
            return items


def execution_ids(api: httpx.Client, **params: Any) -> list[str]:
    response = api.get("/executions", params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    return [x["id"] for x in response.json()["items"]]


# --- starting ------------------------------------------------------------------------------


def test_starting_a_test_case_that_was_never_published_is_a_409(api: httpx.Client, target: Any) -> None:
    case = create(api, http_case(target.url, unique(), publish=False))

    problem = assert_problem(api.post("/executions", json={"test_case_id": case["id"]}), 409)

    assert "publish" in problem["detail"]
    assert execution_ids(api, test_case_id=case["id"]) == []


def test_starting_with_neither_test_case_nor_plan_is_a_422(api: httpx.Client) -> None:
    assert_problem(api.post("/executions", json={}), 422, "test_case_id")


def test_starting_with_both_a_test_case_and_a_plan_is_a_422_and_starts_nothing(
    api: httpx.Client, target: Any
) -> None:
    case = create(api, http_case(target.url, unique()))
    suite = api.post("/suites", json={"name": unique("suite"), "test_case_ids": [case["id"]]}).json()
    plan = api.post("/plans", json={"name": unique("plan"), "suite_ids": [suite["id"]]}).json()

    response = api.post("/executions", json={"test_case_id": case["id"], "plan_id": plan["id"]})

    assert_problem(response, 422, "test_case_id")
    assert execution_ids(api) == []


def test_starting_with_both_is_a_422_even_before_the_ids_are_looked_up(api: httpx.Client) -> None:
    """The request's shape is wrong whatever the ids name; a 404 about one of them misleads."""
    response = api.post("/executions", json={"test_case_id": unique("nothing"), "plan_id": unique("nothing")})

    assert_problem(response, 422, "test_case_id")


def test_starting_an_unknown_test_case_is_a_404(api: httpx.Client) -> None:
    assert_problem(api.post("/executions", json={"test_case_id": unique("nothing")}), 404)


def test_a_test_case_is_started_by_its_name(api: httpx.Client, target: Any) -> None:
    case = create(api, http_case(target.url, unique()))

    started = start(api, test_case_id=case["name"])

    assert started["executions"][0]["test_case_id"] == case["id"]
    assert wait_finished(api, started["id"])["status"] == "PASSED"


def test_an_execution_records_who_started_it_and_when(workspace: Workspace, target: Any) -> None:
    with workspace.client(Role.TESTER) as tester:
        case = create(tester, http_case(target.url, unique()))
        started = start(tester, test_case_id=case["id"])
        finished = wait_finished(tester, started["id"])

    assert finished["created_by"] == "tester-user"
    assert finished["started_at"] is not None and finished["finished_at"] is not None
    assert finished["queued_at"] <= finished["started_at"] <= finished["finished_at"]
    assert finished["max_attempts"] == 1


# --- idempotency ----------------------------------------------------------------------------


def test_fifty_parallel_starts_with_one_client_token_make_one_execution(
    api: httpx.Client, workspace: Workspace, target: Any
) -> None:
    case = create(api, http_case(target.url, unique()))
    token = uuid.uuid4().hex

    def post(_: int) -> httpx.Response:
        with workspace.client() as client:
            return client.post("/executions", json={"test_case_id": case["id"], "client_token": token})

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(post, range(50)))

    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {200, 201}, [r.text for r in responses if r.status_code not in (200, 201)][:3]
    assert statuses.count(201) == 1
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.json()["replayed"] for r in responses) == 49
    assert len(execution_ids(api, test_case_id=case["id"])) == 1


def test_a_replayed_start_answers_200_with_the_first_execution(api: httpx.Client, target: Any) -> None:
    case = create(api, http_case(target.url, unique()))
    token = unique("token")
    first = api.post("/executions", json={"test_case_id": case["id"], "client_token": token})
    wait_finished(api, first.json()["id"])

    again = api.post("/executions", json={"test_case_id": case["name"], "client_token": token})

    assert first.status_code == 201 and first.json()["replayed"] is False
    assert again.status_code == 200, again.text
    assert again.json()["replayed"] is True
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["status"] == "PASSED"
    assert execution_ids(api, test_case_id=case["id"]) == [first.json()["id"]]


def test_a_client_token_used_for_another_test_case_is_a_409(api: httpx.Client, target: Any) -> None:
    one = create(api, http_case(target.url, unique()))
    other = create(api, http_case(target.url, unique()))
    token = unique("token")
    start(api, test_case_id=one["id"], client_token=token)

    assert_problem(api.post("/executions", json={"test_case_id": other["id"], "client_token": token}), 409)
    assert execution_ids(api, test_case_id=other["id"]) == []


def test_the_same_client_token_in_another_workspace_starts_its_own(
    api: httpx.Client, workspace: Workspace, target: Any, live: Any
) -> None:
    token = unique("token")
    mine = start(api, test_case_id=create(api, http_case(target.url, unique()))["id"], client_token=token)
    with new_workspace(live.ctx, live.url).client() as other:
        theirs = other.post(
            "/executions",
            json={
                "test_case_id": create(other, http_case(target.url, unique()))["id"],
                "client_token": token,
            },
        )

    assert theirs.status_code == 201, theirs.text
    assert theirs.json()["id"] != mine["id"]


# --- data sets and environments -------------------------------------------------------------


def test_each_data_set_runs_as_its_own_execution_with_its_variables(api: httpx.Client, target: Any) -> None:
    echo = {
        "name": "echo",
        "request": {
            "method": "POST",
            "url": f"{target.url}/echo?user={{{{user}}}}",
            "json": {"who": "{{user}}"},
        },
        "expect": {"status": 200},
    }
    users = ["alice", "bob", "carol"]
    case = create(
        api,
        steps_case(
            unique(), [echo], data_sets=[{"name": f"as-{u}", "variables": {"user": u}} for u in users]
        ),
    )

    started = start(api, test_case_id=case["id"])

    assert sorted(x["data_set_name"] for x in started["executions"]) == sorted(f"as-{u}" for u in users)
    assert len(execution_ids(api, test_case_id=case["id"])) == 3
    for execution in started["executions"]:
        finished = wait_finished(api, execution["id"])
        assert finished["status"] == "PASSED", finished["reason"]
        user = finished["data_set_name"].removeprefix("as-")
        record = all_records(api, execution["id"])[0]["record"]
        assert record["request"]["url"] == f"{target.url}/echo?user={user}"
        echoed = json.loads(record["response"]["body"])
        assert json.loads(echoed["body"]) == {"who": user}


def test_variables_of_the_environment_are_used(api: httpx.Client, target: Any) -> None:
    env = api.post("/environments", json={"name": unique("env"), "variables": {"base": target.url}}).json()
    case = create(api, steps_case(unique(), [step("echo", "{{base}}/echo", expect={"status": 200})]))

    with_env = wait_finished(api, start(api, test_case_id=case["id"], environment_id=env["id"])["id"])
    without = wait_finished(api, start(api, test_case_id=case["id"])["id"])

    assert with_env["status"] == "PASSED", with_env["reason"]
    assert with_env["environment_id"] == env["id"]
    assert all_records(api, with_env["id"])[0]["record"]["request"]["url"] == f"{target.url}/echo"
    assert without["status"] == "FAILED"
    assert "base" in without["reason"]


def test_start_variables_override_environment_and_data_set_variables(api: httpx.Client, target: Any) -> None:
    env = api.post(
        "/environments", json={"name": unique("env"), "variables": {"base": "http://127.0.0.1:1"}}
    ).json()
    case = create(api, steps_case(unique(), [step("echo", "{{base}}/echo", expect={"status": 200})]))

    started = start(api, test_case_id=case["id"], environment_id=env["id"], variables={"base": target.url})

    assert wait_finished(api, started["id"])["status"] == "PASSED"


def test_an_unknown_environment_is_refused_as_bad_input_and_starts_nothing(
    api: httpx.Client, target: Any
) -> None:
    case = create(api, http_case(target.url, unique()))

    response = api.post("/executions", json={"test_case_id": case["id"], "environment_id": unique("env")})

    assert_problem(response, 422, "environment_id")
    assert execution_ids(api, test_case_id=case["id"]) == []


def test_an_environment_is_given_by_its_name(api: httpx.Client, target: Any) -> None:
    env = api.post("/environments", json={"name": unique("env"), "variables": {"base": target.url}}).json()
    case = create(api, steps_case(unique(), [step("echo", "{{base}}/echo", expect={"status": 200})]))

    finished = wait_finished(api, start(api, test_case_id=case["id"], environment_id=env["name"])["id"])

    assert finished["status"] == "PASSED", finished["reason"]
    assert finished["environment_id"] == env["id"]


# --- records --------------------------------------------------------------------------------


def test_records_page_one_at_a_time_in_seq_order_each_once(api: httpx.Client, target: Any) -> None:
    names = [f"step-{i}" for i in range(4)]
    case = create(api, steps_case(unique(), [step(n, f"{target.url}/ok") for n in names]))
    finished = wait_finished(api, start(api, test_case_id=case["id"])["id"])
    assert finished["records"] == {"total": 4, "passed": 4, "failed": 0}

    pages = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 1}
        if cursor:
            params["cursor"] = cursor
        page = api.get(f"/executions/{finished['id']}/records", params=params).json()
        pages.append(page["items"])
        if not (cursor := page["next_cursor"]):
            break

    assert [len(p) for p in pages] == [1, 1, 1, 1]
    records = [r for p in pages for r in p]
    assert [r["observation_id"] for r in records] == names
    seqs = [r["seq"] for r in records]
    assert seqs == sorted(seqs) and len(set(seqs)) == 4


def test_records_are_filtered_by_status(api: httpx.Client, target: Any) -> None:
    case = create(
        api,
        steps_case(
            unique(),
            [
                step("fine", f"{target.url}/ok", expect={"status": 200}),
                step("wrong", f"{target.url}/ok", expect={"status": 201}),
            ],
        ),
    )
    finished = wait_finished(api, start(api, test_case_id=case["id"])["id"])

    failed = all_records(api, finished["id"], status="FAILED")
    passed = all_records(api, finished["id"], status="PASSED")

    assert finished["status"] == "FAILED"
    assert "wrong" in finished["reason"]
    assert [r["observation_id"] for r in failed] == ["wrong"]
    assert [r["observation_id"] for r in passed] == ["fine"]
    assert failed[0]["record"]["failures"][0]["expected"] == 201


def test_a_records_cursor_of_another_execution_is_refused(api: httpx.Client, target: Any) -> None:
    case = create(api, steps_case(unique(), [step("a", f"{target.url}/ok"), step("b", f"{target.url}/ok")]))
    one = wait_finished(api, start(api, test_case_id=case["id"])["id"])
    two = wait_finished(api, start(api, test_case_id=case["id"])["id"])
    cursor = api.get(f"/executions/{one['id']}/records", params={"limit": 1}).json()["next_cursor"]

    assert_problem(api.get(f"/executions/{two['id']}/records", params={"cursor": cursor}), 422, "cursor")


def test_records_of_an_unknown_execution_are_a_404(api: httpx.Client) -> None:
    assert_problem(api.get(f"/executions/{unique('nothing')}/records"), 404)


# --- listing executions ---------------------------------------------------------------------


def test_executions_are_filtered_by_test_case_status_time_and_tag(api: httpx.Client, target: Any) -> None:
    good = create(api, http_case(target.url, unique(), tags={"team": "web"}))
    bad = create(
        api,
        steps_case(
            unique(), [step("wrong", f"{target.url}/ok", expect={"status": 500})], tags={"team": "api"}
        ),
    )
    first = wait_finished(api, start(api, test_case_id=good["id"])["id"])
    second = wait_finished(api, start(api, test_case_id=bad["id"])["id"])
    third = wait_finished(api, start(api, test_case_id=good["id"])["id"])

    assert execution_ids(api) == [third["id"], second["id"], first["id"]]  # newest first
    assert execution_ids(api, test_case_id=good["id"]) == [third["id"], first["id"]]
    assert execution_ids(api, status="FAILED") == [second["id"]]
    assert execution_ids(api, status="PASSED") == [third["id"], first["id"]]
    assert execution_ids(api, tag="team") == [third["id"], second["id"], first["id"]]
    assert execution_ids(api, tag="team=api") == [second["id"]]
    assert execution_ids(api, since=second["queued_at"]) == [third["id"], second["id"]]
    assert execution_ids(api, until=second["queued_at"]) == [first["id"]]
    assert execution_ids(api, since=second["queued_at"], until=third["queued_at"]) == [second["id"]]


def instant(timestamp: str) -> datetime:
    """A timestamp the API returned, as an aware datetime (a missing offset means UTC here)."""
    moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_since_and_until_mean_the_same_instant_in_any_utc_offset(api: httpx.Client, target: Any) -> None:
    case = create(api, http_case(target.url, unique()))
    first = wait_finished(api, start(api, test_case_id=case["id"])["id"])
    second = wait_finished(api, start(api, test_case_id=case["id"])["id"])
    in_tokyo = instant(second["queued_at"]).astimezone(timezone(timedelta(hours=9))).isoformat()

    assert execution_ids(api, since=in_tokyo) == [second["id"]]
    assert execution_ids(api, until=in_tokyo) == [first["id"]]


def test_until_lists_every_execution_queued_before_it_however_long_the_start_took(
    api: httpx.Client, target: Any
) -> None:
    """All executions of one start share one queued_at; `until` just after it must list every one,
    even when their ids were minted some milliseconds after that instant."""
    cases = [
        create(
            api,
            {
                "kind": "noop",
                "name": unique(),
                "content": {},
                "publish": True,
                "data_sets": [{"name": f"set-{i}"} for i in range(5)],
            },
        )["id"]
        for _ in range(8)
    ]
    suite = api.post("/suites", json={"name": unique("suite"), "test_case_ids": cases}).json()
    plan = api.post("/plans", json={"name": unique("plan"), "suite_ids": [suite["id"]]}).json()
    started = start(api, plan_id=plan["id"])
    made = {x["id"] for x in started["executions"]}
    queued_at = {x["queued_at"] for x in started["executions"]}
    assert len(made) == 40 and len(queued_at) == 1

    queued = instant(queued_at.pop())
    a_second_later = (queued + timedelta(seconds=1)).isoformat()
    assert set(execution_ids(api, plan_run_id=started["plan_run_id"], until=a_second_later)) == made
    just_after = (queued + timedelta(microseconds=1)).isoformat()
    listed = set(execution_ids(api, plan_run_id=started["plan_run_id"], until=just_after))

    assert listed == made, f"{len(made - listed)} of {len(made)} executions queued before `until` are missing"


def test_a_bad_status_or_time_filter_is_refused(api: httpx.Client) -> None:
    assert_problem(api.get("/executions", params={"status": "DONE"}), 422, "status")
    assert_problem(api.get("/executions", params={"since": "yesterday"}), 422, "since")
    assert_problem(api.get("/executions", params={"limit": 0}), 422, "limit")


def test_paging_executions_visits_each_once(api: httpx.Client, target: Any) -> None:
    case = create(api, {"kind": "noop", "name": unique(), "content": {}, "publish": True})
    made = [start(api, test_case_id=case["id"])["id"] for _ in range(5)]

    seen: list[str] = []
    cursor = None
    while True:
        page = api.get("/executions", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [x["id"] for x in page["items"]]
        if not (cursor := page["next_cursor"]):
            break

    assert seen == list(reversed(made))


# --- stop -----------------------------------------------------------------------------------


def test_a_stopped_execution_ends_stopped_and_keeps_the_records_written_before(
    api: httpx.Client, target: Any
) -> None:
    case = create(
        api,
        steps_case(
            unique(),
            [
                step("first", f"{target.url}/ok"),
                step("slow", f"{target.url}/slow?ms=1500"),
                step("never", f"{target.url}/slow?ms=1500"),
                step("never either", f"{target.url}/ok"),
            ],
        ),
    )
    execution_id = start(api, test_case_id=case["id"])["id"]
    wait_for(lambda: api.get(f"/executions/{execution_id}").json()["records"]["total"] >= 1)

    stopping = api.post(f"/executions/{execution_id}/stop")

    assert stopping.status_code == 200, stopping.text
    assert stopping.json()["stop_requested"] is True
    finished = wait_finished(api, execution_id)
    assert finished["status"] == "STOPPED"
    steps = [r["observation_id"] for r in all_records(api, execution_id)]
    assert steps[:2] == ["first", "slow"]
    assert "never" not in steps and "never either" not in steps


def test_stopping_a_finished_execution_is_a_409(api: httpx.Client, target: Any) -> None:
    case = create(api, http_case(target.url, unique()))
    finished = wait_finished(api, start(api, test_case_id=case["id"])["id"])

    assert_problem(api.post(f"/executions/{finished['id']}/stop"), 409)
    assert api.get(f"/executions/{finished['id']}").json()["status"] == "PASSED"


def test_stopping_an_unknown_execution_is_a_404(api: httpx.Client) -> None:
    assert_problem(api.post(f"/executions/{unique('nothing')}/stop"), 404)


# --- retries --------------------------------------------------------------------------------


def test_a_flaky_step_passes_on_a_retry_and_keeps_the_failed_attempt(api: httpx.Client, target: Any) -> None:
    key = uuid.uuid4().hex
    case = create(
        api,
        steps_case(
            unique(), [step("flaky", f"{target.url}/flaky/{key}?fail=1", expect={"status": 200})], retries=2
        ),
    )

    finished = wait_finished(api, start(api, test_case_id=case["id"])["id"])

    assert finished["status"] == "PASSED", finished["reason"]
    assert finished["flaky"] is True
    assert finished["attempt"] == 2
    assert finished["max_attempts"] == 3
    records = all_records(api, finished["id"])
    flaky = [(r["attempt"], r["status"]) for r in records if r["observation_id"] == "flaky"]
    assert flaky == [(1, "FAILED"), (2, "PASSED")]
    assert [r["seq"] for r in records] == sorted(r["seq"] for r in records)


def test_a_step_that_keeps_failing_uses_every_attempt_and_fails(api: httpx.Client, target: Any) -> None:
    key = uuid.uuid4().hex
    case = create(
        api,
        steps_case(
            unique(), [step("flaky", f"{target.url}/flaky/{key}?fail=9", expect={"status": 200})], retries=1
        ),
    )

    finished = wait_finished(api, start(api, test_case_id=case["id"])["id"])

    assert finished["status"] == "FAILED"
    assert finished["flaky"] is False
    assert finished["attempt"] == 2
    flaky = [
        r["attempt"]
        for r in all_records(api, finished["id"], status="FAILED")
        if r["observation_id"] == "flaky"
    ]
    assert flaky == [1, 2]
