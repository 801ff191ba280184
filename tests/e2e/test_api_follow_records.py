"""Following a run: `after_seq` reads only the records written since the last one seen."""

from typing import Any

import httpx

from tests.conftest import wait_finished
from tests.e2e.test_api_executions import create, start, step, steps_case
from tests.e2e.test_api_test_cases import assert_problem


def test_after_seq_returns_only_the_records_after_it(api: httpx.Client, target: Any) -> None:
    case = create(api, steps_case("follow", [step(f"s{i}", f"{target.url}/ok") for i in range(1, 4)]))
    execution = start(api, test_case_id=case["id"])["id"]
    wait_finished(api, execution)

    everything = api.get(f"/executions/{execution}/records").json()["items"]
    after_first = api.get(f"/executions/{execution}/records", params={"after_seq": everything[0]["seq"]})
    after_last = api.get(f"/executions/{execution}/records", params={"after_seq": everything[-1]["seq"]})

    assert [r["observation_id"] for r in everything] == ["s1", "s2", "s3"]
    assert [r["seq"] for r in after_first.json()["items"]] == [r["seq"] for r in everything[1:]]
    assert after_last.json() == {"items": [], "next_cursor": None}


def test_a_negative_after_seq_is_a_422_naming_it(api: httpx.Client, target: Any) -> None:
    case = create(api, steps_case("follow-bad", [step("s", f"{target.url}/ok")]))
    execution = start(api, test_case_id=case["id"])["id"]

    answer = api.get(f"/executions/{execution}/records", params={"after_seq": -1})

    assert_problem(answer, 422)
    assert "after_seq" in answer.text
