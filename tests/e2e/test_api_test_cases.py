"""/api/v1/test-cases over HTTP: create, read, list, change, publish, delete, and what is refused."""

import re
import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import wait_finished
from tests.e2e.test_smoke import http_case

PROBLEM = "application/problem+json"


def unique(prefix: str = "case") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def assert_problem(response: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem of `status`; when `field` is given, its errors name it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers["content-type"]
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    if field is not None:
        fields = [e["field"] for e in body["errors"]]
        assert field in fields, fields
    return body


def create(api: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/test-cases", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def all_test_cases(api: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = api.get("/test-cases", params={**params, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        if not (cursor := page.json()["next_cursor"]):
            return items


# --- create ---------------------------------------------------------------------------------


def test_a_new_test_case_is_created_at_version_1_and_saved_unless_published(
    api: httpx.Client, target: Any
) -> None:
    response = api.post("/test-cases", json=http_case(target.url, unique(), publish=False))

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["version"] == 1
    assert body["status"] == "SAVED"
    assert body["published_version"] is None
    assert re.fullmatch(r"[0-9a-f]{64}", body["sha256"])
    assert body["content"]["steps"][0]["request"]["url"] == f"{target.url}/ok"


def test_a_test_case_created_with_publish_is_published_at_version_1(api: httpx.Client, target: Any) -> None:
    body = create(api, http_case(target.url, unique()))

    assert body["status"] == "PUBLISHED"
    assert body["version"] == 1
    assert body["published_version"] == 1


def test_equal_content_has_an_equal_sha256_and_other_content_another(api: httpx.Client, target: Any) -> None:
    first = create(api, http_case(target.url, unique()))
    same = create(api, http_case(target.url, unique()))
    other = create(api, http_case(target.url + "/other", unique()))

    assert first["sha256"] == same["sha256"]
    assert first["sha256"] != other["sha256"]


def test_a_test_case_is_found_by_its_id_and_by_its_name(api: httpx.Client, target: Any) -> None:
    created = create(api, http_case(target.url, unique(), description="reads"))

    by_id = api.get(f"/test-cases/{created['id']}")
    by_name = api.get(f"/test-cases/{created['name']}")

    assert by_id.status_code == 200 and by_name.status_code == 200
    assert by_id.json() == by_name.json()
    assert by_id.json()["description"] == "reads"
    assert by_id.json()["content"] == created["content"]


def test_an_unknown_test_case_is_a_404_problem(api: httpx.Client) -> None:
    assert_problem(api.get(f"/test-cases/{unique('nothing')}"), 404)


def test_a_second_test_case_with_the_same_name_is_a_409_problem(api: httpx.Client, target: Any) -> None:
    name = unique()
    create(api, http_case(target.url, name))

    body = assert_problem(api.post("/test-cases", json=http_case(target.url, name)), 409)

    assert name in body["detail"]
    assert [c["name"] for c in all_test_cases(api)].count(name) == 1


def test_renaming_a_test_case_to_a_taken_name_is_a_409_problem(api: httpx.Client, target: Any) -> None:
    taken = create(api, http_case(target.url, unique()))
    other = create(api, http_case(target.url, unique()))

    assert_problem(api.patch(f"/test-cases/{other['id']}", json={"name": taken["name"]}), 409)
    assert api.get(f"/test-cases/{other['id']}").json()["name"] == other["name"]


# --- list -----------------------------------------------------------------------------------


def test_paging_with_limit_and_cursor_returns_every_test_case_exactly_once(
    api: httpx.Client, target: Any
) -> None:
    names = {create(api, http_case(target.url, unique()))["name"] for _ in range(7)}

    pages = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = api.get("/test-cases", params=params).json()
        pages.append([c["name"] for c in page["items"]])
        if not (cursor := page["next_cursor"]):
            break

    assert [len(p) for p in pages] == [3, 3, 1]
    seen = [name for page in pages for name in page]
    assert sorted(seen) == sorted(names)


def test_a_page_that_holds_the_last_items_exactly_has_no_next_cursor(api: httpx.Client, target: Any) -> None:
    for _ in range(2):
        create(api, http_case(target.url, unique()))

    page = api.get("/test-cases", params={"limit": 2}).json()

    assert len(page["items"]) == 2
    assert page["next_cursor"] is None


def test_test_cases_are_filtered_by_kind_status_tag_and_name(api: httpx.Client, target: Any) -> None:
    marker = uuid.uuid4().hex[:8]
    web = create(api, http_case(target.url, f"web-{marker}", tags={"team": "web", "smoke": ""}))
    draft = create(api, http_case(target.url, f"draft-{marker}", publish=False, tags={"team": "api"}))
    noop = create(api, {"kind": "noop", "name": f"noop-{marker}", "content": {}, "publish": True})

    def names(**params: Any) -> set[str]:
        return {c["name"] for c in all_test_cases(api, **params)}

    assert names(kind="noop") == {noop["name"]}
    assert names(kind="http") == {web["name"], draft["name"]}
    assert names(status="SAVED") == {draft["name"]}
    assert names(status="PUBLISHED") == {web["name"], noop["name"]}
    assert names(tag="team") == {web["name"], draft["name"]}
    assert names(tag="team=api") == {draft["name"]}
    assert names(tag="smoke") == {web["name"]}
    assert names(tag="team=nobody") == set()
    assert names(name_contains=f"web-{marker}") == {web["name"]}
    assert names(name_contains=marker) == {web["name"], draft["name"], noop["name"]}


def test_name_contains_matches_percent_and_underscore_literally(api: httpx.Client, target: Any) -> None:
    literal = create(api, http_case(target.url, "100%_sure"))
    create(api, http_case(target.url, "100xysure"))

    found = all_test_cases(api, name_contains="0%_s")

    assert [c["id"] for c in found] == [literal["id"]]


def test_a_tag_filter_pages_through_matching_test_cases_only(api: httpx.Client, target: Any) -> None:
    tagged = set()
    for i in range(5):
        case = create(api, http_case(target.url, unique(), tags={"pick": "yes"} if i % 2 == 0 else {}))
        if i % 2 == 0:
            tagged.add(case["id"])

    found = [c["id"] for c in all_test_cases(api, tag="pick=yes", limit=1)]

    assert sorted(found) == sorted(tagged)


# --- change, versions, publish --------------------------------------------------------------


def test_changing_the_content_makes_version_2_and_a_saved_status(api: httpx.Client, target: Any) -> None:
    created = create(api, http_case(target.url, unique()))
    new_content = http_case(target.url + "/v2")["content"]

    response = api.patch(f"/test-cases/{created['id']}", json={"content": new_content})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["version"] == 2
    assert body["status"] == "SAVED"
    assert body["published_version"] == 1
    assert body["sha256"] != created["sha256"]
    assert body["content"]["steps"][0]["request"]["url"] == f"{target.url}/v2/ok"


def test_changing_only_the_description_keeps_the_version(api: httpx.Client, target: Any) -> None:
    created = create(api, http_case(target.url, unique()))

    response = api.patch(f"/test-cases/{created['id']}", json={"description": "now described"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["version"] == 1
    assert body["status"] == "PUBLISHED"
    assert body["sha256"] == created["sha256"]
    assert api.get(f"/test-cases/{created['id']}").json()["description"] == "now described"


def test_sending_the_same_content_again_makes_no_new_version(api: httpx.Client, target: Any) -> None:
    created = create(api, http_case(target.url, unique()))

    body = api.patch(f"/test-cases/{created['id']}", json={"content": created["content"]}).json()

    assert body["version"] == 1
    assert body["status"] == "PUBLISHED"


def test_an_earlier_version_is_read_with_the_version_parameter(api: httpx.Client, target: Any) -> None:
    created = create(api, http_case(target.url, unique()))
    api.patch(f"/test-cases/{created['id']}", json={"content": http_case(target.url + "/v2")["content"]})

    old = api.get(f"/test-cases/{created['id']}", params={"version": 1})
    latest = api.get(f"/test-cases/{created['id']}")

    assert old.status_code == 200, old.text
    assert old.json()["content"] == created["content"]
    assert latest.json()["content"]["steps"][0]["request"]["url"] == f"{target.url}/v2/ok"
    assert_problem(api.get(f"/test-cases/{created['id']}", params={"version": 3}), 404)
    assert_problem(api.get(f"/test-cases/{created['id']}", params={"version": 0}), 422, "version")


def test_publishing_makes_the_latest_version_the_published_one(api: httpx.Client, target: Any) -> None:
    created = create(api, http_case(target.url, unique()))
    api.patch(f"/test-cases/{created['id']}", json={"content": http_case(target.url + "/v2")["content"]})

    response = api.post(f"/test-cases/{created['id']}/publish")

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "PUBLISHED"
    assert response.json()["version"] == 2
    assert response.json()["published_version"] == 2
    assert api.get(f"/test-cases/{created['id']}").json()["published_version"] == 2


def test_a_saved_draft_does_not_change_what_runs_the_published_version_does(
    api: httpx.Client, target: Any
) -> None:
    created = create(api, http_case(target.url, unique()))
    failing = {
        "steps": [{"name": "get ok", "request": {"url": f"{target.url}/ok"}, "expect": {"status": 418}}]
    }
    draft = api.patch(f"/test-cases/{created['id']}", json={"content": failing}).json()
    assert (draft["status"], draft["version"], draft["published_version"]) == ("SAVED", 2, 1)

    started = api.post("/executions", json={"test_case_id": created["id"]})

    assert started.status_code == 201, started.text
    assert started.json()["executions"][0]["test_case_version"] == 1
    finished = wait_finished(api, started.json()["id"])
    assert finished["test_case_version"] == 1
    assert finished["status"] == "PASSED"


# --- delete ---------------------------------------------------------------------------------


def test_a_deleted_test_case_answers_204_then_404(api: httpx.Client, target: Any) -> None:
    created = create(api, http_case(target.url, unique()))

    deleted = api.delete(f"/test-cases/{created['id']}")

    assert deleted.status_code == 204
    assert deleted.content == b""
    assert_problem(api.get(f"/test-cases/{created['id']}"), 404)
    assert_problem(api.get(f"/test-cases/{created['name']}"), 404)
    assert_problem(api.delete(f"/test-cases/{created['id']}"), 404)
    assert created["id"] not in [c["id"] for c in all_test_cases(api)]


def test_a_deleted_name_can_be_used_again(api: httpx.Client, target: Any) -> None:
    name = unique()
    first = create(api, http_case(target.url, name))
    api.delete(f"/test-cases/{first['id']}")

    second = create(api, http_case(target.url, name))

    assert second["id"] != first["id"]
    assert second["version"] == 1


# --- validation -----------------------------------------------------------------------------


def _step(**overrides: Any) -> dict[str, Any]:
    return {"name": "s", "request": {"url": "http://127.0.0.1:1/x"}, **overrides}


BAD_STEPS = [
    pytest.param(
        _step(request={"method": "FOO", "url": "http://127.0.0.1:1/x"}),
        "content.steps[0].request.method",
        id="unknown-method",
    ),
    pytest.param(_step(request={"method": "GET"}), "content.steps[0].request.url", id="missing-url"),
    pytest.param(
        _step(request={"url": "ftp://example/x"}), "content.steps[0].request.url", id="relative-url"
    ),
    pytest.param(_step(expect={"json": {"$[": 1}}), "content.steps[0].expect.json", id="bad-jsonpath"),
    pytest.param(
        _step(capture={"token": {"jsonpath": "$.token", "header": "X-Token"}}),
        "content.steps[0].capture.token",
        id="two-capture-sources",
    ),
    pytest.param(_step(expect={"status": 99}), "content.steps[0].expect.status", id="status-out-of-range"),
    pytest.param(_step(unknown=True), "content.steps[0].unknown", id="unknown-field"),
]


@pytest.mark.parametrize(("step", "field"), BAD_STEPS)
def test_a_bad_http_step_is_refused_with_422_naming_its_field(
    api: httpx.Client, step: dict[str, Any], field: str
) -> None:
    before = all_test_cases(api)
    body = {"kind": "http", "name": unique(), "content": {"steps": [step]}}

    problem = assert_problem(api.post("/test-cases", json=body), 422, field)

    assert problem["code"] == "InvalidInput"
    assert all(e["rule"] for e in problem["errors"])
    assert all_test_cases(api) == before


def test_a_second_bad_step_is_named_by_its_index(api: httpx.Client) -> None:
    steps = [_step(name="good"), _step(name="bad", request={"method": "FOO", "url": "http://127.0.0.1:1/"})]

    response = api.post("/test-cases", json={"kind": "http", "name": unique(), "content": {"steps": steps}})

    assert_problem(response, 422, "content.steps[1].request.method")


def test_two_steps_with_one_name_are_refused(api: httpx.Client) -> None:
    steps = [_step(name="same"), _step(name="same")]

    response = api.post("/test-cases", json={"kind": "http", "name": unique(), "content": {"steps": steps}})

    assert_problem(response, 422, "content.steps[1].name")


def test_an_unknown_kind_is_refused_with_422_naming_kind(api: httpx.Client) -> None:
    before = all_test_cases(api)

    response = api.post("/test-cases", json={"kind": "telepathy", "name": unique(), "content": {}})

    assert_problem(response, 422, "kind")
    assert all_test_cases(api) == before


def test_an_unknown_top_level_field_is_refused(api: httpx.Client, target: Any) -> None:
    response = api.post("/test-cases", json={**http_case(target.url, unique()), "colour": "blue"})

    assert_problem(response, 422, "colour")


def test_a_bad_content_change_is_refused_and_keeps_the_version(api: httpx.Client, target: Any) -> None:
    created = create(api, http_case(target.url, unique()))
    bad = {"steps": [_step(request={"method": "FOO", "url": "http://127.0.0.1:1/"})]}

    assert_problem(
        api.patch(f"/test-cases/{created['id']}", json={"content": bad}),
        422,
        "content.steps[0].request.method",
    )

    after = api.get(f"/test-cases/{created['id']}").json()
    assert after["version"] == 1
    assert after["content"] == created["content"]


@pytest.mark.parametrize("limit", [0, -1, 1001])
def test_a_limit_outside_1_to_1000_is_refused(api: httpx.Client, limit: int) -> None:
    assert_problem(api.get("/test-cases", params={"limit": limit}), 422, "limit")


def test_a_limit_of_1000_is_accepted(api: httpx.Client) -> None:
    assert api.get("/test-cases", params={"limit": 1000}).status_code == 200


def test_a_tampered_cursor_is_refused_naming_cursor(api: httpx.Client, target: Any) -> None:
    for _ in range(2):
        create(api, http_case(target.url, unique()))
    cursor = api.get("/test-cases", params={"limit": 1}).json()["next_cursor"]
    assert cursor

    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")

    assert_problem(api.get("/test-cases", params={"limit": 1, "cursor": tampered}), 422, "cursor")
    assert_problem(api.get("/test-cases", params={"cursor": "not-a-cursor"}), 422, "cursor")


def test_a_cursor_of_another_listing_is_refused(api: httpx.Client, target: Any) -> None:
    for _ in range(2):
        api.post("/environments", json={"name": unique("env")})
    cursor = api.get("/environments", params={"limit": 1}).json()["next_cursor"]
    assert cursor

    assert_problem(api.get("/test-cases", params={"cursor": cursor}), 422, "cursor")


def test_a_test_case_that_has_run_can_be_deleted(api: httpx.Client, target: Any) -> None:
    created = create(api, http_case(target.url, unique()))
    started = api.post("/executions", json={"test_case_id": created["id"]}).json()
    wait_finished(api, started["id"])

    assert api.delete(f"/test-cases/{created['id']}").status_code == 204
    assert_problem(api.get(f"/test-cases/{created['id']}"), 404)
