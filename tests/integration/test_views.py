"""The read side compiles a filter tree against a collection's view: plain columns, derived
values (a run's displayed status), the caller's own field names, and its mistakes."""

from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from testament.compat.enterprise_tester import translate
from testament.compat.enterprise_tester.routes_attachments import ATTACHMENT_FIELDS, COMMENT_FIELDS
from testament.compat.enterprise_tester.routes_incidents import INCIDENT_FIELDS, LINK_FIELDS
from testament.compat.enterprise_tester.routes_users import USER_FIELDS
from testament.compat.testsigma import translate as testsigma
from testament.domain.execution import ExecutionStatus
from testament.domain.filters import (
    Call,
    Comparison,
    Constant,
    Field,
    FilterError,
    Kind,
    SortKey,
    all_of,
    equals,
)
from testament.domain.manual import RunStatus
from testament.kit.ids import new_id
from testament.services import assignments, packages, plan_runs, plans, read_side
from testament.services import test_cases as tc
from testament.services.executions import manual
from testament.services.executions.manual import StepInput
from testament.store import tables
from tests.integration.conftest import Engine

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
STEPS = {"steps": [{"description": "open the page", "expected_result": "it opens"}]}


def _runs(engine: Engine) -> dict[str, str]:
    """Three manual runs of one assignment: passed, failed and one still open (In Progress)."""
    ctx, me = engine.ctx, engine.principal
    case = tc.create_test_case(ctx, me, kind="manual", name="login", content=STEPS, publish=True)
    package = packages.create_package(ctx, me, name="sprint 1")
    assignment = assignments.create_assignment(
        ctx, me, package_id=package.id, test_case_id=case.test_case.id, assignee=me.user_name
    )
    made: dict[str, str] = {}
    for outcome in ("Passed", "Failed", None):
        run = assignments.start_assignment_run(ctx, me, assignment.id).execution
        if outcome is not None:
            manual.record_steps(ctx, me, run.id, [StepInput(1, outcome)], complete=True)
        made[outcome or "open"] = run.id
    return made


def test_a_derived_value_filters_and_orders_as_the_domain_derives_it(
    make_engine: Callable[..., Engine],
) -> None:
    engine = make_engine()
    made = _runs(engine)

    def ids(selection: read_side.Selection) -> list[str]:
        found, _total = assignments.query_runs(engine.ctx, engine.principal, selection)
        return [x.id for x in found]

    assert ids(read_side.Selection(equals("status", RunStatus.PASSED.value))) == [made["Passed"]]
    assert ids(read_side.Selection(equals("status", RunStatus.IN_PROGRESS.value))) == [made["open"]]
    not_open = all_of(
        equals("completed", True), Call("startswith", (Field("status"), Constant("F", Kind.STRING)))
    )
    assert ids(read_side.Selection(not_open)) == [made["Failed"]]
    by_status = ids(read_side.Selection(order=[SortKey(Field("status"), descending=True)]))
    assert by_status == [made["Passed"], made["open"], made["Failed"]]  # Passed > In Progress > Failed


def test_a_caller_names_fields_its_own_way_and_is_told_its_mistakes_in_its_words(
    make_engine: Callable[..., Engine],
) -> None:
    engine = make_engine()
    made = _runs(engine)
    names = translate.RUN_FIELDS.names
    passed = read_side.Selection(equals("Status", "Passed"), limit=1, names=names)
    found, total = assignments.query_runs(engine.ctx, engine.principal, passed)
    assert [x.id for x in found] == [made["Passed"]] and total == 1

    with pytest.raises(FilterError) as unknown:
        assignments.query_runs(
            engine.ctx, engine.principal, read_side.Selection(equals("Stauts", "Passed"), names=names)
        )
    assert unknown.value.message.startswith(
        "Unknown property 'Stauts' at position 0 (did you mean 'Status'?)"
    )
    assert "CreatedAt" in unknown.value.message and "created_at" not in unknown.value.message

    with pytest.raises(FilterError) as mistyped:  # a view's own names are not the caller's
        assignments.query_runs(
            engine.ctx, engine.principal, read_side.Selection(equals("status", "Passed"), names=names)
        )
    assert mistyped.value.message.startswith("Unknown property 'status'")

    wrong_kind = Comparison("gt", Field("Completed"), Constant(1, Kind.NUMBER))
    with pytest.raises(FilterError, match="Cannot compare a boolean with a number"):
        assignments.query_runs(engine.ctx, engine.principal, read_side.Selection(wrong_kind, names=names))


