"""Names are accepted wherever the native API takes the id of a test case, plan, suite,
environment or package: in query filters, in bodies and in paths. A name or id that matches
nothing is refused with a 4xx that names the field, never answered with an empty list."""

from typing import Any

import httpx

from tests.conftest import wait_finished
from tests.e2e.test_api_assets import created
from tests.e2e.test_api_test_cases import assert_problem, unique


def noop(api: httpx.Client) -> dict[str, Any]:
    """A published test case that passes at once."""
    return created(
        api.post("/test-cases", json={"kind": "noop", "name": unique(), "content": {}, "publish": True})
    )


def suite_of(api: httpx.Client, *case_refs: str) -> dict[str, Any]:
    return created(api.post("/suites", json={"name": unique("suite"), "test_case_ids": list(case_refs)}))


def plan_of(api: httpx.Client, *case_refs: str) -> dict[str, Any]:
    suite = suite_of(api, *case_refs)
    return created(api.post("/plans", json={"name": unique("plan"), "suite_ids": [suite["name"]]}))


def ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def refused(response: httpx.Response, field: str, rule: str) -> None:
    """A 422 problem whose errors name `field` with `rule`."""
    problem = assert_problem(response, 422, field)
    assert {"field": field, "rule": rule} in problem["errors"], problem["errors"]


# --- query filters ---------------------------------------------------------------------------


def test_executions_are_filtered_by_their_test_cases_name_as_by_its_id(api: httpx.Client) -> None:
    one, other = noop(api), noop(api)
    mine = created(api.post("/executions", json={"test_case_id": one["name"]}))["id"]
    created(api.post("/executions", json={"test_case_id": other["id"]}))

    by_name = ids(api.get("/executions", params={"test_case_id": one["name"]}))
    by_id = ids(api.get("/executions", params={"test_case_id": one["id"]}))

    assert by_name == by_id == [mine]


def test_an_executions_filter_naming_no_test_case_is_refused_naming_the_parameter(api: httpx.Client) -> None:
    refused(
        api.get("/executions", params={"test_case_id": "nobody"}),
        "test_case_id",
        "no test case has the id or name 'nobody'",
    )


def test_a_deleted_test_cases_executions_are_still_found_by_its_id_not_by_its_freed_name(
    api: httpx.Client,
) -> None:
    one = noop(api)
    ran = created(api.post("/executions", json={"test_case_id": one["id"]}))["id"]
    wait_finished(api, ran)
    assert api.delete(f"/test-cases/{one['id']}").status_code == 204

    assert ids(api.get("/executions", params={"test_case_id": one["id"]})) == [ran]
    refused(
        api.get("/executions", params={"test_case_id": one["name"]}),
        "test_case_id",
        f"no test case has the id or name {one['name']!r}",
    )


def test_plan_runs_are_filtered_by_their_plans_name(api: httpx.Client) -> None:
    plan = plan_of(api, noop(api)["id"])
    run = created(api.post("/executions", json={"plan_id": plan["name"]}))["plan_run_id"]
    plan_of(api, noop(api)["id"])  # another plan, whose runs the filter leaves out

    assert ids(api.get("/plan-runs", params={"plan_id": plan["name"]})) == [run]
    refused(
        api.get("/plan-runs", params={"plan_id": "no-plan"}),
        "plan_id",
        "no plan has the id or name 'no-plan'",
    )


def test_packages_and_assignments_are_filtered_by_a_package_name(api: httpx.Client) -> None:
    cycle = created(api.post("/packages", json={"name": unique("Release")}))
    sprint = created(api.post("/packages", json={"name": unique("Sprint"), "parent_id": cycle["id"]}))
    assignment = created(
        api.post(
            "/assignments",
            json={"package_id": sprint["id"], "test_case_id": noop(api)["id"], "assignee": "ann"},
        )
    )

    assert ids(api.get("/packages", params={"parent_id": cycle["name"]})) == [sprint["id"]]
    assert ids(api.get("/assignments", params={"package_id": sprint["name"]})) == [assignment["id"]]
    refused(
        api.get("/packages", params={"parent_id": "nowhere"}),
        "parent_id",
        "no package has the id or name 'nowhere'",
    )
    refused(
        api.get("/assignments", params={"package_id": "nowhere"}),
        "package_id",
        "no package has the id or name 'nowhere'",
    )


# --- bodies ----------------------------------------------------------------------------------


