"""The core ids of the things a numbering surface (Testsigma) numbers but the core does not
keep as rows of their own: a plan's machine, an environment's variable, and the parts of a
plan run a client addresses (a machine's, a suite's and a test case's results).

The numbers are given when these are written and read when they are shown, so both sides
build the keys here, the one place their shape is decided. Core ids hold no '/'; a
machine's name and a variable's key may.
"""

__all__ = [
    "environment_variable",
    "machine",
    "machine_result",
    "suite_result",
    "test_case_result",
    "test_case_result_parts",
]


def machine(plan_id: str, name: str) -> str:
    return f"{plan_id}/{name}"


def environment_variable(environment_id: str, key: str) -> str:
    return f"{environment_id}/{key}"


def machine_result(run_id: str, machine_name: str) -> str:
    return f"{run_id}/{machine_name}"


def suite_result(run_id: str, machine_name: str, suite_id: str) -> str:
    return f"{run_id}/{machine_name}/{suite_id}"


def test_case_result(run_id: str, machine_name: str, suite_id: str, case_id: str) -> str:
    return f"{run_id}/{machine_name}/{suite_id}/{case_id}"


def test_case_result_parts(key: str) -> tuple[str, str, str, str]:
    """(run id, machine, suite id or "", test case id) of a `test_case_result` key."""
    head, suite_id, case_id = key.rsplit("/", 2)
    run_id, machine = head.split("/", 1)
    return run_id, machine, suite_id, case_id
