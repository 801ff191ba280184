"""The demo workspace `make run` serves: a workspace, an admin key and a sample of each thing
the README shows (http test cases and a plan, a Connect contact centre and test case, a manual
assignment, a task).

Made once per data directory and remembered in `demo.json` there (mode 600), so every start
prints the same key. Each part of the demo is planted once, and `demo.json` lists the parts
planted: a restart never overwrites what a user changed nor brings back what they deleted, and
a newer Testament plants only the parts an older one did not have.
"""

import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from testament.compat.aws_connect.translate import flow_body
from testament.domain.access import Principal, Role
from testament.domain.errors import NotFound, TestamentError
from testament.services import assignments, keys, packages, plans, tasks, test_cases, workspaces
from testament.services import resources as workspace_resources
from testament.services.apply import apply_bundle, parse_bundle
from testament.services.context import AppContext

__all__ = ["PARTS", "ensure_demo"]

USER = "demo"  # the demo key's user name: the manual assignment is theirs
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")
WEEK = (*WEEKDAYS, "SATURDAY", "SUNDAY")


def _read(name: str) -> str:
    return resources.files("testament.cli").joinpath(name).read_text()


def _apply(app: AppContext, principal: Principal, bundle: dict[str, Any]) -> dict[str, str]:
    """Apply a bundle; the ids of what it holds, by name."""
    return {line["name"]: line["id"] for line in apply_bundle(app, principal, parse_bundle(bundle))}


def _plant_samples(app: AppContext, principal: Principal) -> None:
    """`demo.yaml` (the same as `examples/demo.yaml`): http test cases, a suite, a plan."""
    _apply(app, principal, yaml.safe_load(_read("demo.yaml")))


def _hours(days: tuple[str, ...], opens: tuple[int, int], closes: tuple[int, int]) -> list[dict[str, Any]]:
    """Hours of operation as AWS writes them: the same opening and closing time on each day."""

    def time(at: tuple[int, int]) -> dict[str, int]:
        return {"Hours": at[0], "Minutes": at[1]}

    return [{"Day": day, "StartTime": time(opens), "EndTime": time(closes)} for day in days]


def _plant_contact_centre(app: AppContext, principal: Principal) -> None:
    """The flow of `examples/main-ivr.json` with the queue and hours it names, and the test case
    of `examples/welcome-test.json` on it, published."""

    def create(kind: str, name: str, body: dict[str, Any]) -> str:
        made = workspace_resources.create_resource(app, principal, kind=kind, name=name, body=body)
        return made.id

    office = {"Name": "BasicHours", "TimeZone": "Europe/London", "Config": _hours(WEEKDAYS, (9, 0), (17, 0))}
    basic_hours = create("connect.hours", "BasicHours", office)
    always = {"Name": "AlwaysOnHours", "TimeZone": "UTC", "Config": _hours(WEEK, (0, 0), (0, 0))}
    create("connect.hours", "AlwaysOnHours", always)
    create("connect.queue", "Basic Queue", {"Name": "Basic Queue", "HoursOfOperationId": basic_hours})
    flow_text = _read("demo-main-ivr.json")
    flow = create("connect.flow", "Main IVR", flow_body("CONTACT_FLOW", flow_text, "PUBLISHED", version=1))
    entry = {"Type": "VOICE_CALL", "VoiceCallEntryPointParameters": {"FlowId": flow}}
    case = {
        "name": "welcome",
        "kind": "connect",
        "description": "AWS's worked example of the Testing language, against the Main IVR flow.",
        "content": {"Content": _read("demo-welcome-test.json"), "EntryPoint": entry},
    }
    _apply(app, principal, {"test_cases": [case]})


def _plant_assignment(app: AppContext, principal: Principal) -> None:
    """A manual test case in a package, assigned to the demo key's user."""
    steps = [
        {"description": "Add a book to the cart", "expected_result": "The cart shows 1 item"},
        {"description": "Pay with the test card", "data": "4242 4242 4242 4242", "expected_result": "Paid"},
    ]
    case = {"name": "checkout by hand", "kind": "manual", "content": {"steps": steps}}
    case_id = _apply(app, principal, {"test_cases": [case]})["checkout by hand"]
    package = packages.create_package(app, principal, name="Sprint 1")
    assignments.create_assignment(app, principal, package_id=package.id, test_case_id=case_id, assignee=USER)


def _plant_task(app: AppContext, principal: Principal) -> None:
    """A task for candidates: the `health` test case, then the `nightly` plan."""
    health = test_cases.find_test_case_id(app, principal, "health")
    nightly = plans.get_plan(app, principal, "nightly").id
    steps = [
        tasks.StepSpec("Review", test_case_id=health, attempt_limit=2),
        tasks.StepSpec("All", plan_id=nightly),
    ]
    tasks.create_task(app, principal, title="API readiness", folder="QA", labels=["q3"], steps=steps)


# in the order they are planted: later parts use what earlier ones made
PARTS: dict[str, Callable[[AppContext, Principal], None]] = {
    "samples": _plant_samples,
    "contact centre": _plant_contact_centre,
    "manual assignment": _plant_assignment,
    "task": _plant_task,
}
LEGACY_PARTS = ["samples"]  # what a demo.json that lists no parts had: the samples, re-applied at each start


def _workspace(app: AppContext, path: Path) -> dict[str, Any]:
    """The demo's workspace and key, as `demo.json` remembers them, or new ones."""
    demo: dict[str, Any] | None = json.loads(path.read_text()) if path.exists() else None
    if demo is not None:
        try:
            workspaces.get_workspace(app, demo["workspace_id"])
            demo.setdefault("planted", LEGACY_PARTS)
            return demo
        except NotFound:
            pass  # the database was replaced: start over
    workspace = workspaces.create_workspace(app, "demo")
    key = keys.create_key(app, workspace.id, Role.ADMIN, USER)
    return {"workspace_id": workspace.id, "token": key.token, "key_id": key.id, "planted": []}


def _save(path: Path, demo: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(demo, indent=2))
    path.chmod(0o600)


def ensure_demo(app: AppContext, warnings: Console | None = None) -> dict[str, Any]:
    """The demo's workspace id and key token, with every part of the demo planted once.

    A part that cannot be planted (a name it needs is taken, or a sample it uses was deleted)
    is left out with a warning and tried again at the next start.
    """
    path = Path(app.settings.data_dir) / "demo.json"
    demo = _workspace(app, path)
    principal = keys.authenticate_token(app, demo["token"])
    for part, plant in PARTS.items():
        if part in demo["planted"]:
            continue
        try:
            with app.uow() as uow:  # the part's use cases join it: all of a part, or none of it
                plant(app, principal)
                uow.commit()
        except TestamentError as exc:
            (warnings or Console(stderr=True)).print(
                f"warning: the demo's {part} was not added: {exc.message}", markup=False
            )
            continue
        demo["planted"] = [*demo["planted"], part]
    _save(path, demo)
    return demo
