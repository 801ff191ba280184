"""services/history against real executions: the last runs of many test cases in one read, newest
last, overrides counted, only the workspace's own; a test case's versions."""

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event

from testament.domain.access import Role
from testament.domain.errors import NotFound
from testament.domain.execution import ExecutionStatus
from testament.services import executions, history, test_cases, workspaces
from testament.services import keys as key_service
from tests.conftest import wait_for
from tests.integration.conftest import Engine


def _finished(engine: Engine, ids: list[str]) -> bool:
    return all(executions.get_execution(engine.ctx, engine.principal, i).status.is_terminal for i in ids)


def test_histories_of_many_test_cases_in_one_read(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine().start()
    ctx, admin = engine.ctx, engine.principal
    views = [
        test_cases.create_test_case(ctx, admin, kind="noop", name=f"case {i}", content={}, publish=True)
        for i in range(3)
    ]
    cases = [view.test_case for view in views]
    runs: dict[str, list[str]] = {c.id: [] for c in cases}
    for _round in range(4):
        for case in cases[:2]:  # the third never runs
            started = executions.start_execution(ctx, admin, test_case_id=case.id)
            runs[case.id] += [x.id for x in started.executions]
    wait_for(lambda: _finished(engine, [i for ids in runs.values() for i in ids]), 60)
    # a person judged the second run of the first case failed
    executions.override_executions(ctx, admin, [runs[cases[0].id][1]], ExecutionStatus.FAILED, "known bug")

    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(ctx.db.engine, "before_cursor_execute", count)
    try:
        found = history.histories(ctx, admin, [c.id for c in cases] + ["no-such-case"], last=3)
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", count)

    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2  # however many cases

    assert set(found) == {c.id for c in cases}
    first, second, third = (found[c.id] for c in cases)
    assert [r.id for r in first.runs] == runs[cases[0].id][1:]  # the newest 3, newest last
    assert first.statuses == ["FAILED", "PASSED", "PASSED"] and first.pass_rate == 2 / 3
    assert first.flips == 1 and not first.flaky
    assert (first.name, first.kind) == ("case 0", "noop")
    assert second.statuses == ["PASSED"] * 3 and second.pass_rate == 1.0
    assert all(d is not None and d >= 0 for d in second.durations)
    assert third.runs == () and third.pass_rate is None and third.name == "case 2"


def test_another_workspace_sees_no_history_and_no_versions(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine()
    ctx, admin = engine.ctx, engine.principal
    case = test_cases.create_test_case(ctx, admin, kind="noop", name="mine", content={}).test_case
    test_cases.update_test_case(ctx, admin, case.id, content={"note": "two"})
    other_ws = workspaces.create_workspace(ctx, "other")
    other = key_service.authenticate_token(
        ctx, key_service.create_key(ctx, other_ws.id, Role.ADMIN, "o").token
    )

    assert [v.version for v in history.versions(ctx, admin, case.id)] == [1, 2]
    assert history.histories(ctx, other, [case.id]) == {}
    with pytest.raises(NotFound):
        history.history(ctx, other, case.id)
    with pytest.raises(NotFound):
        history.versions(ctx, other, case.id)
