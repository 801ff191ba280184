"""TestInvite's test-instance API over HTTP: a task over scored test cases, given to several
candidates, their instances run and scored to the point, the listing walked page by page in
both modes, the vendor's errors, and completion callbacks received by a local server."""

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from testament.domain.access import Role
from tests.conftest import LiveServer, Workspace, wait_for
from tests.e2e.test_api_assets import created
from tests.e2e.test_api_test_cases import unique

BASE = "/testinvite/api/integration/rest/v1"


def ti_client(
    live: LiveServer, workspace: Workspace, role: Role = Role.ADMIN, base: str = BASE
) -> httpx.Client:
    return httpx.Client(
        base_url=f"{live.url}{base}",
        headers={"Authorization": f"Bearer {workspace.keys[role].token}"},
        timeout=30,
    )


@pytest.fixture
def ti(live: LiveServer, workspace: Workspace) -> Iterator[httpx.Client]:
    with ti_client(live, workspace) as client:
        yield client


def review_case(base: str) -> dict[str, Any]:
    """Three scored steps: login passes (2 points), teapot fails (1), speed earns 2 of its 3
    checks (3 points * 2/3)."""
    steps = [
        {"name": "login", "request": {"url": f"{base}/ok"}, "expect": {"status": 200},
         "points": 2, "section": "auth", "dimensions": ["security/auth"]},
        {"name": "teapot", "request": {"url": f"{base}/ok"}, "expect": {"status": 418},
         "points": 1, "section": "auth", "dimensions": ["security/errors"]},
        {"name": "speed", "request": {"url": f"{base}/ok"},
         "expect": {"status": 200, "json": {"$.ok": False}, "body_contains": "ok"}, "partial_credit": True,
         "points": 3, "section": "perf", "dimensions": ["speed"]},
    ]  # fmt: skip
    effects = [
        {
            "name": "quality",
            "formula": "weighted(dimension('security'), 2, dimension('speed'), 1)",
            "sub_effects": [{"name": "auth", "formula": "dimension('security/auth')"}],
        }
    ]
    content = {"steps": steps, "effects": effects, "continue_on_failure": True}
    return {"kind": "http", "name": unique("review"), "publish": True, "content": content}


def ping_case(base: str) -> dict[str, Any]:
    steps = [
        {"name": "ping", "request": {"url": f"{base}/ok"}, "expect": {"status": 200},
         "points": 1, "section": "perf", "dimensions": ["speed/latency"]},
    ]  # fmt: skip
    return {"kind": "http", "name": unique("ping"), "publish": True, "content": {"steps": steps}}


def board(achieved: float, maximum: float, ratio: float, questions: int) -> dict[str, Any]:
    return {
        "pointsAchieved": achieved,
        "maxAchievablePoints": maximum,
        "achievementRatio": ratio,
        "noOfQuestions": questions,
    }


# review: 2 + 0 + 3 * 2/3 = 4 of 6
REVIEW = {
    "scoreboard": board(4, 6, 0.666667, 3),
    "sections": [board(2, 3, 0.666667, 2), board(2, 3, 0.666667, 1)],
    "dimensions": [
        {
            "name": "security",
            "scoreboard": board(2, 3, 0.666667, 2),
            "subDimensions": [
                {"name": "auth", "scoreboard": board(2, 2, 1.0, 1)},
                {"name": "errors", "scoreboard": board(0, 1, 0.0, 1)},
            ],
        },
        {"name": "speed", "scoreboard": board(2, 3, 0.666667, 1), "subDimensions": []},
    ],
    # (2/3 * 2 + 2/3 * 1) / 3, and security/auth's ratio
    "effects": [{"name": "quality", "score": 0.666667, "subEffects": [{"name": "auth", "score": 1.0}]}],
}
PING = {
    "scoreboard": board(1, 1, 1.0, 1),
    "sections": [board(1, 1, 1.0, 1)],
    "dimensions": [
        {
            "name": "speed",
            "scoreboard": board(1, 1, 1.0, 1),
            "subDimensions": [{"name": "latency", "scoreboard": board(1, 1, 1.0, 1)}],
        }
    ],
    "effects": [],
}
# the plan runs both: 5 of 7; perf adds review's 2 of 3 and ping's 1 of 1
BOTH = {
    "scoreboard": board(5, 7, 0.714286, 4),
    "sections": [board(2, 3, 0.666667, 2), board(3, 4, 0.75, 2)],
    "dimensions": [
        REVIEW["dimensions"][0],
        {
            "name": "speed",
            "scoreboard": board(3, 4, 0.75, 2),
            "subDimensions": [{"name": "latency", "scoreboard": board(1, 1, 1.0, 1)}],
        },
    ],
    "effects": REVIEW["effects"],
}


