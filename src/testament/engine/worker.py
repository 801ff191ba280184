"""Run one claimed execution: the runner, its attempts, heartbeats, stop and timeout.

The same function serves every executor: the local thread pool calls it, and a Celery
task would call it with the execution id it was given.

Secrets: whatever any runner records, keeps as a text artifact or gives as its reason passes
through the execution's `Masker` (`domain/masking.py`) here, so no runner can forget to mask;
a runner masks too where it must do so first (the http runner, before it cuts a body).
"""

import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from cryptography.fernet import InvalidToken

from testament.domain.execution import ExecutionStatus, Outcome, RecordStatus
from testament.domain.masking import Masker, is_sealed
from testament.engine import queue
from testament.engine.queue import Job, LeaseLost
from testament.kit.clock import as_utc
from testament.runners import runner_for
from testament.runners.base import ResourceView
from testament.services.context import AppContext
from testament.services.executions import SECRET
from testament.services.resources import find_resource

__all__ = ["EngineRunContext", "Leases", "run_job"]

log = logging.getLogger(__name__)

STOPPED = "stopped by request"
TIMED_OUT = "timed out"
SHUTTING_DOWN = "the server is shutting down"


class EngineRunContext:
    """The RunContext a runner sees; it writes through the queue module under this worker's lease."""

    def __init__(self, app: AppContext, job: Job, owner: str) -> None:
        execution = job.execution
        self._app = app
        self._owner = owner
        self.execution_id = execution.id
        self.workspace_id = execution.workspace_id
        self.attempt = execution.attempt
        revealed, self.secret_names, self.unreadable_secrets = _reveal(app, execution.variables or {})
        self.variables = {**_built_in_variables(app, job.content), **revealed}
        self.masker = _masker(job, self)
        assert execution.deadline_at is not None
        self._deadline = as_utc(execution.deadline_at).timestamp()
        self._cancel_reason: str | None = None
        self.lease_lost = False
        # The last record is held back until the run's next write (or LINGER_S): a run's last
        # one then goes with its end, one write transaction fewer per run.
        self._pending: queue.PendingRecord | None = None
        self._records = execution.records_total  # written so far: only this lease holder writes
        self._attempt_began = execution.records_total  # records before this attempt's
        self._job = job
        self._writing = threading.Lock()
        self.on_pending: Callable[[EngineRunContext], None] | None = None  # see Leases.linger

    @property
    def cancelled(self) -> str | None:
        """The runner asks between steps: what it recorded is written first, so readers see a
        step's record before the next step begins."""
        self.write_pending()
        return self.ending

    @property
    def ending(self) -> str | None:
        """Why the run must end, as the engine asks (writing nothing)."""
        if self._cancel_reason is None and time.time() >= self._deadline:
            self._cancel_reason = TIMED_OUT
        return self._cancel_reason

    def cancel(self, reason: str) -> None:
        self._cancel_reason = self._cancel_reason or reason

    def remaining_s(self) -> float:
        return max(0.0, self._deadline - time.time())

    def record(self, observation_id: str, status: RecordStatus, record: dict[str, Any]) -> int:
        masked: dict[str, Any] = self.masker.value(record)
        with self._writing:
            self._write_pending()
            self._pending = queue.PendingRecord(observation_id, status, masked, self._app.clock())
            self._records += 1
            seq = self._records
        if self.on_pending is not None:
            self.on_pending(self)
        return seq

    def write_pending(self) -> None:
        """Write the record held back, if there is one. Raises LeaseLost."""
        with self._writing:
            self._write_pending()

    def _write_pending(self) -> None:
        if (pending := self._pending) is None:
            return
        self._pending = None
        self._records = queue.append_record(
            self._app,
            self.execution_id,
            self._owner,
            pending.observation_id,
            pending.status,
            pending.record,
            at=pending.at,
        )

    def begin_next_attempt(self, reason: str) -> None:
        """Record why this attempt failed and begin the next (after what it recorded)."""
        with self._writing:
            self._write_pending()
            self.attempt = queue.next_attempt(self._app, self.execution_id, self._owner, reason)
            self._records += 1  # the retry's own record, the failed attempt's last
            self._attempt_began = self._records

    def take_pending(self) -> "queue.PendingRecord | None":
        """The record held back, for the end to write (no one else writes it then)."""
        return self.for_the_end()[0]

    def for_the_end(self) -> tuple["queue.PendingRecord | None", queue.Known]:
        """The record held back, for the end to write, and what the end need not read."""
        with self._writing:
            pending, self._pending = self._pending, None
            stored = self._records - (1 if pending is not None else 0)
            known = queue.Known(
                self._job.execution, self.attempt, stored, stored - self._attempt_began, self._job.in_instance
            )
            return pending, known

    def add_artifact(self, name: str, data: bytes, media_type: str, record_seq: int | None = None) -> str:
        self.write_pending()
        return queue.add_artifact(
            self._app, self.execution_id, self._owner, name, self._masked_bytes(data), media_type, record_seq
        )

    def _masked_bytes(self, data: bytes) -> bytes:
        """A text artifact is masked; a binary one (not UTF-8) is kept as it is."""
        try:
            return self.masker.text(data.decode()).encode()
        except UnicodeDecodeError:
            return data

    def resource(self, kind: str, reference: str) -> ResourceView | None:
        self.write_pending()
        found = find_resource(self._app, self.workspace_id, kind, reference)
        return ResourceView(found.id, found.kind, found.name, dict(found.body)) if found else None