def test_a_suite_names_its_test_cases_and_its_parent_by_name_and_keeps_their_ids(api: httpx.Client) -> None:
    one, two = noop(api), noop(api)
    parent = suite_of(api)

    suite = created(
        api.post(
            "/suites",
            json={
                "name": unique("suite"),
                "test_case_ids": [two["name"], one["id"]],
                "parent_id": parent["name"],
            },
        )
    )

    assert (suite["test_case_ids"], suite["parent_id"]) == ([two["id"], one["id"]], parent["id"])
    moved = api.patch(f"/suites/{suite['id']}", json={"test_case_ids": [one["name"]], "parent_id": None})
    assert (moved.json()["test_case_ids"], moved.json()["parent_id"]) == ([one["id"]], None)


def test_a_suite_naming_an_unknown_test_case_is_refused_at_its_place_in_the_list(api: httpx.Client) -> None:
    one = noop(api)

    refused(
        api.post("/suites", json={"name": unique("suite"), "test_case_ids": [one["name"], "nobody"]}),
        "test_case_ids[1]",
        "no test case has the id or name 'nobody'",
    )
    refused(
        api.post("/suites", json={"name": unique("suite"), "test_case_ids": [one["name"], one["id"]]}),
        "test_case_ids",
        "lists an id twice",
    )


def test_a_plan_names_its_suites_environment_and_machines_suites_by_name(api: httpx.Client) -> None:
    suite = suite_of(api, noop(api)["id"])
    env = created(api.post("/environments", json={"name": unique("env"), "variables": {"a": "1"}}))

    plan = created(
        api.post(
            "/plans",
            json={
                "name": unique("plan"),
                "suite_ids": [suite["name"]],
                "environment_id": env["name"],
                "machines": [{"name": "chrome", "suite_ids": [suite["name"]]}],
            },
        )
    )

    assert (plan["suite_ids"], plan["environment_id"]) == ([suite["id"]], env["id"])
    assert plan["machines"][0]["suite_ids"] == [suite["id"]]
    refused(
        api.post("/plans", json={"name": unique("plan"), "environment_id": "nowhere"}),
        "environment_id",
        "no environment has the id or name 'nowhere'",
    )
    refused(
        api.post("/plans", json={"name": unique("plan"), "machines": [{"name": "m", "suite_ids": ["none"]}]}),
        "machines[0].suite_ids[0]",
        "no suite has the id or name 'none'",
    )


def test_task_steps_name_their_test_case_and_plan_by_name_and_keep_their_ids(api: httpx.Client) -> None:
    one = noop(api)
    plan = plan_of(api, one["id"])
    steps = [{"title": "Case", "test_case_id": one["name"]}, {"title": "Plan", "plan_id": plan["name"]}]

    task = created(api.post("/tasks", json={"title": unique("Task"), "steps": steps}))

    assert [(s["test_case_id"], s["plan_id"]) for s in task["steps"]] == [
        (one["id"], None),
        (None, plan["id"]),
    ]
    steps[1]["plan_id"] = "no-plan"
    refused(
        api.post("/tasks", json={"title": unique("Task"), "steps": steps}),
        "steps[1].plan_id",
        "no plan has the id or name 'no-plan'",
    )


def test_an_assignment_names_its_package_and_test_case_by_name(api: httpx.Client) -> None:
    one = noop(api)
    cycle = created(api.post("/packages", json={"name": unique("Release")}))
    sprint = created(api.post("/packages", json={"name": unique("Sprint"), "parent_id": cycle["name"]}))

    assignment = created(
        api.post(
            "/assignments",
            json={"package_id": sprint["name"], "test_case_id": one["name"], "assignee": "ann"},
        )
    )

    assert sprint["parent_id"] == cycle["id"]
    assert (assignment["package_id"], assignment["test_case_id"]) == (sprint["id"], one["id"])
    body = {"package_id": sprint["id"], "test_case_id": "nobody", "assignee": "ann"}
    refused(api.post("/assignments", json=body), "test_case_id", "no test case has the id or name 'nobody'")
    body = {"package_id": "nowhere", "test_case_id": one["id"], "assignee": "ann"}
    refused(api.post("/assignments", json=body), "package_id", "no package has the id or name 'nowhere'")


def test_a_package_name_that_two_packages_share_is_refused_asking_for_the_id(api: httpx.Client) -> None:
    name = unique("Sprint")
    for release in (unique("Release"), unique("Release")):
        parent = created(api.post("/packages", json={"name": release}))
        created(api.post("/packages", json={"name": name, "parent_id": parent["id"]}))

    body = {"package_id": name, "test_case_id": noop(api)["id"], "assignee": "ann"}
    refused(
        api.post("/assignments", json=body),
        "package_id",
        f"2 packages are named {name!r}; give the id of one",
    )


