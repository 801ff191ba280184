"""The executor's listening connection on PostgreSQL: a NOTIFY wakes idle workers at once (polling
is set to 30 s here), and the connection comes back after it is cut, as when the database
restarts (its backend terminated, the same end a restart gives every connection)."""

import os
from typing import Any

import pytest
from sqlalchemy import text

from testament.domain.execution import ExecutionStatus
from testament.engine.listen import APPLICATION_NAME
from testament.services import executions as ex
from testament.services import test_cases as tc
from tests.conftest import wait_for
from tests.integration.conftest import Engine


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if not os.environ.get("TESTAMENT_TEST_DATABASE_URL"):
        pytest.skip("tier PostgreSQL is off: LISTEN/NOTIFY needs it (set TESTAMENT_TEST_DATABASE_URL)")


def _listeners(engine: Engine) -> list[int]:
    """The backends of this database's listening connections."""
    with engine.ctx.db.engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = :name "
                    "AND datname = current_database()"
                ),
                {"name": APPLICATION_NAME},
            ).scalars()
        )


def _run_one(engine: Engine) -> float:
    """Start a noop execution; seconds from its queueing to its start."""
    case = tc.create_test_case(engine.ctx, engine.principal, kind="noop", name="n", content={}, publish=True)
    execution_id = (
        ex.start_execution(engine.ctx, engine.principal, test_case_id=case.test_case.id).executions[0].id
    )
    done = wait_for(
        lambda: (x := ex.get_execution(engine.ctx, engine.principal, execution_id)).status.is_terminal and x,
        timeout_s=5,
    )
    assert done.status == ExecutionStatus.PASSED
    return float((done.started_at - done.queued_at).total_seconds())


def test_the_listening_connection_comes_back_after_it_is_cut_and_wakes_workers_again(
    make_engine: Any,
) -> None:
    engine = make_engine(poll_s=30, heartbeat_s=20, lease_s=60, workers=2).start()
    first = wait_for(lambda: _listeners(engine))
    assert len(first) == 1  # one per process, whatever its concurrency

    with engine.ctx.db.engine.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first[0]})
    again = wait_for(lambda: (pids := _listeners(engine)) and pids != first and pids, timeout_s=10)

    assert len(again) == 1
    assert _run_one(engine) < 1.0  # woken by a NOTIFY on the new connection, not the 30 s poll
