"""POST /api/v1/apply: a bundle of environments, test cases, suites and plans, applied by name."""

from typing import Any

import httpx

from testament.domain.access import Role
from tests.conftest import Workspace, wait_for
from tests.e2e.test_api_test_cases import assert_problem, unique


def bundle(target_url: str, tag: str) -> dict[str, Any]:
    def steps() -> list[dict[str, Any]]:
        return [{"name": "get ok", "request": {"url": "{{base}}/ok"}, "expect": {"status": 200}}]

    return {
        "environments": [{"name": f"env-{tag}", "variables": {"base": target_url}}],
        "test_cases": [
            {
                "name": f"first-{tag}",
                "kind": "http",
                "content": {"steps": steps()},
                "tags": {"from": "apply"},
            },
            {
                "name": f"second-{tag}",
                "kind": "http",
                "content": {"steps": steps()},
                "data_sets": [{"name": "one", "variables": {"n": 1}}, {"name": "two", "variables": {"n": 2}}],
            },
        ],
        "suites": [{"name": f"suite-{tag}", "test_cases": [f"first-{tag}", f"second-{tag}"]}],
        "plans": [{"name": f"plan-{tag}", "suites": [f"suite-{tag}"], "environment": f"env-{tag}"}],
    }


def names(api: httpx.Client, path: str) -> set[str]:
    return {item["name"] for item in api.get(path, params={"limit": 1000}).json()["items"]}


def everything(api: httpx.Client) -> dict[str, set[str]]:
    return {p: names(api, p) for p in ("/environments", "/test-cases", "/suites", "/plans")}


def test_applying_a_bundle_creates_every_document_published(api: httpx.Client, target: Any) -> None:
    tag = unique("b")

    response = api.post("/apply", json=bundle(target.url, tag))

    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["kind"], r["name"], r["action"]) for r in results] == [
        ("environment", f"env-{tag}", "created"),
        ("test_case", f"first-{tag}", "created"),
        ("test_case", f"second-{tag}", "created"),
        ("suite", f"suite-{tag}", "created"),
        ("plan", f"plan-{tag}", "created"),
    ]
    case = api.get(f"/test-cases/first-{tag}").json()
    assert (case["status"], case["version"], case["tags"]) == ("PUBLISHED", 1, {"from": "apply"})
    assert [d["name"] for d in api.get(f"/test-cases/second-{tag}").json()["data_sets"]] == ["one", "two"]
    ids = {r["name"]: r["id"] for r in results}
    suite = api.get(f"/suites/suite-{tag}").json()
    assert suite["test_case_ids"] == [ids[f"first-{tag}"], ids[f"second-{tag}"]]
    plan = api.get(f"/plans/plan-{tag}").json()
    assert (plan["suite_ids"], plan["environment_id"]) == ([ids[f"suite-{tag}"]], ids[f"env-{tag}"])


def test_an_applied_plan_runs_with_its_environment(api: httpx.Client, target: Any) -> None:
    tag = unique("b")
    api.post("/apply", json=bundle(target.url, tag))

    started = api.post("/executions", json={"plan_id": f"plan-{tag}"})
    assert started.status_code == 201, started.text

    def done() -> dict[str, Any] | None:
        run: dict[str, Any] = api.get(f"/plan-runs/{started.json()['plan_run_id']}").json()
        return run if run["status"] not in ("QUEUED", "RUNNING") else None

    run = wait_for(done)
    assert run["status"] == "PASSED"
    assert run["counts"]["passed"] == 3  # one execution for the first case, one per data set for the second


def stored(api: httpx.Client) -> dict[tuple[str, str], dict[str, Any]]:
    """Everything the workspace holds, by (listing, name), as the API shows it."""
    return {
        (path, item["name"]): item
        for path in ("/environments", "/test-cases", "/suites", "/plans")
        for item in api.get(path, params={"limit": 1000}).json()["items"]
    }


def with_secret(target_url: str, tag: str, secret: str = "s3cr3t") -> dict[str, Any]:
    applied = bundle(target_url, tag)
    applied["environments"][0]["secrets"] = {"token": secret}
    return applied


def test_applying_the_same_bundle_twice_changes_nothing_the_second_time(
    api: httpx.Client, target: Any
) -> None:
    tag = unique("b")
    first = api.post("/apply", json=with_secret(target.url, tag)).json()["results"]
    before = stored(api)

    second = api.post("/apply", json=with_secret(target.url, tag))

    assert second.status_code == 200, second.text
    results = second.json()["results"]
    assert [r["id"] for r in results] == [r["id"] for r in first]
    assert {r["action"] for r in results} == {"unchanged"}
    assert stored(api) == before  # every updated_at, version and digest as it was


