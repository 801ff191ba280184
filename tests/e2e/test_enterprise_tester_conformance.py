"""Enterprise Tester's execution area against the vendor's own description of it.

`tests/fixtures/enterprise_tester/execution_area.json` (derived from the vendor's swagger 6.1 by
`derive_execution_area.py` beside it) lists the 70 path+method pairs of the area and the fields
of every model their answers hold. These tests list the pairs the mounted surface serves, drive
each served one over HTTP, and check every answer against the model the vendor names for it:
each field the vendor marks required is there, and every field given has the vendor's type.
"""

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from testament.compat.enterprise_tester.router import create_enterprise_tester_app
from tests.conftest import LiveServer, Workspace
from tests.e2e.test_enterprise_tester import et_client

AREA = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "enterprise_tester" / "execution_area.json").read_text()
)
MODELS: dict[str, dict[str, dict[str, Any]]] = AREA["models"]
Pair = tuple[str, str]  # (method, path with every parameter written `{}`)

# Pairs of the area the surface does not serve yet, each with the reason. The item is done
# when this is empty.
NOT_YET_SERVED: dict[Pair, str] = {}


def pair_of(method: str, path: str) -> Pair:
    return method.upper(), re.sub(r"\{[^}]*\}", "{}", path)


AREA_PAIRS = {pair_of(p["method"], p["path"]): p for p in AREA["pairs"]}


def served_pairs(live: LiveServer) -> set[Pair]:
    app = create_enterprise_tester_app(live.ctx)
    return {
        pair_of(method, route.path)
        for route in _routes(app.routes)
        for method in getattr(route, "methods", None) or set()
        if method not in {"HEAD", "OPTIONS"}
    }


def _routes(routes: Any) -> Iterator[Any]:
    """Every route, those of included routers too (FastAPI keeps an included router whole)."""
    for route in routes:
        if hasattr(route, "effective_route_contexts"):
            yield from route.effective_route_contexts()
        else:
            yield route


# --- the shape check --------------------------------------------------------------------------

_PYTHON = {"string": str, "integer": int, "boolean": bool, "array": list, "object": dict}


def shape_problems(value: Any, model: str, where: str = "") -> list[str]:
    """What in `value` does not match the vendor's model (`list[X]` for a bare array)."""
    if model.startswith("list["):
        if not isinstance(value, list):
            return [f"{where or 'the answer'} must be an array of {model[5:-1]}"]
        return [p for i, item in enumerate(value) for p in shape_problems(item, model[5:-1], f"{where}[{i}]")]
    if not isinstance(value, dict):
        return [f"{where or 'the answer'} must be an object ({model})"]
    problems = []
    for name, field in MODELS[model].items():
        here = f"{where}.{name}" if where else name
        if name not in value:
            if field["required"]:
                problems.append(f"{here} is required by {model} but missing")
            continue
        problems += _field_problems(value[name], field, here)
    return problems


def _field_problems(value: Any, field: dict[str, Any], where: str) -> list[str]:
    kind = field.get("type")
    if value is None:
        # the vendor writes null for text, links and expansions it has no value for; numbers,
        # flags and lists it marks required always have one
        return (
            [f"{where} must not be null"]
            if field["required"] and kind in {"integer", "boolean", "array"}
            else []
        )
    if "model" in field:
        return shape_problems(value, field["model"], where) if field["model"] in MODELS else []
    expected = _PYTHON.get(kind or "any")
    if expected is None:
        return []
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        return [f"{where} must be {kind}, not {type(value).__name__}"]
    items = field.get("items")
    if kind == "array" and items in MODELS:
        return [p for i, item in enumerate(value) for p in shape_problems(item, items, f"{where}[{i}]")]
    if kind == "array" and items in _PYTHON:
        return [
            f"{where}[{i}] must be {items}" for i, v in enumerate(value) if not isinstance(v, _PYTHON[items])
        ]
    return []