def make_task(api: httpx.Client, target_url: str, **extra: Any) -> dict[str, Any]:
    review = created(api.post("/test-cases", json=review_case(target_url)))
    ping = created(api.post("/test-cases", json=ping_case(target_url)))
    suite = created(
        api.post("/suites", json={"name": unique("suite"), "test_case_ids": [review["id"], ping["id"]]})
    )
    plan = created(api.post("/plans", json={"name": unique("plan"), "suite_ids": [suite["id"]]}))
    steps = [
        {"title": "Review", "test_case_id": review["id"], **extra},
        {"title": "Ping", "test_case_id": ping["id"]},
        {"title": "Both", "plan_id": plan["id"]},
    ]
    return created(
        api.post(
            "/tasks",
            json={
                "title": unique("Task"),
                "folder": "QA",
                "labels": ["release"],
                "tags": {"team": "core"},
                "steps": steps,
            },
        )
    )


def add_candidate(ti: httpx.Client, task_id: str, external_id: str, **extra: Any) -> dict[str, Any]:
    response = ti.post(
        f"/tasks/{task_id}/candidates",
        params={"mode": "detailed"},
        json={"kind": "temporary-candidate", "externalId": external_id, "fullname": external_id, **extra},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def start(ti: httpx.Client, task_id: str, candidate_id: str, step_id: str) -> dict[str, Any]:
    response = ti.post(f"/tasks/{task_id}/candidates/{candidate_id}/steps/{step_id}/start")
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def complete(ti: httpx.Client, task_id: str, instance_id: str, mode: str = "detailed") -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        body: dict[str, Any] = ti.get(
            f"/tasks/{task_id}/test-instances/{instance_id}", params={"mode": mode}
        ).json()
        return body if body["status"] == "COMPLETE" else None

    result: dict[str, Any] = wait_for(done, 30)
    return result


def scores_of(result: dict[str, Any]) -> dict[str, Any]:
    """The result's scores, with section uuids set aside (checked on their own)."""
    return {
        "scoreboard": result["scoreboard"],
        "sections": [s["scoreboard"] for s in result["sections"]],
        "dimensions": result["dimensions"],
        "effects": result["effects"],
    }


def test_a_task_given_to_several_candidates_is_scored_to_the_point(
    ti: httpx.Client, api: httpx.Client, target: Any, live: LiveServer, workspace: Workspace
) -> None:
    task = make_task(api, target.url)
    review, ping, both = (s["id"] for s in task["steps"])
    first = add_candidate(ti, task["id"], "ext-1", group="night shift", labels=["remote"])
    second = add_candidate(ti, task["id"], "ext-2")

    started = start(ti, task["id"], first["candidateId"], review)
    assert (started["status"], started["result"]) == ("STARTED", False)
    instances = {
        ("first", "review"): started["testInstanceId"],
        ("first", "both"): start(ti, task["id"], first["candidateId"], both)["testInstanceId"],
        ("second", "review"): start(ti, task["id"], second["candidateId"], review)["testInstanceId"],
        ("second", "ping"): start(ti, task["id"], second["candidateId"], ping)["testInstanceId"],
    }
    done = {key: complete(ti, task["id"], ident) for key, ident in instances.items()}
    basic = complete(ti, task["id"], instances[("second", "ping")], mode="basic")

    assert scores_of(done[("first", "review")]["result"]) == REVIEW
    assert scores_of(done[("second", "review")]["result"]) == REVIEW
    assert scores_of(done[("second", "ping")]["result"]) == PING
    assert scores_of(done[("first", "both")]["result"]) == BOTH
    sections = [[s["uuid"] for s in d["result"]["sections"]] for d in done.values()]
    assert sections[0] == sections[2] == sections[1] and len(set(sections[0])) == 2
    assert all(uuid.UUID(u) for u in sections[0])
    shown = done[("first", "review")]
    assert (shown["candidate"], shown["group"], shown["labels"], shown["folder"]) == (
        {"id": first["candidateId"], "kind": "temp"},
        "night shift",
        ["remote"],
        "QA",
    )
    assert shown["organizationId"] == workspace.id and shown["ticketId"] == first["ticketId"]
    assert isinstance(shown["result"]["completedAt"], int) and shown["ignored"] is False
    assert basic["result"]["scoreboard"] == {
        "pointsAchieved": 1,
        "maxAchievablePoints": 1,
        "achievementRatio": 1.0,
    }
    assert set(basic) == {"testInstanceId", "taskId", "stepId", "ticketId", "status", "ignored", "result"}

    (plan_run,) = api.get("/plan-runs").json()["items"]  # the "both" step's
    assert api.get(f"/plan-runs/{plan_run['id']}").json()["score"] == BOTH["scoreboard"]


def _walk(ti: httpx.Client, path: str, query: str) -> list[dict[str, Any]]:
    """Every page, following `next` from `query`; checks `previous` points back."""
    pages = []
    while query:
        page = ti.get(path + query).json()
        pages.append(page)
        query = page["pagination"]["next"]
    for before, after in pairwise(pages):
        back = dict(parse_qsl(after["pagination"]["previous"].lstrip("?")))
        assert int(back["page"]) == before["pagination"]["currentPage"]
    return pages


@pytest.mark.parametrize("mode", ["basic", "detailed"])
def test_the_listing_walks_every_instance_exactly_once_in_both_modes(
    ti: httpx.Client, api: httpx.Client, target: Any, mode: str
) -> None:
    task = make_task(api, target.url)
    review, ping, both = (s["id"] for s in task["steps"])
    made = []
    for external_id, steps in (("a", [review, ping, both]), ("b", [review, ping]), ("c", [ping])):
        candidate = add_candidate(ti, task["id"], external_id)
        made += [start(ti, task["id"], candidate["candidateId"], s)["testInstanceId"] for s in steps]
    path = f"/tasks/{task['id']}/test-instances"

    pages = _walk(ti, path, f"?limit=4&mode={mode}")
    filtered = _walk(ti, path, f"?limit=2&mode={mode}&externalId=a")

    seen = [i["testInstanceId"] for p in pages for i in p["testInstances"]]
    assert sorted(seen) == sorted(made) and len(seen) == len(set(seen)) == 6
    first, last = pages[0]["pagination"], pages[-1]["pagination"]
    assert first == {
        "totalItems": 6,
        "totalPages": 2,
        "currentPage": 1,
        "limit": 4,
        "next": f"?limit=4&page=2&mode={mode}",
        "previous": None,
    }
    assert (last["next"], last["previous"], last["currentPage"]) == (None, f"?limit=4&page=1&mode={mode}", 2)
    assert [len(p["testInstances"]) for p in filtered] == [2, 1]
    assert filtered[0]["pagination"]["next"] == f"?limit=2&page=2&mode={mode}&externalId=a"
    assert filtered[1]["pagination"]["previous"] == f"?limit=2&page=1&mode={mode}&externalId=a"
    assert ("candidate" in pages[0]["testInstances"][0]) is (mode == "detailed")


def test_candidate_id_with_external_id_and_other_bad_requests_are_the_vendors_errors(
    ti: httpx.Client, api: httpx.Client, target: Any, live: LiveServer, workspace: Workspace
) -> None:
    task = make_task(api, target.url)
    path = f"/tasks/{task['id']}/test-instances"

    both = ti.get(path, params={"candidateId": "x", "externalId": "y"})
    bad_mode = ti.get(path, params={"mode": "full"})
    bad_limit = ti.get(path, params={"limit": "0"})
    unknown = ti.get("/tasks/nope/test-instances")
    anonymous = httpx.get(f"{live.url}{BASE}/tasks")

    assert both.status_code == 400 and both.json()["error"]["code"] == "invalid"
    assert "candidateId" in both.json()["error"]["message"]
    assert bad_mode.status_code == 400 and "mode" in bad_mode.json()["error"]["message"]
    assert bad_limit.status_code == 400 and "limit" in bad_limit.json()["error"]["message"]
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not-found"
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthorized"
    with ti_client(live, workspace, Role.VIEWER) as viewer:
        refused = viewer.post(f"/tasks/{task['id']}/candidates", json={"kind": "temporary-candidate"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"


class _Receiver(BaseHTTPRequestHandler):
    """Fails the first delivery, takes the rest."""

    calls: list[dict[str, Any]] = []

    def log_message(self, *_args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.calls.append(body)
        self.send_response(500 if len(self.calls) == 1 else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def test_a_completion_callback_is_delivered_and_retried(
    ti: httpx.Client, api: httpx.Client, target: Any
) -> None:
    _Receiver.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        task = make_task(api, target.url)
        callback = {
            "url": f"http://127.0.0.1:{server.server_port}/done",
            "params": {"order": 7},
            "resource": "detailed",
        }
        candidate = add_candidate(ti, task["id"], "hooked", callback=callback)
        instance = start(ti, task["id"], candidate["candidateId"], task["steps"][0]["id"])["testInstanceId"]

        calls = wait_for(lambda: _Receiver.calls if len(_Receiver.calls) >= 2 else None, 30)
    finally:
        server.shutdown()

    first, second = calls[:2]
    assert first == second  # the retry carries the same instance
    assert second["params"] == {"order": 7}
    sent = second["testInstance"]
    assert (sent["testInstanceId"], sent["status"]) == (instance, "COMPLETE")
    assert scores_of(sent["result"]) == REVIEW and sent["candidate"]["id"] == candidate["candidateId"]


def test_retakes_resetups_attempt_limits_and_deletion(
    ti: httpx.Client, api: httpx.Client, target: Any, live: LiveServer, workspace: Workspace
) -> None:
    task = make_task(api, target.url, attempt_limit=2)
    review = task["steps"][0]["id"]
    candidate = add_candidate(ti, task["id"], "retaker")["candidateId"]
    fresh = add_candidate(ti, task["id"], "never-started")["candidateId"]

    first = start(ti, task["id"], candidate, review)["testInstanceId"]
    again = start(ti, task["id"], candidate, review)["testInstanceId"]  # still open: the same one
    complete(ti, task["id"], first)
    retake = start(ti, task["id"], candidate, review)["testInstanceId"]
    complete(ti, task["id"], retake)
    over_limit = ti.post(f"/tasks/{task['id']}/candidates/{candidate}/steps/{review}/start")
    reopened = ti.post(f"/tasks/{task['id']}/test-instances/{retake}/resetup").json()
    resumed = start(ti, task["id"], candidate, review)
    finished = complete(ti, task["id"], retake)
    earlier = ti.get(f"/tasks/{task['id']}/test-instances/{first}").json()

    assert again == first and retake != first
    assert earlier["ignored"] is True and finished["ignored"] is False
    assert over_limit.status_code == 403 and "attempt" in over_limit.json()["error"]["message"]
    assert (reopened["status"], resumed["testInstanceId"], resumed["status"]) == (
        "RESETUP",
        retake,
        "STARTED",
    )
    assert resumed["result"] is False and scores_of(finished["result"]) == REVIEW
    assert ti.get(f"/tasks/{task['id']}/candidates/{candidate}").json()["loggedIn"] is True
    with ti_client(live, workspace, Role.TESTER) as tester:
        assert tester.post(f"/tasks/{task['id']}/test-instances/{retake}/resetup").status_code == 403
    assert ti.delete(f"/tasks/{task['id']}/candidates/{candidate}").status_code == 403
    assert ti.delete(f"/tasks/{task['id']}/candidates/{fresh}").json() == {}
    assert ti.get(f"/tasks/{task['id']}/candidates/{fresh}").status_code == 404


def test_tasks_candidates_and_both_path_spellings(
    ti: httpx.Client, api: httpx.Client, target: Any, live: LiveServer, workspace: Workspace
) -> None:
    task = make_task(api, target.url)
    user = ti.post(
        f"/tasks/{task['id']}/candidates", json={"kind": "internal-candidate", "id": "tester-user"}
    ).json()
    add_candidate(ti, task["id"], "temp-1", email="t@example.com")

    listed = ti.get("/tasks", params={"title": task["title"].upper(), "mode": "detailed"}).json()
    candidates = ti.get(f"/tasks/{task['id']}/candidates", params={"email": "t@example.com"}).json()
    patched = ti.patch(
        f"/tasks/{task['id']}/candidates/{user['candidateId']}",
        json={"fields": {"group": "blue", "labels": {"add": ["a", "b"], "remove": ["a"]}}},
    ).json()
    with ti_client(live, workspace, Role.TESTER, base="/testinvite/api/integration/rest") as tester:
        own = tester.post(
            f"/tasks/{task['id']}/candidates/{user['candidateId']}/steps/{task['steps'][1]['id']}/start"
        )
        other = add_candidate(tester, task["id"], "someone-else")
    with ti_client(live, workspace, Role.VIEWER) as viewer:
        cannot = viewer.post(
            f"/tasks/{task['id']}/candidates/{other['candidateId']}/steps/{task['steps'][1]['id']}/start"
        )

    detailed = listed["tasks"][0]
    assert (detailed["taskId"], detailed["folder"], detailed["labels"], detailed["tags"]) == (
        task["id"], "QA", ["release"], {"team": "core"},
    )  # fmt: skip
    assert [s["title"] for s in detailed["steps"]] == ["Review", "Ping", "Both"]
    assert detailed["steps"][0]["test"]["testId"] == task["steps"][0]["test_case_id"]
    assert (user["kind"], user["directAccessUrl"]) == ("user", None)
    assert [c["email"] for c in candidates["candidates"]] == ["t@example.com"]
    assert (patched["group"], patched["labels"]) == ("blue", ["b"])
    assert own.status_code == 201 and own.json()["status"] == "STARTED"
    assert cannot.status_code == 403


def test_the_filter_search_pages_by_last_doc_id(ti: httpx.Client, api: httpx.Client, target: Any) -> None:
    task = make_task(api, target.url)
    review, ping, _both = (s["id"] for s in task["steps"])
    night = add_candidate(ti, task["id"], "n", group="night")["candidateId"]
    day = add_candidate(ti, task["id"], "d", group="day")["candidateId"]
    made = [start(ti, task["id"], night, s)["testInstanceId"] for s in (review, ping)]
    made.append(start(ti, task["id"], day, review)["testInstanceId"])
    for ident in made:
        complete(ti, task["id"], ident)
    path = f"/tasks/{task['id']}/test-instances/filter"

    seen, query, pages = [], "?limit=2&mode=basic", 0
    while query:
        page = ti.post(path + query, json={"kind": "meta", "status": "COMPLETE", "stepId": review}).json()
        seen += [i["testInstanceId"] for i in page["testInstances"]]
        query, pages = page["pagination"]["next"], pages + 1
    walked = ti.post(path, params={"limit": 1}, json={"kind": "meta", "group": "night"}).json()
    by_id = ti.post(path, json={"kind": "info", "uniqId": "d"}).json()
    bad = ti.post(path, json={"kind": "guess"})

    assert seen == [made[0], made[2]] and pages == 1
    assert walked["pagination"] == {
        "limit": 1,
        "lastDocId": made[0],
        "next": f"?limit=1&lastDocId={made[0]}&mode=basic",
    }
    following = ti.post(path + walked["pagination"]["next"], json={"kind": "meta", "group": "night"}).json()
    assert [i["testInstanceId"] for i in following["testInstances"]] == [made[1]]
    assert following["pagination"]["next"] is None
    assert [i["testInstanceId"] for i in by_id["testInstances"]] == [made[2]]
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"


def test_odd_input_is_a_400_naming_the_field(ti: httpx.Client, api: httpx.Client, target: Any) -> None:
    task = make_task(api, target.url, attempt_limit=2)
    candidate = add_candidate(ti, task["id"], "odd")["candidateId"]
    path = f"/tasks/{task['id']}"

    answers = {
        "group": ti.post(f"{path}/test-instances/filter", json={"kind": "meta", "group": {"a": 1}}),
        "email": ti.post(f"{path}/test-instances/filter", json={"kind": "info", "email": ["a"]}),
        "stepId": ti.post(f"{path}/test-instances/filter", json={"kind": "meta", "stepId": 5}),
        "from": ti.post(f"{path}/test-instances/filter", json={"kind": "meta", "from": 1e20}),
        "limit": ti.get(f"{path}/test-instances", params={"limit": "²"}),
        "labels.add": ti.patch(f"{path}/candidates/{candidate}", json={"fields": {"labels": {"add": "vip"}}}),
        "callback.url": ti.post(
            f"{path}/candidates",
            json={"kind": "temporary-candidate", "callback": {"url": "http://[::1/hook?token=s3cret"}},
        ),
        "callback.params": ti.post(
            f"{path}/candidates",
            content=b'{"kind": "temporary-candidate", "callback": {"url": "https://ci.example.com/h", '
            b'"params": {"n": NaN}}}',
            headers={"content-type": "application/json"},
        ),
    }

    for field, answer in answers.items():
        assert answer.status_code == 400, (field, answer.text)
        assert field in answer.json()["error"]["message"], (field, answer.text)
    assert "s3cret" not in answers["callback.url"].text
    assert ti.get(f"{path}/candidates/{candidate}").json()["candidateId"] == candidate


def test_only_the_latest_take_can_be_re_set_up(ti: httpx.Client, api: httpx.Client, target: Any) -> None:
    task = make_task(api, target.url, attempt_limit=2)
    review = task["steps"][0]["id"]
    candidate = add_candidate(ti, task["id"], "twice")["candidateId"]
    first = start(ti, task["id"], candidate, review)["testInstanceId"]
    complete(ti, task["id"], first)
    retake = start(ti, task["id"], candidate, review)["testInstanceId"]
    complete(ti, task["id"], retake)

    superseded = ti.post(f"/tasks/{task['id']}/test-instances/{first}/resetup")

    assert superseded.status_code == 400 and superseded.json()["error"]["code"] == "conflict"
    assert ti.get(f"/tasks/{task['id']}/test-instances/{first}").json()["status"] == "COMPLETE"


def test_a_last_doc_id_that_names_no_instance_of_the_task_is_a_400(
    ti: httpx.Client, api: httpx.Client, target: Any
) -> None:
    task = make_task(api, target.url)
    other = make_task(api, target.url)
    candidate = add_candidate(ti, other["id"], "elsewhere")["candidateId"]
    elsewhere = start(ti, other["id"], candidate, other["steps"][1]["id"])["testInstanceId"]
    path = f"/tasks/{task['id']}/test-instances/filter"

    for last in ("garbage", elsewhere):
        refused = ti.post(path, params={"lastDocId": last}, json={"kind": "meta"})

        assert refused.status_code == 400, refused.text
        assert (
            refused.json()["error"]["code"] == "invalid" and "lastDocId" in refused.json()["error"]["message"]
        )


def divided_by_zero_case(base: str) -> dict[str, Any]:
    steps = [{"name": "ping", "request": {"url": f"{base}/ok"}, "expect": {"status": 200}}]
    effects = [
        {
            "name": "per failure",
            "formula": "achieved / (maximum - achieved)",  # every step passes: a division by zero
            "sub_effects": [{"name": "zero", "formula": "overall / 0"}],
        }
    ]
    return {
        "kind": "http",
        "name": unique("zero"),
        "publish": True,
        "content": {"steps": steps, "effects": effects},
    }


def test_an_effect_that_divides_by_zero_scores_zero_not_null(
    ti: httpx.Client, api: httpx.Client, target: Any
) -> None:
    case = created(api.post("/test-cases", json=divided_by_zero_case(target.url)))
    task = created(
        api.post(
            "/tasks", json={"title": unique("Zero"), "steps": [{"title": "Zero", "test_case_id": case["id"]}]}
        )
    )
    candidate = add_candidate(ti, task["id"], "z")["candidateId"]
    instance = start(ti, task["id"], candidate, task["steps"][0]["id"])["testInstanceId"]

    result = complete(ti, task["id"], instance)["result"]

    assert result["effects"] == [
        {"name": "per failure", "score": 0.0, "subEffects": [{"name": "zero", "score": 0.0}]}
    ]


def test_a_score_sealed_as_null_before_is_shown_as_zero(
    ti: httpx.Client, api: httpx.Client, target: Any, live: LiveServer
) -> None:
    from testament.domain.tasks import TestInstance

    task = make_task(api, target.url)
    candidate = add_candidate(ti, task["id"], "sealed")["candidateId"]
    instance = start(ti, task["id"], candidate, task["steps"][0]["id"])["testInstanceId"]
    complete(ti, task["id"], instance)
    with live.ctx.uow() as uow:  # as an earlier version sealed a division by zero
        sealed = uow.session.get(TestInstance, instance)
        assert sealed is not None and sealed.scoreboard is not None
        effects = [{"name": "quality", "score": None, "subEffects": [{"name": "auth", "score": None}]}]
        sealed.scoreboard = {**sealed.scoreboard, "effects": effects}
        uow.commit()

    shown = ti.get(f"/tasks/{task['id']}/test-instances/{instance}", params={"mode": "detailed"}).json()

    assert shown["result"]["effects"] == [
        {"name": "quality", "score": 0.0, "subEffects": [{"name": "auth", "score": 0.0}]}
    ]


def test_an_internal_candidate_keeps_the_external_id_the_client_sent(
    ti: httpx.Client, api: httpx.Client, target: Any, live: LiveServer, workspace: Workspace
) -> None:
    task = make_task(api, target.url)
    made = ti.post(
        f"/tasks/{task['id']}/candidates",
        params={"mode": "detailed"},
        json={"kind": "internal-candidate", "id": "tester-user", "externalId": "hr-4711"},
    )
    candidate = made.json()["candidateId"]
    with ti_client(live, workspace, Role.TESTER) as tester:  # the user starts their own step
        instance = start(tester, task["id"], candidate, task["steps"][1]["id"])["testInstanceId"]
    with ti_client(live, workspace, Role.VIEWER) as viewer:
        not_theirs = viewer.post(
            f"/tasks/{task['id']}/candidates/{candidate}/steps/{task['steps'][1]['id']}/start"
        )

    found = ti.get(f"/tasks/{task['id']}/test-instances", params={"externalId": "hr-4711"}).json()
    by_user_name = ti.get(f"/tasks/{task['id']}/test-instances", params={"externalId": "tester-user"}).json()
    searched = ti.post(
        f"/tasks/{task['id']}/test-instances/filter", json={"kind": "info", "uniqId": "hr-4711"}
    ).json()

    assert made.status_code == 200 and made.json()["externalId"] == "hr-4711"
    assert [i["testInstanceId"] for i in found["testInstances"]] == [instance]
    assert by_user_name["testInstances"] == []
    assert [i["testInstanceId"] for i in searched["testInstances"]] == [instance]
    assert not_theirs.status_code == 403