def test_a_run_configuration_is_saved_on_a_plan_by_name_with_its_suites_by_name(api: httpx.Client) -> None:
    plan = plan_of(api, noop(api)["id"])
    [suite_id] = plan["suite_ids"]
    suite_name = api.get(f"/suites/{suite_id}").json()["name"]
    config = {"name": "smoke", "filters": [{"key": "suite", "values": [suite_name]}]}

    saved = created(api.post(f"/plans/{plan['name']}/run-configs", json=config))

    assert (saved["plan_id"], saved["filters"][0]["values"]) == (plan["id"], [suite_id])
    started = api.post("/executions", json={"plan_id": plan["name"], "run_config": "smoke"})
    assert started.status_code == 201, started.text
    assert len(started.json()["executions"]) == 1
    config["filters"][0]["values"] = ["no-suite"]
    refused(
        api.post(f"/plans/{plan['name']}/run-configs", json=config),
        "filters[0].values[0]",
        "no suite has the id or name 'no-suite'",
    )


def test_a_start_naming_an_unknown_environment_is_refused_naming_it(api: httpx.Client) -> None:
    refused(
        api.post("/executions", json={"test_case_id": noop(api)["name"], "environment_id": "nowhere"}),
        "environment_id",
        "no environment has the id or name 'nowhere'",
    )


# --- paths -----------------------------------------------------------------------------------


def test_suites_plans_and_environments_are_changed_and_deleted_by_name(api: httpx.Client) -> None:
    plan = plan_of(api, noop(api)["id"])
    suite = api.get(f"/suites/{plan['suite_ids'][0]}").json()
    env = created(api.post("/environments", json={"name": unique("env")}))

    assert (
        api.patch(f"/plans/{plan['name']}", json={"environment_id": env["name"]}).json()["environment_id"]
        == (env["id"])
    )
    assert api.patch(f"/suites/{suite['name']}", json={"description": "d"}).json()["description"] == "d"
    assert api.patch(f"/environments/{env['name']}", json={"variables": {"x": "1"}}).json()["variables"] == {
        "x": "1"
    }
    assert api.patch(f"/plans/{plan['name']}", json={"environment_id": None}).json()["environment_id"] is None
    for path in (f"/plans/{plan['name']}", f"/suites/{suite['name']}", f"/environments/{env['name']}"):
        assert api.delete(path).status_code == 204, path
        assert_problem(api.get(path), 404)


def test_a_test_case_is_changed_published_and_deleted_by_name(api: httpx.Client) -> None:
    name = unique()
    created(api.post("/test-cases", json={"kind": "noop", "name": name, "content": {}}))

    changed = api.patch(f"/test-cases/{name}", json={"description": "by name"})
    published = api.post(f"/test-cases/{name}/publish")

    assert changed.json()["description"] == "by name"
    assert published.json()["status"] == "PUBLISHED"
    assert api.delete(f"/test-cases/{name}").status_code == 204
    assert_problem(api.get(f"/test-cases/{name}"), 404)


def test_a_package_is_read_by_name(api: httpx.Client) -> None:
    package = created(api.post("/packages", json={"name": unique("Release")}))

    assert api.get(f"/packages/{package['name']}").json()["id"] == package["id"]
    assert_problem(api.get("/packages/nowhere"), 404)


def test_resources_are_read_changed_and_deleted_by_name_within_their_kind(api: httpx.Client) -> None:
    name = unique("queue")
    made = api.post("/resources/connect.queue", json={"name": name, "body": {"Description": "first"}})
    assert made.status_code == 201, made.text

    by_name = api.get(f"/resources/connect.queue/{name}")
    changed = api.patch(f"/resources/connect.queue/{name}", json={"body": {"Description": "second"}})
    other_kind = api.get(f"/resources/connect.hours/{name}")
    deleted = api.delete(f"/resources/connect.queue/{name}")

    assert by_name.status_code == 200 and by_name.json()["id"] == made.json()["id"]
    assert changed.status_code == 200 and changed.json()["body"] == {"Description": "second"}
    assert_problem(other_kind, 404)
    assert deleted.status_code == 204
    assert_problem(api.get(f"/resources/connect.queue/{made.json()['id']}"), 404)


def test_an_uploads_versions_are_added_and_listed_by_its_name(api: httpx.Client) -> None:
    name = unique("app")
    upload = api.post("/uploads", json={"name": name})
    assert upload.status_code == 201, upload.text

    added = api.post(
        f"/uploads/{name}/versions", params={"name": "1.0", "file_name": "app.apk"}, content=b"x"
    )
    listed = api.get(f"/uploads/{name}/versions")

    assert added.status_code == 201, added.text
    assert added.json()["upload_id"] == upload.json()["id"]
    assert [v["name"] for v in listed.json()["items"]] == ["1.0"]
    assert_problem(api.get(f"/uploads/{unique('nothing')}/versions"), 404)