def test_a_change_to_each_kind_of_document_says_updated_and_only_that_one_is_written(
    api: httpx.Client, target: Any
) -> None:
    tag = unique("b")
    api.post("/apply", json=with_secret(target.url, tag))
    before = stored(api)
    changed = with_secret(target.url, tag)
    changed["environments"][0]["variables"]["region"] = "eu"
    changed["test_cases"][0]["tags"] = {"from": "apply", "owner": "qa"}
    changed["suites"][0]["test_cases"].reverse()
    changed["plans"][0]["pass_ratio"] = 0.5

    results = api.post("/apply", json=changed).json()["results"]

    assert {r["name"]: r["action"] for r in results} == {
        f"env-{tag}": "updated",
        f"first-{tag}": "updated",
        f"second-{tag}": "unchanged",
        f"suite-{tag}": "updated",
        f"plan-{tag}": "updated",
    }
    after = stored(api)
    changed_names = {name for (_path, name), item in after.items() if item != before[(_path, name)]}
    assert changed_names == {f"env-{tag}", f"first-{tag}", f"suite-{tag}", f"plan-{tag}"}
    assert after[("/environments", f"env-{tag}")]["variables"]["region"] == "eu"
    assert after[("/test-cases", f"first-{tag}")]["tags"] == {"from": "apply", "owner": "qa"}
    assert after[("/test-cases", f"first-{tag}")]["version"] == 1  # tags are not content
    assert after[("/plans", f"plan-{tag}")]["pass_ratio"] == 0.5


def test_a_changed_secret_value_alone_updates_the_environment(api: httpx.Client, target: Any) -> None:
    tag = unique("b")
    api.post("/apply", json=with_secret(target.url, tag))

    results = api.post("/apply", json=with_secret(target.url, tag, secret="rotated")).json()["results"]
    again = api.post("/apply", json=with_secret(target.url, tag, secret="rotated")).json()["results"]

    assert [r["action"] for r in results if r["kind"] == "environment"] == ["updated"]
    assert [r["action"] for r in again if r["kind"] == "environment"] == ["unchanged"]
    assert "rotated" not in str(api.get(f"/environments/env-{tag}").json())


def test_a_bundle_that_leaves_out_secrets_leaves_them_as_they_are(api: httpx.Client, target: Any) -> None:
    tag = unique("b")
    api.post("/apply", json=with_secret(target.url, tag))

    results = api.post("/apply", json=bundle(target.url, tag)).json()["results"]

    assert [r["action"] for r in results if r["kind"] == "environment"] == ["unchanged"]
    assert api.get(f"/environments/env-{tag}").json()["secret_names"] == ["token"]


def test_a_plan_whose_document_drops_its_environment_loses_it(api: httpx.Client, target: Any) -> None:
    tag = unique("b")
    api.post("/apply", json=bundle(target.url, tag))
    changed = bundle(target.url, tag)
    del changed["plans"][0]["environment"]

    results = api.post("/apply", json=changed).json()["results"]

    assert [r["action"] for r in results if r["kind"] == "plan"] == ["updated"]
    assert api.get(f"/plans/plan-{tag}").json()["environment_id"] is None
    again = api.post("/apply", json=changed).json()["results"]
    assert [r["action"] for r in again if r["kind"] == "plan"] == ["unchanged"]


def test_publishing_a_draft_with_the_same_content_says_updated(api: httpx.Client, target: Any) -> None:
    tag = unique("b")
    drafts = bundle(target.url, tag)
    for doc in drafts["test_cases"]:
        doc["publish"] = False
    api.post("/apply", json=drafts)

    results = api.post("/apply", json=bundle(target.url, tag)).json()["results"]

    assert [r["action"] for r in results if r["kind"] == "test_case"] == ["updated", "updated"]
    case = api.get(f"/test-cases/first-{tag}").json()
    assert (case["status"], case["version"]) == ("PUBLISHED", 1)


