"""The local executor: a pool of worker threads in the server's own process.

Each worker loops: claim the next runnable execution (engine/queue.py says which), run it,
repeat; when there is nothing to claim it sleeps until an ExecutionQueued event, on PostgreSQL a
NOTIFY from any process (engine/listen.py), or its poll interval. A stop requested through any
process reaches a run here the same ways (and through the lease renewal, at the latest). A
reaper thread recovers executions whose worker died (expired lease, or a dead process
on this host) — once at start-up, then every few seconds.

The same pool runs in the server (every kind, `workers` threads) and in a `testament worker`
process (its `--concurrency` and `--kinds`). Shutting down stops claiming at once; running
executions may finish for a grace period, then are cut short and handed back to the queue as
interrupted attempts.
"""

import logging
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from testament.engine import queue, routing
from testament.engine.listen import Doorbell, Listener
from testament.engine.queue import LeaseLost
from testament.engine.worker import SHUTTING_DOWN, STOPPED, EngineRunContext, Leases, run_job
from testament.services import workers
from testament.services.context import AppContext
from testament.services.events import ExecutionFinished, ExecutionQueued, ExecutionStopRequested

__all__ = ["LocalExecutor"]

log = logging.getLogger(__name__)


class LocalExecutor:
    def __init__(
        self,
        app: AppContext,
        *,
        concurrency: int | None = None,
        kinds: Iterable[str] | None = None,
        labels: Mapping[str, str] | None = None,
        doorbell: Path | None = None,
    ) -> None:
        """`doorbell`: on SQLite, the folder whose socket other processes ring (services/wakeups.py)."""
        self._app = app
        self._concurrency = concurrency or app.settings.workers
        self._kinds = frozenset(kinds) if kinds is not None else None  # None: every kind
        self._labels = dict(labels or {})  # the server's own pool has none
        self._owner = queue.make_owner()
        self._wake = threading.Condition()
        self._pending = 0
        self._closing = threading.Event()
        self._threads: list[threading.Thread] = []
        self._claimers: frozenset[threading.Thread] = frozenset()  # the threads that claim and run
        self._running: dict[str, EngineRunContext] = {}
        self._unsubscribe: list[Any] = []
        self._listener: Listener | Doorbell | None = None
        self._doorbell = doorbell
        self._leases = Leases(app, self._owner)

    @property
    def owner(self) -> str:
        return self._owner

    def start(self) -> None:
        queue.recover_lost(self._app)
        bus = self._app.bus
        self._unsubscribe = [
            bus.subscribe(ExecutionQueued, self._on_queued),
            bus.subscribe(ExecutionFinished, self._on_finished),  # a slot may have freed up
            bus.subscribe(ExecutionStopRequested, self._on_stop_requested),
        ]
        if not self._app.db.is_sqlite:
            self._listener = Listener(
                self._app.db.url,
                on_claimable=self._wake_up,
                on_stop=self._stop_running,
                on_reconnect=lambda: self._wake_up(self._concurrency),
            )
            self._listener.start()
        elif self._doorbell is not None:
            self._listener = Doorbell(self._doorbell, on_claimable=self._wake_up, on_stop=self._stop_running)
            self._listener.start()
        self._leases.start()
        claimers = [
            threading.Thread(target=self._work, name=f"testament-worker-{i}", daemon=True)
            for i in range(self._concurrency)
        ]
        self._claimers = frozenset(claimers)
        for thread in claimers:
            thread.start()
            self._threads.append(thread)
        reaper = threading.Thread(target=self._reap, name="testament-reaper", daemon=True)
        reaper.start()
        self._threads.append(reaper)

    def shutdown(self, wait_s: float = 10.0, grace_s: float = 0.0) -> None:
        """Stop claiming; let running executions finish for `grace_s`; then cut them short (a
        runner notices between steps) and give them `wait_s` to hand themselves back. One still
        running after that is handed back here: its late writes are refused (the lease is gone)."""
        self.stop_claiming()
        _join(self._threads, time.monotonic() + grace_s)  # a worker thread ends when its run does
        for ctx in list(self._running.values()):
            ctx.cancel(SHUTTING_DOWN)
        _join(self._threads, time.monotonic() + wait_s)
        self._hand_back_unfinished()
        # only now: a stop request must reach a run during the grace, and closing the listener
        # waits out its poll (up to a second) that would otherwise delay the cut
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        if self._listener is not None:
            self._listener.close()
        self._leases.close()

    def stop_claiming(self) -> None:
        """Claim nothing more, at once: a wake-up heard while shutting down (another worker
        handing its runs back) must not start a run here only to hand it back too."""
        self._closing.set()
        with self._wake:
            self._wake.notify_all()

    def _hand_back_unfinished(self) -> None:
        for execution_id, ctx in list(self._running.items()):
            try:
                queue.release_interrupted(
                    self._app,
                    execution_id,
                    self._owner,
                    f"attempt {ctx.attempt} was cut short: {SHUTTING_DOWN}",
                )
            except LeaseLost:
                pass  # it ended, or handed itself back, meanwhile
            except Exception:
                log.exception("could not hand %s back; recovery will once its lease runs out", execution_id)

    def _on_queued(self, _event: Any) -> None:
        self._wake_up(1)

    def _on_finished(self, event: ExecutionFinished) -> None:
        """A run of this pool that ends is followed by its thread's own claim: waking another
        thread as well would only add a claim that finds nothing. An end elsewhere in this
        process (a stop, a manual run) may have freed a slot of a capped workspace for an idle
        thread."""
        if event.frees_capacity and threading.current_thread() not in self._claimers:
            self._wake_up(1)

    def _wake_up(self, claims: int) -> None:
        """Up to `claims` idle workers look for work. More wake-ups than workers would only
        make empty claims later: a worker that finds work keeps claiming until it finds none."""
        with self._wake:
            self._pending = min(self._pending + claims, self._concurrency)
            self._wake.notify(claims)

    def _on_stop_requested(self, event: ExecutionStopRequested) -> None:
        self._stop_running(event.execution_id)

    def _stop_running(self, execution_id: str) -> None:
        ctx = self._running.get(execution_id)
        if ctx is not None:
            ctx.cancel(STOPPED)

    def _work(self) -> None:
        while not self._closing.is_set():
            try:
                job = queue.claim_next(self._app, self._owner, self._kinds, self._labels)
            except Exception:
                log.exception("claiming work failed; retrying")
                job = None
            if job is None:
                self._idle()
                continue
            if self._closing.is_set():  # claimed just as the server began to shut down
                queue.release_interrupted(self._app, job.execution.id, self._owner, SHUTTING_DOWN)
                return
            run_job(self._app, job, self._owner, self._running, self._leases)

    def _idle(self) -> None:
        with self._wake:
            if self._pending == 0:
                self._wake.wait(timeout=self._app.settings.poll_s)
            self._pending = max(0, self._pending - 1)

    def _reap(self) -> None:
        # often enough that a dead worker's executions are taken up soon after its death is known
        settings = self._app.settings
        interval = max(0.2, min(settings.lease_s / 3, workers.dead_after_s(settings) / 3, 10.0))
        while not self._closing.wait(interval):
            try:
                queue.recover_lost(self._app)
            except Exception:
                log.exception("recovering lost executions failed")
            try:  # this pool counts as a live worker, registered or not (the server's own)
                routing.note_waiting(self._app, routing.Capability(self._kinds, self._labels))
            except Exception:
                log.exception("noting executions no worker can take failed")


def _join(threads: list[threading.Thread], deadline: float) -> None:
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