def _reveal(app: AppContext, variables: dict[str, Any]) -> tuple[dict[str, Any], frozenset[str], list[str]]:
    """Decrypt the secrets in an execution's variables; their names go to the runner for masking.
    A secret this deployment's key cannot decrypt (kept under another key, or a start-time value
    shaped like one) is left out, never handed on as its ciphertext, and named in the third part."""
    plain, secret, unreadable = {}, set(), []
    for name, value in variables.items():
        if is_sealed(value):
            try:
                plain[name] = app.secret_box.decrypt(str(value[SECRET]).encode()).decode()
                secret.add(name)
            except InvalidToken:
                unreadable.append(name)
            continue
        plain[name] = value
    return plain, frozenset(secret), unreadable


SERVER_URL = "testament_url"


def _built_in_variables(app: AppContext, content: Any) -> dict[str, Any]:
    """Variables every execution has, under all others: the content's own variables, then the
    environment, the data set and start-time ones override them (so a content that names one
    keeps its value)."""
    built_in = {SERVER_URL: app.settings.public_url.rstrip("/")} if app.settings.public_url else {}
    defaults = content.get("variables") if isinstance(content, dict) else None
    return {name: value for name, value in built_in.items() if name not in (defaults or {})}


# Unable to renew for this share of the lease, a worker stops its run itself: before the lease
# runs out and recovery hands the execution to another worker, never at the same time as it.
GIVE_UP_SHARE = 0.75
LINGER_S = 0.1  # a record held back is written by then at the latest