def test_applying_changed_content_updates_the_test_case_to_a_new_published_version(
    api: httpx.Client, target: Any
) -> None:
    tag = unique("b")
    api.post("/apply", json=bundle(target.url, tag))
    changed = bundle(target.url, tag)
    changed["test_cases"][0]["content"]["steps"][0]["expect"]["status"] = [200, 201]

    results = api.post("/apply", json=changed).json()["results"]

    actions = {r["name"]: r["action"] for r in results if r["kind"] == "test_case"}
    assert actions == {f"first-{tag}": "updated", f"second-{tag}": "unchanged"}
    case = api.get(f"/test-cases/first-{tag}").json()
    assert (case["version"], case["status"], case["published_version"]) == (2, "PUBLISHED", 2)


def test_a_bundle_with_a_bad_step_is_refused_and_writes_nothing(api: httpx.Client, target: Any) -> None:
    tag = unique("b")
    bad = bundle(target.url, tag)
    bad["test_cases"][1]["content"]["steps"][0]["request"]["method"] = "FOO"
    before = everything(api)

    response = api.post("/apply", json=bad)

    assert_problem(response, 422, "test_cases[1].content.steps[0].request.method")
    assert everything(api) == before


def test_a_bundle_naming_an_unknown_suite_or_test_case_is_refused_and_writes_nothing(
    api: httpx.Client, target: Any
) -> None:
    tag = unique("b")
    bad = bundle(target.url, tag)
    bad["suites"][0]["test_cases"].append("nobody")
    bad["plans"][0]["suites"].append("no-suite")
    before = everything(api)

    problem = assert_problem(api.post("/apply", json=bad), 422)

    fields = {e["field"] for e in problem["errors"]}
    assert {"suites[0].test_cases[2]", "plans[0].suites[1]"} <= fields
    assert everything(api) == before


def test_a_bundle_with_an_unknown_field_is_refused(api: httpx.Client, target: Any) -> None:
    bad = bundle(target.url, unique("b"))
    bad["test_cases"][0]["colour"] = "blue"

    assert_problem(api.post("/apply", json=bad), 422, "bundle.test_cases[0].colour")


def test_a_bundle_whose_data_sets_share_a_name_is_refused_and_writes_nothing(
    api: httpx.Client, target: Any
) -> None:
    """The module promises that the whole bundle is validated before anything is written."""
    tag = unique("b")
    bad = bundle(target.url, tag)
    bad["test_cases"][1]["data_sets"] = [{"name": "same"}, {"name": "same"}]
    before = everything(api)

    assert_problem(api.post("/apply", json=bad), 422)

    assert everything(api) == before


def test_a_bundle_listing_a_test_case_twice_in_a_suite_is_refused_and_writes_nothing(
    api: httpx.Client, target: Any
) -> None:
    tag = unique("b")
    bad = bundle(target.url, tag)
    bad["suites"][0]["test_cases"].append(f"first-{tag}")
    before = everything(api)

    assert_problem(api.post("/apply", json=bad), 422)

    assert everything(api) == before


def test_a_viewer_cannot_apply(workspace: Workspace, target: Any) -> None:
    with workspace.client(Role.VIEWER) as viewer:
        assert_problem(viewer.post("/apply", json=bundle(target.url, unique("b"))), 403)
        assert everything(viewer) == {p: set() for p in ("/environments", "/test-cases", "/suites", "/plans")}


def test_a_bundle_with_requirements_round_trips_and_applies_twice_unchanged(
    api: httpx.Client, target: Any
) -> None:
    tag = unique("req")
    document = bundle(target.url, tag)
    document["test_cases"][0]["requires"] = {"browser": "chromium"}
    document["plans"][0]["machines"] = [
        {"name": "firefox box", "suites": [f"suite-{tag}"], "requires": {"browser": "firefox", "os": "linux"}}
    ]

    first = api.post("/apply", json=document)
    second = api.post("/apply", json=document)

    assert first.status_code == 200, first.text
    assert {r["action"] for r in second.json()["results"]} == {"unchanged"}
    assert api.get(f"/test-cases/first-{tag}").json()["requires"] == {"browser": "chromium"}
    machine = api.get(f"/plans/plan-{tag}").json()["machines"][0]
    assert machine["requires"] == {"browser": "firefox", "os": "linux"}
    document["plans"][0]["machines"][0]["requires"] = {"browser": "firefox"}
    assert [r["action"] for r in api.post("/apply", json=document).json()["results"]][-1] == "updated"


def test_a_bundle_with_a_bad_requirement_names_it(api: httpx.Client, target: Any) -> None:
    document = bundle(target.url, unique("badreq"))
    document["test_cases"][1]["requires"] = {"not a label": "x"}

    response = api.post("/apply", json=document)

    assert_problem(response, 422, "test_cases[1].requires")
