"""Pure functions between Testament's plan runs and Testsigma's shapes.

Results roll up worst-first, as Testsigma's own repositories take MAX(result id):
SUCCESS < FAILURE < ABORTED < NOT_EXECUTED < QUEUED < STOPPED.
Ids are integers: `ids(entity, core_id)` gives the stable number for a core entity.
A plan run's answers are pure functions of its `PlanRunSheet`, read in one transaction.
"""

import json
import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

from testament.domain import surface_keys
from testament.domain.execution import ExecutionStatus, plan_run_status
from testament.domain.filters import Field, Logical, Node, Not, all_of
from testament.domain.masking import shown
from testament.domain.model import DEFAULT_MACHINE, Environment, Plan
from testament.services.plan_runs import PlanRunSheet, RunExecution

__all__ = [
    "ITERATION_RERUN_TYPES",
    "RERUN_TYPES",
    "RESULTS",
    "Ids",
    "environment_wire",
    "group_of",
    "junit_xml",
    "page_wire",
    "parse_query",
    "plan_wire",
    "result_condition",
    "result_of",
    "run_status",
    "run_wire",
    "saved_config_wire",
    "test_case_results",
    "test_case_results_wire",
    "upload_version_wire",
    "upload_wire",
    "worst",
]

RESULTS = ("SUCCESS", "FAILURE", "ABORTED", "NOT_EXECUTED", "QUEUED", "STOPPED")
RESULT_ALIASES = {"PASSED": "SUCCESS", "FAILED": "FAILURE"}
CORE_STATUS_OF = {  # a result a person may set by override
    "SUCCESS": ExecutionStatus.PASSED,
    "FAILURE": ExecutionStatus.FAILED,
    "ABORTED": ExecutionStatus.ERROR,
    "STOPPED": ExecutionStatus.STOPPED,
    "NOT_EXECUTED": ExecutionStatus.STOPPED,
}
RERUN_TYPES = {  # Testsigma's reRunType → the core's rerun scope
    "ALL_TESTS": "all",
    "ALL_ITERATIONS": "all",
    "ONLY_FAILED_TESTS": "failed_tests",
    "ONLY_FAILED_ITERATIONS": "failed_iterations",
    "ONLY_FAILED_ITERATIONS_IN_FAILED_TESTS": "failed_iterations",
    "USER_PICKED": "picked",
}
RERUN_TYPE_OF = {
    "all": "ALL_TESTS",
    "failed_tests": "ONLY_FAILED_TESTS",
    "failed_iterations": "ONLY_FAILED_ITERATIONS",
    "picked": "USER_PICKED",
}
ITERATION_RERUN_TYPES = {"ALL": "all", "FAILED": "failed", "PASSED": "passed", "USER_PICKED": "picked"}
Ids = Callable[[str, str], int]


