"""Scores of executions: computed from the records of an execution's last attempt and the
units of its pinned test-case version (sealed when it ends, see endings.py)."""

import threading
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from testament.domain.content import Unit, scoring_units, unit_key
from testament.domain.execution import Execution, RecordStatus
from testament.domain.scoring import ScoredUnit, compute_scoreboard
from testament.store.tables import execution_records, test_case_versions

__all__ = ["scoreboard_of"]


def _credit(status: str, record: dict[str, Any]) -> float:
    """A runner's partial credit when it reports one; else all (passed) or nothing."""
    credit = record.get("credit")
    if isinstance(credit, (int, float)) and not isinstance(credit, bool) and 0 <= credit <= 1:
        return float(credit)
    return 1.0 if status == RecordStatus.PASSED.value else 0.0


_PLANS: dict[tuple[str, int], tuple[list[Unit], list[dict[str, Any]]]] = {}
_PLANS_MAX = 2048
_PLANS_LOCK = threading.Lock()


def _scoring_plan(session: Session, execution: Execution) -> tuple[list[Unit], list[dict[str, Any]]]:
    """The units and effects of the execution's pinned version. A version never changes once
    written, so they are kept per process (an execution's end then costs no content read)."""
    key = (execution.test_case_id, execution.test_case_version)
    if (found := _PLANS.get(key)) is not None:
        return found
    content = (
        session.execute(
            select(test_case_versions.c.content).where(
                test_case_versions.c.test_case_id == execution.test_case_id,
                test_case_versions.c.version == execution.test_case_version,
            )
        ).scalar_one_or_none()
        or {}
    )
    plan = (scoring_units(execution.kind, content), list(content.get("effects") or []))
    with _PLANS_LOCK:  # workers end executions on several threads
        if len(_PLANS) >= _PLANS_MAX:
            _PLANS.pop(next(iter(_PLANS)))  # the oldest entry
        _PLANS[key] = plan
    return plan


# The records that score an attempt, in order (a run cut short was run again: that one counts).
_STORED = (
    select(execution_records.c.observation_id, execution_records.c.status, execution_records.c.record)
    .where(
        execution_records.c.execution_id == bindparam("b_execution_id"),
        execution_records.c.attempt == bindparam("b_attempt"),
        execution_records.c.interrupted.is_(False),
    )
    .order_by(execution_records.c.seq)
)


def scoreboard_of(
    session: Session,
    execution: Execution,
    also: Sequence[tuple[str, str, dict[str, Any]]] = (),
    *,
    stored: bool = True,
) -> dict[str, Any]:
    """The scoreboard of an execution's last attempt, as stored and served; `also`: records
    (observation id, status, record) of that attempt written after those stored (`stored`
    False: none is stored yet, so none is read)."""
    units, effects = _scoring_plan(session, execution)
    if not units:  # nothing to score (a noop): no need to read the records
        return compute_scoreboard([], effects).as_json()
    keys = {u.key for u in units}
    latest: dict[str, float] = {}
    rows: list[tuple[str, str, Any]] = []
    if stored:
        rows = [
            (r.observation_id, r.status, r.record)
            for r in session.execute(
                _STORED, {"b_execution_id": execution.id, "b_attempt": execution.attempt}
            )
        ]
    for observation_id, status, record in [*rows, *also]:
        key = unit_key(execution.kind, observation_id, record or {})
        if key in keys:
            latest[key] = _credit(status, record or {})  # the latest record of a unit counts
    scored = [ScoredUnit(u.points, latest.get(u.key, 0.0), u.section, u.dimensions) for u in units]
    return compute_scoreboard(scored, effects).as_json()
