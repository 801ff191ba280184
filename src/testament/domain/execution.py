"""Executions and their state machine.

    QUEUED ──start──▶ RUNNING ──finish──▶ PASSED | FAILED | STOPPED | ERROR
      │                  │
      └──stop──▶ STOPPED └──interrupt (shutdown, lost worker)──▶ QUEUED (same attempt) or ERROR

An execution runs one published version of one test case (with one data set, if any).
Its records are append-only and live in the store; the counters here are kept in step
with them by the store so reads need no aggregate query.

Attempts and interruptions are different things. `attempt` counts the tries the test case's
retry policy allows (`max_attempts` = 1 + retries): a failed attempt is tried again. An
interruption is a run cut short by something outside the test (the server shut down, its
worker was lost): the same attempt runs again from its start, `interruptions` counts it, and
the cut-short run's records stay, marked as interrupted. So `attempt` never exceeds
`max_attempts`, and a pass after an interruption is not flaky.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from testament.domain.errors import IllegalTransition

__all__ = [
    "MANUAL_KIND",
    "Execution",
    "ExecutionStatus",
    "Outcome",
    "RecordStatus",
    "effective_status",
    "plan_run_status",
]


MANUAL_KIND = "manual"  # executions a person carries out: no worker claims them


class ExecutionStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    PASSED = "PASSED"
    FAILED = "FAILED"
    STOPPED = "STOPPED"
    ERROR = "ERROR"

    @property
    def is_terminal(self) -> bool:
        return self not in (ExecutionStatus.QUEUED, ExecutionStatus.RUNNING)


TERMINAL = frozenset(s for s in ExecutionStatus if s.is_terminal)


def effective_status(status: ExecutionStatus, override_status: ExecutionStatus | None) -> ExecutionStatus:
    """What reports count: a person's override of a finished execution, or its own status."""
    return override_status or status


def plan_run_status(statuses: Sequence[ExecutionStatus]) -> ExecutionStatus:
    """A plan run is QUEUED until one starts, RUNNING while any is active, then its worst outcome."""
    if all(s == ExecutionStatus.QUEUED for s in statuses):
        return ExecutionStatus.QUEUED
    if not all(s.is_terminal for s in statuses):
        return ExecutionStatus.RUNNING
    for worst in (ExecutionStatus.ERROR, ExecutionStatus.FAILED, ExecutionStatus.STOPPED):
        if worst in statuses:
            return worst
    return ExecutionStatus.PASSED


class RecordStatus(StrEnum):
    PASSED = "PASSED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"
    INFO = "INFO"
    ERROR = "ERROR"
    # a manual step's outcome beyond passed and failed
    NOT_RUN = "NOT_RUN"
    BLOCKED = "BLOCKED"
    UNDETERMINED = "UNDETERMINED"


@dataclass(frozen=True)
class Outcome:
    """What a runner reports at the end of one attempt."""

    status: ExecutionStatus
    reason: str = ""