def test_the_shape_check_names_missing_required_fields_and_wrong_types() -> None:
    run = {"Id": "1", "ScriptId": "2", "ScriptVersion": "one", "AssignmentId": "3", "CreatedAt": "t"}

    problems = shape_problems(run, "ScriptRun")

    assert "ScriptVersion must be integer, not str" in problems
    assert "LastUpdatedAt is required by ScriptRun but missing" in problems
    assert "Status is required by ScriptRun but missing" in problems
    assert (
        shape_problems({"Items": [{"Id": 1}]}, "QueryResultsOfUser")[0]
        == "Items[0].Id must be string, not int"
    )


# --- the world the drivers work on ------------------------------------------------------------

STEPS = [
    {"Description": "Open the login page", "ExpectedResult": "The form shows", "OrderNumber": 0},
    {"Description": "Sign in", "ExpectedResult": "The dashboard shows", "OrderNumber": 1},
]


@dataclass
class World:
    et: httpx.Client
    project: str
    script_package: str
    script: str
    execution_package: str
    assignment: str
    run: str
    step: str
    attachment: str
    user: str
    incident: str

    def made(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.et.post(path, json=body)
        assert answer.status_code in (200, 201), answer.text
        return dict(answer.json())

    def new_script(self) -> str:
        return str(
            self.made("/scripts", {"Name": "Throwaway", "PackageId": self.script_package, "Steps": STEPS})[
                "Id"
            ]
        )

    def new_assignment(self) -> str:
        body = {"ScriptId": self.script, "PackageId": self.execution_package}
        return str(self.made("/scriptassignments", body)["Id"])

    def new_run(self) -> dict[str, Any]:
        answer = self.et.post(
            f"/scriptassignment/{self.new_assignment()}/runs", params={"$expand": "StepResults"}
        )
        return dict(answer.json())


def build_world(et: httpx.Client, api: httpx.Client) -> World:
    def made(path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = et.post(path, json=body)
        assert answer.status_code in (200, 201), f"{path}: {answer.text}"
        return dict(answer.json())

    project = et.get("/projects").json()["Items"][0]["Id"]
    script_package = made("/scriptpackages", {"Name": "Login"})["Id"]
    script = made("/scripts", {"Name": "Sign in", "PackageId": script_package, "Steps": STEPS})["Id"]
    execution_package = made("/executionpackages", {"Name": "Cycle 1"})["Id"]
    assignment = made("/scriptassignments", {"ScriptId": script, "PackageId": execution_package})["Id"]
    run = et.post(f"/scriptassignment/{assignment}/runs", params={"$expand": "StepResults"}).json()
    step = run["StepResults"][0]["Id"]
    attached = et.post(
        f"/stepresult/{step}/attachments", files={"file": ("shot.png", b"\x89PNG", "image/png")}
    )
    body = attached.json()
    attachment = (body[0] if isinstance(body, list) else body.get("Items", [body])[0])["Id"]
    user = next(u["Id"] for u in et.get("/users").json()["Items"] if u["UserName"] == "tester-user")
    body = {"Summary": "Sign-in fails", "ProjectId": project, "Comments": [{"Body": "Seen twice"}]}
    incident = made("/incidents", body)["Id"]
    return World(
        et,
        project,
        script_package,
        script,
        execution_package,
        assignment,
        run["Id"],
        step,
        attachment,
        user,
        incident,
    )


Driver = Callable[[World], httpx.Response]


def _delete_run(w: World) -> httpx.Response:
    return w.et.delete(f"/scriptrun/{w.new_run()['Id']}")


def _update_run(w: World) -> httpx.Response:
    return w.et.put(f"/scriptrun/{w.run}", json={"StepResults": [{"Id": w.step, "Outcome": "Failed"}]})


def _get_step_incident(w: World) -> httpx.Response:
    w.et.post(f"/stepresult/{w.step}/incidents", json={"IncidentId": w.incident})
    return w.et.get(f"/stepresult/{w.step}/incident/{w.incident}")


def _unlink_step_incident(w: World) -> httpx.Response:
    w.et.post(f"/stepresult/{w.step}/incidents", json={"IncidentId": w.incident})
    return w.et.delete(f"/stepresult/{w.step}/incident/{w.incident}")


_CUSTOM = {"update": {"customFields": [{"set": {"name": "Browser", "value": "Firefox"}}]}}


def _relationships(kind: str, deep: bool = False) -> Driver:
    """A relationships driver; the incident is raised on the world's step first."""

    def drive(w: World) -> httpx.Response:
        w.et.post(f"/stepresult/{w.step}/incidents", json={"IncidentId": w.incident})
        entity = {"script": w.script, "scriptassignment": w.assignment, "incident": w.incident}[kind]
        return w.et.get(f"/{kind}/{entity}/{'all' if deep else ''}relationships")

    return drive


def _file(name: str = "log.txt") -> dict[str, Any]:
    return {"file": (name, b"log", "text/plain")}


def _attached(w: World, path: str) -> str:
    return str(w.et.post(path, files=_file()).json()[0]["Id"])


DRIVERS: dict[Pair, Driver] = {
    ("GET", "/api/script/{}/attachments"): lambda w: w.et.get(f"/script/{w.script}/attachments"),
    ("POST", "/api/script/{}/attachments"): lambda w: w.et.post(
        f"/script/{w.script}/attachments", files=_file()
    ),
    ("DELETE", "/api/script/{}/attachment/{}"): lambda w: w.et.delete(
        f"/script/{w.script}/attachment/{_attached(w, f'/script/{w.script}/attachments')}"
    ),
    ("GET", "/api/incident/{}/attachments"): lambda w: w.et.get(f"/incident/{w.incident}/attachments"),
    ("POST", "/api/incident/{}/attachments"): lambda w: w.et.post(
        f"/incident/{w.incident}/attachments", files=_file()
    ),
    ("DELETE", "/api/incident/{}/attachment/{}"): lambda w: w.et.delete(
        f"/incident/{w.incident}/attachment/{_attached(w, f'/incident/{w.incident}/attachments')}"
    ),
    ("DELETE", "/api/stepresult/{}/attachment/{}"): lambda w: w.et.delete(
        f"/stepresult/{w.step}/attachment/{_attached(w, f'/stepresult/{w.step}/attachments')}"
    ),
    ("GET", "/api/incident/{}/comments"): lambda w: w.et.get(f"/incident/{w.incident}/comments"),
    ("PUT", "/api/executionpackage/{}"): lambda w: w.et.put(
        f"/executionpackage/{w.execution_package}", json={"Name": "Cycle 1a"}
    ),
    ("DELETE", "/api/executionpackage/{}"): lambda w: w.et.delete(
        f"/executionpackage/{w.made('/executionpackages', {'Name': 'Empty'})['Id']}"
    ),
    ("PUT", "/api/scriptassignment/{}"): lambda w: w.et.put(
        f"/scriptassignment/{w.assignment}", json={"AssignedToId": w.user}
    ),
    ("DELETE", "/api/scriptassignment/{}"): lambda w: w.et.delete(f"/scriptassignment/{w.new_assignment()}"),
    ("GET", "/api/script/{}/assignments"): lambda w: w.et.get(f"/script/{w.script}/assignments"),
    ("POST", "/api/script/{}/assignments"): lambda w: w.et.post(
        f"/script/{w.script}/assignments", json={"PackageId": w.execution_package}
    ),
    ("PUT", "/api/project/{}"): lambda w: w.et.put(
        f"/project/{w.made('/projects', {'Name': 'Renamed later'})['Id']}", json={"Name": "Renamed"}
    ),
    ("DELETE", "/api/project/{}"): lambda w: w.et.delete(
        f"/project/{w.made('/projects', {'Name': 'Gone'})['Id']}"
    ),
    ("PATCH", "/api/scriptrun/{}"): lambda w: w.et.patch(f"/scriptrun/{w.new_run()['Id']}", json=_CUSTOM),
    ("PATCH", "/api/script/{}"): lambda w: w.et.patch(f"/script/{w.script}", json=_CUSTOM),
    ("GET", "/api/script/{}/relationships"): _relationships("script"),
    ("GET", "/api/script/{}/allrelationships"): _relationships("script", deep=True),
    ("GET", "/api/scriptassignment/{}/relationships"): _relationships("scriptassignment"),
    ("GET", "/api/scriptassignment/{}/allrelationships"): _relationships("scriptassignment", deep=True),
    ("GET", "/api/incident/{}/relationships"): _relationships("incident"),
    ("GET", "/api/incident/{}/allrelationships"): _relationships("incident", deep=True),
    ("GET", "/api/attachment/{}/contents"): lambda w: w.et.get(f"/attachment/{w.attachment}/contents"),
    ("GET", "/api/executionpackages"): lambda w: w.et.get(
        "/executionpackages", params={"$inlinecount": "allpages"}
    ),
    ("POST", "/api/executionpackages"): lambda w: w.et.post("/executionpackages", json={"Name": "Cycle 2"}),
    ("GET", "/api/executionpackage/{}"): lambda w: w.et.get(f"/executionpackage/{w.execution_package}"),
    ("GET", "/api/executionpackage/{}/children"): lambda w: w.et.get(
        f"/executionpackage/{w.execution_package}/children"
    ),
    ("GET", "/api/projects"): lambda w: w.et.get("/projects"),
    ("POST", "/api/projects"): lambda w: w.et.post("/projects", json={"Name": "Mobile"}),
    ("GET", "/api/project/{}"): lambda w: w.et.get(f"/project/{w.project}"),
    ("GET", "/api/scripts"): lambda w: w.et.get("/scripts", params={"$expand": "Steps"}),
    ("POST", "/api/scripts"): lambda w: w.et.post(
        "/scripts", json={"Name": "Sign out", "PackageId": w.script_package, "Steps": STEPS}
    ),
    ("GET", "/api/script/{}"): lambda w: w.et.get(f"/script/{w.script}", params={"$expand": "Steps"}),
    ("PUT", "/api/script/{}"): lambda w: w.et.put(
        f"/script/{w.script}", json={"Description": "The happy path"}
    ),
    ("DELETE", "/api/script/{}"): lambda w: w.et.delete(f"/script/{w.new_script()}"),
    ("GET", "/api/scriptassignments"): lambda w: w.et.get("/scriptassignments"),
    ("POST", "/api/scriptassignments"): lambda w: w.et.post(
        "/scriptassignments", json={"ScriptId": w.script, "PackageId": w.execution_package}
    ),
    ("GET", "/api/scriptassignment/{}"): lambda w: w.et.get(
        f"/scriptassignment/{w.assignment}", params={"$expand": "Runs,LastRun,Script,Package"}
    ),
    ("GET", "/api/scriptassignment/{}/runs"): lambda w: w.et.get(f"/scriptassignment/{w.assignment}/runs"),
    ("POST", "/api/scriptassignment/{}/runs"): lambda w: w.et.post(
        f"/scriptassignment/{w.new_assignment()}/runs"
    ),
    ("GET", "/api/scriptpackages"): lambda w: w.et.get("/scriptpackages"),
    ("POST", "/api/scriptpackages"): lambda w: w.et.post("/scriptpackages", json={"Name": "Checkout"}),
    ("GET", "/api/scriptpackage/{}"): lambda w: w.et.get(f"/scriptpackage/{w.script_package}"),
    ("PUT", "/api/scriptpackage/{}"): lambda w: w.et.put(
        f"/scriptpackage/{w.script_package}", json={"Description": "Signing in"}
    ),
    ("DELETE", "/api/scriptpackage/{}"): lambda w: w.et.delete(
        f"/scriptpackage/{w.made('/scriptpackages', {'Name': 'Gone'})['Id']}"
    ),
    ("GET", "/api/scriptpackage/{}/children"): lambda w: w.et.get(
        f"/scriptpackage/{w.script_package}/children"
    ),
    ("GET", "/api/scriptruns"): lambda w: w.et.get("/scriptruns", params={"$expand": "StepResults"}),
    ("GET", "/api/scriptrun/{}"): lambda w: w.et.get(
        f"/scriptrun/{w.run}", params={"$expand": "StepResults,Assignment,Widgets,FieldValues"}
    ),
    ("PUT", "/api/scriptrun/{}"): _update_run,
    ("DELETE", "/api/scriptrun/{}"): _delete_run,
    ("GET", "/api/stepresult/{}"): lambda w: w.et.get(
        f"/stepresult/{w.step}", params={"$expand": "Run,Attachments,Incidents"}
    ),
    ("GET", "/api/stepresult/{}/attachments"): lambda w: w.et.get(f"/stepresult/{w.step}/attachments"),
    ("POST", "/api/stepresult/{}/attachments"): lambda w: w.et.post(
        f"/stepresult/{w.step}/attachments", files={"file": ("log.txt", b"log", "text/plain")}
    ),
    ("GET", "/api/users"): lambda w: w.et.get("/users", params={"$inlinecount": "allpages"}),
    ("GET", "/api/incidents"): lambda w: w.et.get("/incidents", params={"tql": "Status = Open"}),
    ("POST", "/api/incidents"): lambda w: w.et.post(
        "/incidents", json={"Summary": "Second", "PriorityId": "Minor"}
    ),
    ("GET", "/api/incident/{}"): lambda w: w.et.get(
        f"/incident/{w.incident}", params={"$expand": "Status,Priority,Type,Resolution"}
    ),
    ("PUT", "/api/incident/{}"): lambda w: w.et.put(
        f"/incident/{w.incident}", json={"StatusId": "Resolved", "ResolutionId": "Fixed"}
    ),
    ("PATCH", "/api/incident/{}"): lambda w: w.et.patch(
        f"/incident/{w.incident}",
        json={"update": {"customFields": [{"set": {"name": "Severity", "value": "1"}}]}},
    ),
    ("DELETE", "/api/incident/{}"): lambda w: w.et.delete(
        f"/incident/{w.made('/incidents', {'Summary': 'Gone'})['Id']}"
    ),
    ("POST", "/api/stepresult/{}/incidents"): lambda w: w.et.post(
        f"/stepresult/{w.step}/incidents", json={"IncidentId": w.incident}
    ),
    ("GET", "/api/stepresult/{}/incidents"): lambda w: w.et.get(f"/stepresult/{w.step}/incidents"),
    ("GET", "/api/stepresult/{}/incident/{}"): _get_step_incident,
    ("DELETE", "/api/stepresult/{}/incident/{}"): _unlink_step_incident,
    ("POST", "/api/users"): lambda w: w.et.post(
        "/users", json={"UserName": "ann", "Email": "ann@example.com"}
    ),
    ("GET", "/api/user/{}"): lambda w: w.et.get(f"/user/{w.user}"),
    ("PUT", "/api/user/{}"): lambda w: w.et.put(f"/user/{w.user}", json={"Email": "tester@example.com"}),
    ("DELETE", "/api/user/{}"): lambda w: w.et.delete(
        f"/user/{w.made('/users', {'UserName': 'gone', 'Email': 'gone@example.com'})['Id']}"
    ),
}


def test_every_pair_of_the_area_is_served_but_those_listed_as_not_yet(live: LiveServer) -> None:
    unserved = set(AREA_PAIRS) - served_pairs(live)

    assert len(AREA_PAIRS) == 70
    assert unserved - set(NOT_YET_SERVED) == set(), "served by the vendor, not here (nor listed as not yet)"
    assert set(NOT_YET_SERVED) - unserved == set(), "listed as not yet served but served: take them off"


def test_every_served_pair_answers_in_the_vendors_shape(
    live: LiveServer, workspace: Workspace, api: httpx.Client
) -> None:
    served = served_pairs(live) & set(AREA_PAIRS)
    assert served - set(DRIVERS) == set(), "a served pair without a driver here is not checked"
    with et_client(live, workspace) as et:
        world = build_world(et, api)
        problems: dict[str, list[str]] = {}
        for pair in sorted(served, key=lambda p: p[0] == "DELETE"):  # deletes last
            answer = DRIVERS[pair](world)
            found = _answer_problems(pair, answer)
            if found:
                problems[" ".join(pair)] = found
    assert problems == {}


def _answer_problems(pair: Pair, answer: httpx.Response) -> list[str]:
    spec = AREA_PAIRS[pair]
    if str(answer.status_code) not in spec["statuses"] or answer.status_code >= 300:
        vendor = ", ".join(spec["statuses"])
        return [f"answered {answer.status_code} (the vendor's: {vendor}): {answer.text[:300]}"]
    if spec["response"] is None:
        return []
    return shape_problems(answer.json(), spec["response"])


def test_pairs_listed_as_not_yet_served_are_of_the_area_and_say_why() -> None:
    assert all(pair in AREA_PAIRS and reason.strip() for pair, reason in NOT_YET_SERVED.items())
