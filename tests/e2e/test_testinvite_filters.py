"""TestInvite's instance and candidate filters compile into the one filter tree: each condition
the client gives holds for every instance answered (labels and creation times too)."""

import time
from typing import Any

import httpx

from tests.e2e.test_testinvite import add_candidate, make_task, start, ti

__all__ = ["ti"]  # the fixture, shared with the TestInvite tests


def _ids(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [i["testInstanceId"] for i in answer.json()["testInstances"]]


def test_meta_and_info_filters_combine_and_labels_and_times_hold(
    ti: httpx.Client, api: httpx.Client, target: Any
) -> None:
    task = make_task(api, target.url)
    review, ping, _both = (s["id"] for s in task["steps"])
    remote = add_candidate(ti, task["id"], "r", group="night", labels=["remote"], email="r@example.com")
    local = add_candidate(ti, task["id"], "l", group="night", labels=["onsite"])
    first = start(ti, task["id"], remote["candidateId"], review)["testInstanceId"]
    before_second = int(time.time() * 1000)
    time.sleep(0.01)
    second = start(ti, task["id"], local["candidateId"], review)["testInstanceId"]
    third = start(ti, task["id"], remote["candidateId"], ping)["testInstanceId"]
    path = f"/tasks/{task['id']}/test-instances/filter"

    def search(**body: Any) -> list[str]:
        return _ids(ti.post(path, params={"limit": 50}, json=body))

    assert search(kind="meta", group="night") == [first, second, third]
    assert search(kind="meta", label="remote") == [first, third]
    assert search(kind="meta", label="remote", stepId=review) == [first]
    assert search(kind="meta", **{"from": before_second}) == [second, third]
    assert search(kind="meta", **{"to": before_second}) == [first]
    assert search(kind="meta", group="day") == []
    assert search(kind="info", email="r@example.com") == [first, third]
    assert search(kind="info", uniqId="l") == [second]
    listed = ti.get(
        f"/tasks/{task['id']}/test-instances", params={"externalId": "r", "ticketId": remote["ticketId"]}
    )
    assert _ids(listed) == [first, third]
    by_code = ti.get(f"/tasks/{task['id']}/candidates", params={"code": local["invitationCode"]}).json()
    assert [c["candidateId"] for c in by_code["candidates"]] == [local["candidateId"]]
    titled = ti.get("/tasks", params={"title": task["title"][2:].upper()}).json()["tasks"]
    assert [t["taskId"] for t in titled] == [task["id"]]