@dataclass(eq=False)
class Execution:
    id: str
    workspace_id: str
    test_case_id: str
    test_case_version: int
    kind: str
    status: ExecutionStatus
    queued_at: datetime
    created_by: str
    batch_id: str = ""
    max_attempts: int = 1
    attempt: int = 1
    flaky: bool = False
    plan_run_id: str | None = None
    assignment_id: str | None = None
    run_by: str | None = None  # whose manual run it is, when not its creator's (None: the creator's)
    suite_id: str | None = None
    machine: str | None = None
    data_set_name: str | None = None
    variables: dict[str, Any] | None = None
    environment_id: str | None = None
    client_token: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    deadline_at: datetime | None = None
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    stop_requested: bool = False
    reason: str = ""
    recoveries: int = 0  # workers lost while running it: bounded by the server's max_recoveries
    interruptions: int = 0  # runs cut short (shutdown or lost worker) and started again
    records_total: int = 0
    records_passed: int = 0
    records_failed: int = 0
    override_status: ExecutionStatus | None = None
    override_comment: str = ""
    overridden_by: str | None = None
    overridden_at: datetime | None = None
    actual_duration: str | None = None
    field_values: dict[str, Any] | None = None
    widget_values: dict[str, Any] | None = None
    scoreboard: dict[str, Any] | None = None
    requires: dict[str, str] = field(default_factory=dict)  # labels its worker must have
    requirement_key: str = ""  # the same, as a claim compares it (domain/requirements.py)
    waiting_for: str | None = None  # while queued: why no live worker can take it

    @property
    def effective_status(self) -> ExecutionStatus:
        return effective_status(self.status, self.override_status)

    def override(self, status: ExecutionStatus, comment: str, by: str, now: datetime) -> None:
        """A person judges a finished execution differently (a known issue, a flaky check).
        The recorded status and records stay; reports count the override."""
        if not self.status.is_terminal:
            raise IllegalTransition(f"execution {self.id} has not finished; override it when it has")
        if not status.is_terminal:
            raise IllegalTransition(f"an override must be a final status, not {status.value}")
        self.override_status, self.override_comment = status, comment
        self.overridden_by, self.overridden_at = by, now

    def begin_manual(self, now: datetime) -> None:
        """A manual execution is in progress from the start, waiting for a person: no lease,
        no deadline; it ends when its steps say so."""
        self._require(ExecutionStatus.QUEUED, "begin")
        self.status = ExecutionStatus.RUNNING
        self.started_at = now

    def finish_manual(self, outcome: Outcome, now: datetime) -> None:
        self._require(ExecutionStatus.RUNNING, "complete")
        self.status, self.reason = outcome.status, outcome.reason
        self.finished_at = now

    def start(self, owner: str, now: datetime, lease: timedelta, max_duration: timedelta) -> None:
        self._require(ExecutionStatus.QUEUED, "start")
        self.status = ExecutionStatus.RUNNING
        self.started_at = self.started_at or now
        self.deadline_at = now + max_duration
        self.lease_owner = owner
        self.lease_expires_at = now + lease

    def renew_lease(self, owner: str, now: datetime, lease: timedelta) -> bool:
        """Extend the lease; False when the lease is no longer this owner's."""
        if self.status != ExecutionStatus.RUNNING or self.lease_owner != owner:
            return False
        self.lease_expires_at = now + lease
        return True

    def next_attempt(self) -> None:
        """A failed attempt is tried again; its records stay, tagged with their attempt."""
        self._require(ExecutionStatus.RUNNING, "retry")
        if self.attempt >= self.max_attempts:
            raise IllegalTransition(f"execution {self.id} has used all {self.max_attempts} attempts")
        self.attempt += 1

    def finish(self, outcome: Outcome, now: datetime) -> None:
        self._require(ExecutionStatus.RUNNING, "finish")
        self.status = outcome.status
        self.reason = outcome.reason
        if outcome.status == ExecutionStatus.PASSED and self.attempt > 1:
            self.flaky = True
        self._release(now)

    def request_stop(self, now: datetime) -> None:
        """Stop is cooperative: a queued execution stops at once, a running one at its next check."""
        if self.status == ExecutionStatus.QUEUED:
            self.status = ExecutionStatus.STOPPED
            self.reason = "stopped before it started"
            self._release(now)
        elif self.status == ExecutionStatus.RUNNING:
            self.stop_requested = True
        else:
            raise IllegalTransition(f"execution {self.id} has already finished ({self.status.value})")

    def interrupt(self, now: datetime, max_recoveries: int, *, worker_lost: bool) -> bool:
        """Its run was cut short: the worker died (`worker_lost`) or shut down cleanly. That is
        not a retry: queue the same attempt again, to run from its start. A lost worker counts
        against `max_recoveries` (a clean shutdown does not); once they run out it ends ERROR,
        and a stop that was asked for ends it STOPPED.

        Returns True when it was queued again.
        """
        self._require(ExecutionStatus.RUNNING, "recover")
        if self.stop_requested:
            self.status = ExecutionStatus.STOPPED
            self.reason = "stopped; its run was cut short before it could stop"
            self._release(now)
            return False
        if worker_lost and self.recoveries >= max_recoveries:
            self.status = ExecutionStatus.ERROR
            self.reason = f"its worker was lost {self.recoveries + 1} times; giving up"
            self._release(now)
            return False
        self.recoveries += 1 if worker_lost else 0
        self.interruptions += 1
        self.status = ExecutionStatus.QUEUED
        self.lease_owner = None
        self.lease_expires_at = None
        self.deadline_at = None
        return True

    def _release(self, now: datetime) -> None:
        self.finished_at = now
        self.lease_owner = None
        self.lease_expires_at = None

    def _require(self, status: ExecutionStatus, action: str) -> None:
        if self.status != status:
            raise IllegalTransition(f"cannot {action} execution {self.id}: it is {self.status.value}")