class Leases(threading.Thread):
    """Renews the leases of a pool's running executions, one thread for all of them, and relays
    stop requests and deadlines to their run contexts. Each lease is renewed `heartbeat_s` after
    its run began or was last renewed."""

    def __init__(self, app: AppContext, owner: str) -> None:
        super().__init__(name="testament-leases", daemon=True)
        self._app, self._owner = app, owner
        self._due: dict[str, tuple[EngineRunContext, float, float]] = {}  # id: (ctx, due, renewed)
        self._lingering: dict[str, tuple[EngineRunContext, float]] = {}  # id: (ctx, write it by)
        self._changed = threading.Condition()
        self._closing = False

    def hold(self, ctx: EngineRunContext) -> None:
        """Keep renewing the lease of `ctx`'s execution (the claim took it just before)."""
        now = time.monotonic()
        ctx.on_pending = self.linger
        with self._changed:
            self._due[ctx.execution_id] = (ctx, now + self._app.settings.heartbeat_s, now)
            self._changed.notify()

    def linger(self, ctx: EngineRunContext) -> None:
        """Write `ctx`'s held-back record within LINGER_S, should its run not write first."""
        with self._changed:
            if ctx.execution_id in self._due and ctx.execution_id not in self._lingering:
                self._lingering[ctx.execution_id] = (ctx, time.monotonic() + LINGER_S)
                self._changed.notify()

    def release(self, ctx: EngineRunContext) -> None:
        with self._changed:
            self._due.pop(ctx.execution_id, None)
            self._lingering.pop(ctx.execution_id, None)

    def close(self) -> None:
        with self._changed:
            self._closing = True
            self._changed.notify()

    def run(self) -> None:
        while True:
            with self._changed:
                while not self._closing:
                    now = time.monotonic()
                    due = [(i, ctx, r) for i, (ctx, at, r) in self._due.items() if at <= now]
                    late = [ctx for ctx, at in self._lingering.values() if at <= now]
                    for ctx in late:
                        del self._lingering[ctx.execution_id]
                    if due or late:
                        break
                    times = [at for _c, at, _r in self._due.values()] + [
                        at for _c, at in self._lingering.values()
                    ]
                    self._changed.wait(min(times, default=now + 3600) - now)
                if self._closing:
                    return
            for ctx in late:
                self._write(ctx)
            if due:
                self._renew(due)

    def _write(self, ctx: EngineRunContext) -> None:
        try:
            ctx.write_pending()
        except LeaseLost:
            self._give_up(ctx, "lease lost")
        except Exception:  # its run writes it with its next write, or fails there
            log.exception("writing a record of %s failed", ctx.execution_id)

    def _renew(self, due: list[tuple[str, EngineRunContext, float]]) -> None:
        trying_at = time.monotonic()
        try:
            renewed = queue.renew_leases(
                self._app, [execution_id for execution_id, _c, _r in due], self._owner
            )
        except Exception:  # a busy database must not end the renewals; the leases have slack
            log.exception("renewing the leases of %d executions failed", len(due))
            for _id, ctx, renewed_at in due:
                if time.monotonic() - renewed_at >= GIVE_UP_SHARE * self._app.settings.lease_s:
                    self._give_up(ctx, "lease presumed lost: the database was out of reach")
                else:
                    self._again(ctx, renewed_at)
            return
        for execution_id, ctx, _renewed_at in due:
            if execution_id not in renewed:
                self._give_up(ctx, "lease lost")
                continue
            if renewed[execution_id]:
                ctx.cancel(STOPPED)
            _ = ctx.ending  # notices the deadline
            self._again(ctx, trying_at)  # the lease runs from no later than this

    def _again(self, ctx: EngineRunContext, renewed_at: float) -> None:
        """Renew `ctx`'s lease a heartbeat from now (unless its run was released meanwhile)."""
        with self._changed:
            if ctx.execution_id in self._due:
                self._due[ctx.execution_id] = (
                    ctx,
                    time.monotonic() + self._app.settings.heartbeat_s,
                    renewed_at,
                )

    def _give_up(self, ctx: EngineRunContext, why: str) -> None:
        """Stop the run: its lease is, or is about to be, another worker's to take."""
        log.warning("stopping %s: %s", ctx.execution_id, why)
        self.release(ctx)
        ctx.lease_lost = True
        ctx.cancel("lease lost")


def _run_attempt(job: Job, ctx: EngineRunContext) -> Outcome:
    try:
        runner = runner_for(job.execution.kind)
        outcome = runner.run(job.content, ctx)
        return replace(outcome, reason=ctx.masker.text(outcome.reason))
    except LeaseLost:
        raise
    except Exception as exc:
        masked = ctx.masker.text
        trace = masked(traceback.format_exc(limit=8))[-4000:]  # masked whole: a cut may not split a secret
        log.error("runner for %s raised:\n%s", job.execution.id, trace)
        ctx.record(
            "runner",
            RecordStatus.ERROR,
            {"error": masked(f"{type(exc).__name__}: {exc}"), "traceback": trace},
        )
        return Outcome(ExecutionStatus.ERROR, masked(f"the {job.execution.kind} runner failed: {exc}"))


