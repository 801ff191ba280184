"""Use cases called in process, as every door calls them: the rules of starting, plan runs,
reruns and tenancy are checked here without an HTTP round-trip (the doors' tests check only
their translation)."""

from typing import Any

import pytest

from testament.domain.access import Role
from testament.domain.errors import Conflict, InvalidInput, NotFound
from testament.domain.execution import ExecutionStatus
from testament.domain.reruns import RerunScope
from testament.services import environments, keys, plan_runs, plans, suites, workspaces
from testament.services import executions as ex
from testament.services import test_cases as tc
from testament.services.test_cases import DataSetInput
from tests.conftest import wait_for
from tests.integration.conftest import Engine


def http_case(engine: Engine, name: str, url: str, status: int = 200, **kw: Any) -> str:
    content = {"steps": [{"name": "call", "request": {"url": url}, "expect": {"status": status}}]}
    view = tc.create_test_case(
        engine.ctx, engine.principal, kind="http", name=name, content=content, publish=True, **kw
    )
    return view.test_case.id


def plan_of(engine: Engine, name: str, case_ids: list[str]) -> str:
    suite = suites.create_suite(engine.ctx, engine.principal, name=f"{name} suite", test_case_ids=case_ids)
    return plans.create_plan(engine.ctx, engine.principal, name=name, suite_ids=[suite.id]).id


def finished_run(engine: Engine, run_id: str) -> plan_runs.PlanRunView:
    def done() -> plan_runs.PlanRunView | None:
        view = plan_runs.get_plan_run(engine.ctx, engine.principal, run_id)
        return view if all(x.status.is_terminal for x in view.executions) else None

    result: plan_runs.PlanRunView = wait_for(done, timeout_s=30)
    return result


def test_a_plan_run_makes_one_execution_per_data_set_and_derives_its_status_and_counts(
    make_engine: Any, target: Any
) -> None:
    engine = make_engine().start()
    sets = [DataSetInput("first", {}), DataSetInput("second", {})]
    good = http_case(engine, "good", f"{target.url}/ok", data_sets=sets)
    bad = http_case(engine, "bad", f"{target.url}/ok", status=418)

    started = ex.start_execution(
        engine.ctx, engine.principal, plan_id=plan_of(engine, "nightly", [good, bad])
    )
    assert started.plan_run is not None and len(started.executions) == 3
    view = finished_run(engine, started.plan_run.id)

    assert sorted((x.test_case_id, x.data_set_name) for x in view.executions) == sorted(
        [(good, "first"), (good, "second"), (bad, None)]
    )
    assert view.status is ExecutionStatus.FAILED
    assert (view.counts["passed"], view.counts["failed"], view.counts["total"]) == (2, 1, 3)


def test_a_rerun_of_the_failed_tests_runs_only_them_and_names_its_parent(
    make_engine: Any, target: Any
) -> None:
    engine = make_engine().start()
    good = http_case(engine, "good", f"{target.url}/ok")
    bad = http_case(engine, "bad", f"{target.url}/ok", status=418)
    parent = ex.start_execution(engine.ctx, engine.principal, plan_id=plan_of(engine, "p", [good, bad]))
    assert parent.plan_run is not None
    finished_run(engine, parent.plan_run.id)

    rerun = plan_runs.rerun_plan_run(
        engine.ctx, engine.principal, parent.plan_run.id, RerunScope("failed_tests")
    )

    assert rerun.plan_run is not None and rerun.plan_run.parent_id == parent.plan_run.id
    assert [x.test_case_id for x in rerun.executions] == [bad]


def test_a_rerun_of_a_run_still_running_is_refused(make_engine: Any, target: Any) -> None:
    engine = make_engine()  # no executor: the run stays queued
    case = http_case(engine, "queued", f"{target.url}/ok")
    started = ex.start_execution(engine.ctx, engine.principal, plan_id=plan_of(engine, "p", [case]))
    assert started.plan_run is not None

    with pytest.raises(Conflict):
        plan_runs.rerun_plan_run(engine.ctx, engine.principal, started.plan_run.id, RerunScope("all"))


def test_a_client_token_gives_back_the_first_start(make_engine: Any, target: Any) -> None:
    engine = make_engine()
    case = http_case(engine, "once", f"{target.url}/ok")

    first = ex.start_execution(engine.ctx, engine.principal, test_case_id=case, client_token="build-42")
    again = ex.start_execution(engine.ctx, engine.principal, test_case_id=case, client_token="build-42")

    assert (first.replayed, again.replayed) == (False, True)
    assert [x.id for x in again.executions] == [x.id for x in first.executions]


def test_a_client_token_replays_its_start_before_anything_since_can_refuse_it(
    make_engine: Any, target: Any
) -> None:
    # A start reads what it needs before its write lock; what it finds wrong then is raised only
    # where one transaction would raise it: after the token's replay, not before.
    engine = make_engine()
    case = http_case(engine, "once", f"{target.url}/ok")
    env = environments.create_environment(engine.ctx, engine.principal, name="staging", variables={})
    first = ex.start_execution(
        engine.ctx, engine.principal, test_case_id=case, client_token="build-43", environment_id=env.id
    )
    environments.delete_environment(engine.ctx, engine.principal, env.id)

    again = ex.start_execution(
        engine.ctx, engine.principal, test_case_id=case, client_token="build-43", environment_id=env.id
    )
    assert again.replayed and [x.id for x in again.executions] == [x.id for x in first.executions]
    with pytest.raises((InvalidInput, NotFound)) as gone:  # without the token it is refused
        ex.start_execution(engine.ctx, engine.principal, test_case_id=case, environment_id=env.id)
    assert "environment" in str(gone.value).lower()
    with pytest.raises(NotFound):  # a token does not replay a start of something that is not there
        ex.start_execution(engine.ctx, engine.principal, test_case_id="nothing", client_token="build-43")


def test_a_start_names_one_target_and_a_draft_cannot_run(make_engine: Any, target: Any) -> None:
    engine = make_engine()
    draft = tc.create_test_case(
        engine.ctx,
        engine.principal,
        kind="http",
        name="draft",
        content={"steps": [{"name": "call", "request": {"url": f"{target.url}/ok"}}]},
    )

    with pytest.raises(InvalidInput) as neither:
        ex.start_execution(engine.ctx, engine.principal)
    assert neither.value.problems[0].field == "test_case_id"
    with pytest.raises((InvalidInput, Conflict)) as unpublished:
        ex.start_execution(engine.ctx, engine.principal, test_case_id=draft.test_case.id)
    assert "publish" in str(unpublished.value).lower()


def test_a_workspace_cannot_reach_another_workspaces_rows(make_engine: Any, target: Any) -> None:
    engine = make_engine()
    case = http_case(engine, "mine", f"{target.url}/ok")
    execution = ex.start_execution(engine.ctx, engine.principal, test_case_id=case).executions[0]
    other_workspace = workspaces.create_workspace(engine.ctx, "other")
    other = keys.authenticate_token(
        engine.ctx, keys.create_key(engine.ctx, other_workspace.id, Role.ADMIN, "them").token
    )

    with pytest.raises(NotFound):
        ex.get_execution(engine.ctx, other, execution.id)
    with pytest.raises(NotFound):
        tc.get_test_case(engine.ctx, other, case)
    with pytest.raises(NotFound):
        ex.stop_execution(engine.ctx, other, execution.id)
    assert ex.get_execution(engine.ctx, engine.principal, execution.id).status is ExecutionStatus.QUEUED
