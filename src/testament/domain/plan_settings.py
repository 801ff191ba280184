"""Run settings a plan carries, with their defaults and allowed values (Testsigma's names).

Runners that drive a browser read the timeouts and the screenshot option; the engine
reads `recovery_action` (whether a failed test case stops the rest of its machine).
"""

from typing import Any

from testament.domain.errors import InvalidInput
from testament.domain.requirements import check_requires

__all__ = ["DEFAULT_PLAN_SETTINGS", "check_machines", "check_plan_settings"]

DEFAULT_PLAN_SETTINGS: dict[str, Any] = {
    "page_timeout": 30,
    "element_timeout": 30,
    "recovery_action": "Run_Next_Testcase",
    "on_aborted_action": "Reuse_Session",
    "screenshot_option": "FAILED_STEPS",
    "group_prerequisite_fail": "Abort",
    "test_case_prerequisite_fail": "Abort",
    "test_step_prerequisite_fail": "Run_Next_Testcase",
}
_CHOICES: dict[str, tuple[str, ...]] = {
    "recovery_action": ("Run_Next_Testcase", "Abort"),
    "on_aborted_action": ("Reuse_Session", "Restart_Session"),
    "screenshot_option": ("FAILED_STEPS", "ALL_STEPS", "NONE", "ALL_TYPES"),
    "group_prerequisite_fail": ("Abort", "Run_Next_Testcase"),
    "test_case_prerequisite_fail": ("Abort", "Run_Next_Testcase"),
    "test_step_prerequisite_fail": ("Abort", "Run_Next_Testcase"),
}


def check_plan_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings with defaults filled in; InvalidInput names a bad one."""
    for key, value in settings.items():
        field = f"settings.{key}"
        if key not in DEFAULT_PLAN_SETTINGS:
            raise InvalidInput(field, f"is not a plan setting; known: {', '.join(DEFAULT_PLAN_SETTINGS)}")
        if key in ("page_timeout", "element_timeout"):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 600:
                raise InvalidInput(field, "must be a whole number of seconds, 1 to 600")
        elif value not in _CHOICES[key]:
            raise InvalidInput(field, f"must be one of {', '.join(_CHOICES[key])}")
    return {**DEFAULT_PLAN_SETTINGS, **settings}


def check_machines(machines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Machines: named targets, each with variables and the suites assigned to it."""
    seen: set[str] = set()
    checked = []
    for i, machine in enumerate(machines):
        name = machine.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 200:
            raise InvalidInput(f"machines[{i}].name", "must be 1 to 200 characters")
        if name in seen:
            raise InvalidInput(f"machines[{i}].name", f"{name!r} names another machine of this plan")
        seen.add(name)
        variables, suite_ids = machine.get("variables") or {}, machine.get("suite_ids") or []
        if not isinstance(variables, dict):
            raise InvalidInput(f"machines[{i}].variables", "must be an object")
        if not isinstance(suite_ids, list) or not all(isinstance(s, str) for s in suite_ids):
            raise InvalidInput(f"machines[{i}].suite_ids", "must be a list of suite ids")
        unknown = set(machine) - {"name", "variables", "suite_ids", "requires"}
        if unknown:
            raise InvalidInput(f"machines[{i}].{sorted(unknown)[0]}", "is not a machine field")
        requires = check_requires(f"machines[{i}].requires", machine.get("requires"))
        checked.append(
            {"name": name, "variables": dict(variables), "suite_ids": list(suite_ids)}
            | ({"requires": requires} if requires else {})  # stored plans without it read the same
        )
    return checked