def _masker(job: Job, ctx: EngineRunContext) -> Masker:
    """Hides secret values in text about a crash (its message, its traceback): the
    environment's secrets and the variables the content declares secret."""
    content: dict[str, Any] = job.content if isinstance(job.content, dict) else {}
    declared = content.get("secrets")
    declared = declared if isinstance(declared, list) else []
    defaults = content.get("variables")
    values = {**(defaults if isinstance(defaults, dict) else {}), **ctx.variables}
    return Masker.of({*ctx.secret_names, *map(str, declared)}, values)


def run_job(
    app: AppContext,
    job: Job,
    owner: str,
    contexts: dict[str, EngineRunContext] | None = None,
    leases: Leases | None = None,
) -> None:
    """Run every attempt of one execution to its end, its lease renewed by `leases` (a pool's;
    None: a renewing thread of its own for this run). Never raises."""
    execution_id = job.execution.id
    ctx = EngineRunContext(app, job, owner)
    if contexts is not None:
        contexts[execution_id] = ctx
    own_leases = leases is None
    if leases is None:
        leases = Leases(app, owner)
        leases.start()
    leases.hold(ctx)
    try:
        _attempts(app, job, ctx, owner)
    except LeaseLost:
        log.warning("execution %s was taken from this worker; abandoning it", execution_id)
    except Exception:
        log.exception("engine failure while running %s", execution_id)
        try:
            queue.finish(
                app,
                execution_id,
                owner,
                Outcome(ExecutionStatus.ERROR, "engine failure"),
                {"event": "engine_error", "error": traceback.format_exc(limit=5)[-4000:]},
                ctx.take_pending(),
            )
        except Exception:
            log.exception("could not mark %s ERROR; recovery will", execution_id)
    finally:
        leases.release(ctx)
        if own_leases:
            leases.close()
        if contexts is not None:
            contexts.pop(execution_id, None)


def _refuse_unreadable_secrets(app: AppContext, job: Job, names: list[str], owner: str) -> None:
    """End ERROR without running: the run would send something other than the secret (its
    ciphertext, or nothing) and could even pass."""
    which = f"secret {names[0]}" if len(names) == 1 else f"secrets {', '.join(names)}"
    queue.finish(
        app,
        job.execution.id,
        owner,
        Outcome(
            ExecutionStatus.ERROR,
            f"the {which} could not be decrypted with this deployment's key (TESTAMENT_SECRET_KEY): "
            "the execution did not run",
        ),
        {"event": "secret_unreadable", "secrets": names},
    )


def _attempts(app: AppContext, job: Job, ctx: EngineRunContext, owner: str) -> None:
    if ctx.unreadable_secrets:
        _refuse_unreadable_secrets(app, job, ctx.unreadable_secrets, owner)
        return
    while True:
        outcome = _run_attempt(job, ctx)
        reason = ctx.ending
        if reason == STOPPED:
            queue.finish(
                app,
                job.execution.id,
                owner,
                Outcome(ExecutionStatus.STOPPED, STOPPED),
                {"event": "stopped", "attempt": ctx.attempt, "reason": STOPPED},
                ctx.take_pending(),
            )
            return
        if reason == TIMED_OUT:
            limit = app.settings.max_duration_s
            queue.finish(
                app,
                job.execution.id,
                owner,
                Outcome(ExecutionStatus.FAILED, f"exceeded the maximum duration of {limit:g} s"),
                {"event": "timeout", "attempt": ctx.attempt, "max_duration_s": limit},
                ctx.take_pending(),
            )
            return
        if reason == SHUTTING_DOWN and outcome.status == ExecutionStatus.PASSED:
            reason = None  # it finished before the shutdown reached it: keep the result
        if reason == SHUTTING_DOWN:
            ctx.write_pending()  # kept with the run cut short, marked interrupted
            queue.release_interrupted(
                app, job.execution.id, owner, f"attempt {ctx.attempt} was cut short: {reason}"
            )
            return
        if reason is not None:  # the lease was lost: someone else owns it now
            raise LeaseLost(job.execution.id)
        retryable = outcome.status in (ExecutionStatus.FAILED, ExecutionStatus.ERROR)
        if retryable and ctx.attempt < job.execution.max_attempts:
            ctx.begin_next_attempt(outcome.reason)
            continue
        pending, known = ctx.for_the_end()
        queue.finish(app, job.execution.id, owner, outcome, pending=pending, known=known)
        return