def ms(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def result_of(execution: RunExecution) -> str:
    status = execution.effective_status
    if status in (ExecutionStatus.QUEUED, ExecutionStatus.RUNNING):
        return "QUEUED"
    if status == ExecutionStatus.STOPPED:
        return "STOPPED" if execution.started_at else "NOT_EXECUTED"
    return {ExecutionStatus.PASSED: "SUCCESS", ExecutionStatus.FAILED: "FAILURE"}.get(status, "ABORTED")


def worst(results: Sequence[str]) -> str:
    return max(results, key=RESULTS.index) if results else "NOT_EXECUTED"


# Each result's execution fact, as the read side's plan-run view tells it (`result_of`'s cases)
_RESULT_FACTS: dict[str, Node] = {
    "SUCCESS": Field("some_passed"),
    "FAILURE": Field("some_failed"),
    "ABORTED": Field("some_errored"),
    "NOT_EXECUTED": Logical("or", Field("some_stopped_before_start"), Not(Field("has_executions"))),
    "QUEUED": Field("active"),
    "STOPPED": Field("some_stopped_after_start"),
}


def result_condition(result: str) -> Node:
    """The plan runs a list shows with `result` (as `run_wire` derives it: QUEUED while any
    execution is active, else the worst of their `result_of`, NOT_EXECUTED for none), as a
    filter tree: its fact holds and no worse result's does."""
    if result == "QUEUED":
        return _RESULT_FACTS["QUEUED"]
    worse = [Not(_RESULT_FACTS[w]) for w in RESULTS[RESULTS.index(result) + 1 :] if w != "QUEUED"]
    condition = all_of(Not(_RESULT_FACTS["QUEUED"]), _RESULT_FACTS[result], *worse)
    assert condition is not None
    return condition


RUN_STATUS_OF = {ExecutionStatus.QUEUED: "STATUS_QUEUED", ExecutionStatus.RUNNING: "STATUS_IN_PROGRESS"}


def run_status(executions: Sequence[RunExecution]) -> str:
    """The core's plan-run status, as Testsigma names it: every outcome is STATUS_COMPLETED."""
    return RUN_STATUS_OF.get(plan_run_status([x.status for x in executions]), "STATUS_COMPLETED")


def _message(status: str, result: str) -> str:
    if status != "STATUS_COMPLETED":
        return {
            "STATUS_CREATED": "Test Plan execution is initiated and waiting to be queued",
            "STATUS_QUEUED": "Test Plan execution is queued",
        }.get(status, "Test Plan execution is in progress")
    return {
        "SUCCESS": "Test plan execution completed successfully",
        "STOPPED": "User stopped the Test Plan",
        "NOT_EXECUTED": "User stopped the Test Plan",
    }.get(result, "Test plan execution failed")


def _counts(executions: Sequence[RunExecution]) -> dict[str, int]:
    results = [result_of(x) for x in executions]
    running = sum(1 for x in executions if x.status == ExecutionStatus.RUNNING)
    queued = sum(1 for x in executions if x.status == ExecutionStatus.QUEUED)
    return {
        "totalCount": len(executions),
        "passedCount": results.count("SUCCESS"),
        "failedCount": results.count("FAILURE"),
        "abortedCount": results.count("ABORTED"),
        "stoppedCount": results.count("STOPPED"),
        "notExecutedCount": results.count("NOT_EXECUTED"),
        "preRequisiteFailedCount": 0,
        "queuedCount": queued,
        "totalRunningCount": running,
        "totalQueuedCount": queued,
    }


def execution_details(settings: dict[str, Any]) -> dict[str, Any]:
    return {**settings, "global_param_name": None}


def run_wire(
    sheet: PlanRunSheet,
    *,
    executed_by: int,
    created: bool = False,
    nested_plan: bool = True,
    stopping: bool = False,
) -> dict[str, Any]:
    """The execution_results object; `created` answers a trigger (STATUS_CREATED), `stopping`
    a stop (what is still winding down counts as stopped, as the vendor answers)."""
    run, executions, plan, ids = sheet.run, sheet.executions, sheet.plan, sheet.numbers
    results = [
        "STOPPED" if stopping and x.stop_requested and not x.status.is_terminal else result_of(x)
        for x in executions
    ]
    done = all(x.status.is_terminal or (stopping and x.stop_requested) for x in executions)
    status = "STATUS_CREATED" if created else ("STATUS_COMPLETED" if done else run_status(executions))
    result = "QUEUED" if status != "STATUS_COMPLETED" else worst(results)
    finished = [x.finished_at for x in executions if x.finished_at]
    end = max(finished) if status == "STATUS_COMPLETED" and finished else None
    if stopping and status == "STATUS_COMPLETED":
        end = max([*finished, datetime.now(UTC)])
    start_ms, end_ms = ms(run.created_at), ms(end)
    return {
        "id": ids("plan_run", run.id),
        "execution": plan_wire(plan, ids) if nested_plan and not created else None,
        "executionId": ids("plan", plan.id),
        "startTime": start_ms,
        "endTime": end_ms,
        "duration": (end_ms - start_ms) if end_ms is not None and start_ms is not None else None,
        "result": result,
        "status": status,
        "message": _message(status, result),
        "executedBy": executed_by,
        "buildNo": run.build_no,
        "environmentId": ids("environment", run.environment_id) if run.environment_id else None,
        **_counts(executions),
        "isVisuallyPassed": None,
        "environment": None,
        "childResult": None,
        "reRunParentId": ids("plan_run", run.parent_id) if run.parent_id else None,
        "reRunType": RERUN_TYPE_OF.get(run.rerun_type or "", run.rerun_type),
        "triggeredType": run.trigger,
        "executionDetails": execution_details(plan.settings),
        "runtimeData": shown(run.runtime_data) or None,  # a secret given at start is never returned
    }


def plan_wire(plan: Plan, ids: Ids) -> dict[str, Any]:
    return {
        "id": ids("plan", plan.id),
        "name": plan.name,
        "description": plan.description,
        "applicationVersionId": None,
        "entityType": "TEST_PLAN",
        "createdDate": ms(plan.created_at),
        "updatedDate": ms(plan.updated_at),
        "testDevices": [
            {
                "id": ids("machine", surface_keys.machine(plan.id, name)),
                "title": name,
                "suiteIds": [ids("suite", s) for s in suites],
            }
            for name, _variables, suites in plan.targets()
        ],
        "executionDetails": execution_details(plan.settings),
    }


def _group_key(x: RunExecution) -> tuple[str, str, str]:
    return (x.machine or DEFAULT_MACHINE, x.suite_id or "", x.test_case_id)


def group_of(test_case_result: str) -> tuple[str | None, str | None, str]:
    """The core group (machine, suite id, test case id) a testCaseResultId stands for."""
    _run_id, machine, suite_id, case_id = surface_keys.test_case_result_parts(test_case_result)
    return (machine, suite_id or None, case_id)


def test_case_results_wire(sheet: PlanRunSheet) -> dict[str, Any]:
    """GET .../test_case_results: the run's result and one entry per test case."""
    status = run_status(sheet.executions)
    return {
        "executionId": sheet.numbers("plan", sheet.run.plan_id),
        "executionResultId": sheet.numbers("plan_run", sheet.run.id),
        "result": worst([result_of(x) for x in sheet.executions])
        if status == "STATUS_COMPLETED"
        else "QUEUED",
        "status": status,
        "testCases": test_case_results(sheet),
    }


def test_case_results(sheet: PlanRunSheet) -> list[dict[str, Any]]:
    """One entry per test case placed on a machine and suite; data-driven ones list their iterations."""
    run, ids = sheet.run, sheet.numbers
    groups: dict[tuple[str, str, str], list[RunExecution]] = {}
    for execution in sheet.executions:
        groups.setdefault(_group_key(execution), []).append(execution)
    entries = []
    for (machine, suite_id, case_id), members in groups.items():
        data_driven = any(x.data_set_name for x in members)
        entries.append(
            {
                "testCaseId": ids("test_case", case_id),
                "testCaseName": sheet.case_names.get(case_id, ""),
                "testCaseResultId": ids(
                    "test_case_result", surface_keys.test_case_result(run.id, machine, suite_id, case_id)
                ),
                "result": worst([result_of(x) for x in members]),
                "isDataDrivenCase": data_driven,
                "iterationResults": [
                    {
                        "iterationResultId": ids("execution", x.id),
                        "setName": x.data_set_name,
                        "result": result_of(x),
                    }
                    for x in members
                ]
                if data_driven
                else [],
                "testSuiteId": ids("suite", suite_id) if suite_id else None,
                "testSuiteName": sheet.suite_names.get(suite_id),
                "testSuiteResultId": ids(
                    "suite_result", surface_keys.suite_result(run.id, machine, suite_id)
                ),
                "machineId": ids("machine", surface_keys.machine(run.plan_id, machine)),
                "machineTitle": machine,
                "machineResultId": ids("machine_result", surface_keys.machine_result(run.id, machine)),
                "startTime": ms(min((x.started_at for x in members if x.started_at), default=None)),
                "endTime": ms(max((x.finished_at for x in members if x.finished_at), default=None)),
            }
        )
    return entries


def junit_xml(sheet: PlanRunSheet) -> str:
    """JUnit XML of a finished run: a testsuite per machine and suite, a testcase per execution."""
    plan, executions = sheet.plan, sheet.executions
    root = ElementTree.Element("testsuites", name=plan.name)
    suites: dict[tuple[str, str], ElementTree.Element] = {}
    for x in executions:
        machine, suite_id = x.machine or DEFAULT_MACHINE, x.suite_id or ""
        key = (machine, suite_id)
        if key not in suites:
            title = f"{machine} / {sheet.suite_names.get(suite_id, 'test cases')}"
            suites[key] = ElementTree.SubElement(
                root, "testsuite", name=title, tests="0", failures="0", errors="0", skipped="0"
            )
        suite = suites[key]
        suite.set("tests", str(int(suite.get("tests", "0")) + 1))
        name = sheet.case_names.get(x.test_case_id, x.test_case_id)
        case = ElementTree.SubElement(
            suite,
            "testcase",
            name=f"{name} [{x.data_set_name}]" if x.data_set_name else name,
            classname=plan.name,
        )
        if x.started_at and x.finished_at:
            case.set("time", f"{(x.finished_at - x.started_at).total_seconds():.3f}")
        result = result_of(x)
        if result in ("FAILURE", "ABORTED"):
            tag, counter = ("failure", "failures") if result == "FAILURE" else ("error", "errors")
            ElementTree.SubElement(case, tag, message=x.reason or result.lower(), type=result)
            suite.set(counter, str(int(suite.get(counter, "0")) + 1))
        elif result in ("STOPPED", "NOT_EXECUTED"):
            ElementTree.SubElement(case, "skipped", message=x.reason or result.lower())
            suite.set("skipped", str(int(suite.get("skipped", "0")) + 1))
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode")


def page_wire(items: list[Any], total: int, page: int, size: int) -> dict[str, Any]:
    """Spring's Page JSON, as Testsigma's list endpoints answer."""
    pages = math.ceil(total / size) if size else 0
    sort = {"sorted": False, "unsorted": True, "empty": True}
    return {
        "content": items,
        "totalElements": total,
        "totalPages": pages,
        "last": page >= pages - 1,
        "first": page == 0,
        "number": page,
        "size": size,
        "numberOfElements": len(items),
        "sort": sort,
        "pageable": {
            "sort": sort,
            "offset": page * size,
            "pageNumber": page,
            "pageSize": size,
            "paged": True,
            "unpaged": False,
        },
        "empty": not items,
    }


QUERY_OPERATORS = (":", "!", ">", "<", "~", "@", ";", "$")


def parse_query(query: str | None) -> list[tuple[str, str, str]]:
    """`key:value,key2!value2` → [(key, op, value)]; `@`/`;` values are `a|b` lists."""
    terms = []
    for part in filter(None, (query or "").split(",")):
        position = min((part.find(op) for op in QUERY_OPERATORS if part.find(op) > 0), default=-1)
        if position <= 0:
            raise ValueError(f"{part!r} is not key<op>value (op one of {' '.join(QUERY_OPERATORS)})")
        terms.append((part[:position], part[position], part[position + 1 :]))
    return terms


def environment_wire(env: Environment, ids: Ids) -> dict[str, Any]:
    env_id = ids("environment", env.id)
    return {
        "id": env_id,
        "name": env.name,
        "description": None,
        "createdById": None,
        "updatedById": None,
        "createdDate": ms(env.created_at),
        "updatedDate": ms(env.updated_at),
        "createdAtEpoch": ms(env.created_at),
        "updatedAtEpoch": ms(env.updated_at),
        "variables": [
            _variable(ids, env.id, key, value, encrypted=False) for key, value in env.variables.items()
        ]
        + [_variable(ids, env.id, key, ENCRYPTED_VALUE, encrypted=True) for key in env.secret_names],
    }


CONFIG_KEYS = {"suite": "suiteId", "assignee": "assignee", "reviewer": "reviewedBy", "tag": "tag"}


def saved_config_wire(config: Any, ids: Ids) -> dict[str, Any]:
    """A saved run configuration as `saved_execution_configs` lists it; `query` is a JSON string."""
    query = [
        {
            "key": CONFIG_KEYS[f["key"]],
            "value": [ids("suite", v) for v in f["values"]] if f["key"] == "suite" else list(f["values"]),
            "operation": f["operation"],
        }
        for f in config.filters
    ]
    return {
        "id": ids("run_config", config.id),
        "name": config.name,
        "testPlanId": ids("plan", config.plan_id),
        "query": json.dumps(query, separators=(",", ":")),
        "executionConfigType": "SAVED_CONFIG",
        "executionConfigCondition": config.condition,
        "createdByUser": None,
    }


ENCRYPTED_VALUE = "********"  # an encrypted value is never returned in clear


def _variable(ids: Ids, env_id: str, key: str, value: Any, *, encrypted: bool) -> dict[str, Any]:
    return {
        "id": ids("environment_variable", surface_keys.environment_variable(env_id, key)),
        "key": key,
        "value": value,
        "isEncrypted": encrypted,
        "projectId": None,
        "isDefault": False,
    }


def upload_wire(upload: Any, ids: Ids) -> dict[str, Any]:
    return {
        "id": ids("upload", upload.id),
        "name": upload.name,
        "createdDate": ms(upload.created_at),
        "updatedDate": ms(upload.updated_at),
    }


def upload_version_wire(version: Any, ids: Ids) -> dict[str, Any]:
    return {
        "id": ids("upload_version", version.id),
        "uploadId": ids("upload", version.upload_id),
        "name": version.name,
        "fileName": version.file_name,
        "fileSize": version.size,
        "checksum": version.sha256,
        "createdDate": ms(version.created_at),
    }