@pytest.mark.parametrize(
    "fields",
    [
        translate.RUN_FIELDS,
        translate.PACKAGE_FIELDS,
        translate.SCRIPT_PACKAGE_FIELDS,
        translate.SCRIPT_FIELDS,
        translate.ASSIGNMENT_FIELDS,
        translate.PROJECT_FIELDS,
        translate.ATTACHMENT_FIELDS,
        ATTACHMENT_FIELDS,
        COMMENT_FIELDS,
        INCIDENT_FIELDS,
        LINK_FIELDS,
        USER_FIELDS,
    ],
)
def test_every_vendor_property_is_a_field_of_its_view(fields: translate.VendorFields) -> None:
    assert set(fields.names.values()) <= set(fields.view.fields)
    assert set(fields.kinds) == set(fields.names)
    assert fields.kinds.get("CreatedAt", Kind.DATETIME) is Kind.DATETIME


def test_the_surfaces_status_words_are_the_ones_the_view_filters_on() -> None:
    """The view derives a run's status in the domain's words; ET shows the same words, so a
    `Status eq 'Passed'` matches the runs shown as Passed."""
    assert all(translate.status_word(status) == status.value for status in RunStatus)


# (effective status, override, started) of each execution of a plan run -> the result a list shows
_RUNS: list[list[tuple[ExecutionStatus, ExecutionStatus | None, bool]]] = [
    [],
    [(ExecutionStatus.PASSED, None, True)],
    [(ExecutionStatus.PASSED, None, True), (ExecutionStatus.FAILED, None, True)],
    [(ExecutionStatus.FAILED, None, True), (ExecutionStatus.ERROR, None, True)],
    [(ExecutionStatus.PASSED, None, True), (ExecutionStatus.STOPPED, None, False)],
    [(ExecutionStatus.STOPPED, None, True), (ExecutionStatus.STOPPED, None, False)],
    [(ExecutionStatus.PASSED, None, True), (ExecutionStatus.RUNNING, None, True)],
    [(ExecutionStatus.FAILED, ExecutionStatus.PASSED, True)],
    [(ExecutionStatus.PASSED, ExecutionStatus.FAILED, True), (ExecutionStatus.ERROR, None, True)],
    [(ExecutionStatus.QUEUED, None, False)],
    [(ExecutionStatus.STOPPED, None, True), (ExecutionStatus.QUEUED, None, False)],
    [(ExecutionStatus.ERROR, ExecutionStatus.STOPPED, True)],
]


def _shown_result(executions: list[tuple[ExecutionStatus, ExecutionStatus | None, bool]]) -> str:
    """The result Testsigma's list shows, by the translator's own Python rule."""
    if not all(status.is_terminal for status, _o, _s in executions):
        return "QUEUED"
    results = [
        testsigma.result_of(SimpleNamespace(effective_status=o or s, started_at=NOW if started else None))  # type: ignore[arg-type]
        for s, o, started in executions
    ]
    return testsigma.worst(results)


def test_a_plan_runs_result_filters_as_the_surface_derives_it(make_engine: Callable[..., Engine]) -> None:
    """Testsigma's `result:` filter compiles to facts the plan-run view derives from the
    executions; every result matches exactly the runs the translator shows with it."""
    engine = make_engine()
    ctx, me = engine.ctx, engine.principal
    case = tc.create_test_case(ctx, me, kind="manual", name="login", content=STEPS, publish=True)
    plan = plans.create_plan(ctx, me, name="nightly", suite_ids=[])
    expected: dict[str, set[str]] = {result: set() for result in testsigma.RESULTS}
    with ctx.db.engine.begin() as connection:
        for executions in _RUNS:
            run_id = new_id()
            connection.execute(
                tables.plan_runs.insert(),
                {"id": run_id, "workspace_id": me.workspace_id, "plan_id": plan.id, "created_by": "me",
                 "created_at": NOW, "runtime_data": {}, "machine_variables": {}},
            )  # fmt: skip
            for status, override, started in executions:
                connection.execute(
                    tables.executions.insert(),
                    {"id": new_id(), "workspace_id": me.workspace_id, "test_case_id": case.test_case.id,
                     "test_case_version": 1, "kind": "manual", "status": status, "override_status": override,
                     "batch_id": run_id, "plan_run_id": run_id, "created_by": "me", "max_attempts": 1,
                     "attempt": 1, "queued_at": NOW, "started_at": NOW if started else None},
                )  # fmt: skip
            expected[_shown_result(executions)].add(run_id)

    for result in testsigma.RESULTS:
        selection = read_side.Selection(testsigma.result_condition(result), limit=100)
        found, total = plan_runs.query_plan_runs(ctx, me, selection)
        assert ({r.id for r in found}, total) == (expected[result], len(expected[result])), result
    assert all(expected.values())  # every result was shown by some run
