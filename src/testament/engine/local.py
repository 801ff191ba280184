"""The local executor: a pool of worker threads in the server's own process.

Each worker loops: claim the oldest runnable execution, run it, repeat; when there is
nothing to claim it sleeps until an ExecutionQueued event or its poll interval. A
reaper thread recovers executions whose worker died (expired lease, or a dead process
on this host) — once at start-up, then every few seconds.
"""

import logging
import threading
from typing import Any

from testament.engine import queue
from testament.engine.worker import SHUTTING_DOWN, STOPPED, EngineRunContext, run_job
from testament.services.context import AppContext
from testament.services.events import ExecutionFinished, ExecutionQueued, ExecutionStopRequested

__all__ = ["LocalExecutor"]

log = logging.getLogger(__name__)


class LocalExecutor:
    def __init__(self, app: AppContext) -> None:
        self._app = app
        self._owner = queue.make_owner()
        self._wake = threading.Condition()
        self._pending = 0
        self._closing = threading.Event()
        self._threads: list[threading.Thread] = []
        self._running: dict[str, EngineRunContext] = {}
        self._unsubscribe: list[Any] = []

    @property
    def owner(self) -> str:
        return self._owner

    def start(self) -> None:
        queue.recover_lost(self._app)
        bus = self._app.bus
        self._unsubscribe = [
            bus.subscribe(ExecutionQueued, self._on_queued),
            bus.subscribe(ExecutionFinished, self._on_queued),  # a slot may have freed up
            bus.subscribe(ExecutionStopRequested, self._on_stop_requested),
        ]
        for i in range(self._app.settings.workers):
            thread = threading.Thread(target=self._work, name=f"testament-worker-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)
        reaper = threading.Thread(target=self._reap, name="testament-reaper", daemon=True)
        reaper.start()
        self._threads.append(reaper)

    def shutdown(self, wait_s: float = 10.0) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._closing.set()
        for ctx in list(self._running.values()):
            ctx.cancel(SHUTTING_DOWN)
        with self._wake:
            self._wake.notify_all()
        for thread in self._threads:
            thread.join(timeout=wait_s / max(1, len(self._threads)))

    def _on_queued(self, _event: Any) -> None:
        with self._wake:
            self._pending += 1
            self._wake.notify()

    def _on_stop_requested(self, event: ExecutionStopRequested) -> None:
        ctx = self._running.get(event.execution_id)
        if ctx is not None:
            ctx.cancel(STOPPED)

    def _work(self) -> None:
        while not self._closing.is_set():
            try:
                job = queue.claim_next(self._app, self._owner)
            except Exception:
                log.exception("claiming work failed; retrying")
                job = None
            if job is None:
                self._idle()
                continue
            if self._closing.is_set():  # claimed just as the server began to shut down
                queue.release_interrupted(self._app, job.execution.id, self._owner, SHUTTING_DOWN)
                return
            run_job(self._app, job, self._owner, self._running)

    def _idle(self) -> None:
        with self._wake:
            if self._pending == 0:
                self._wake.wait(timeout=self._app.settings.poll_s)
            self._pending = max(0, self._pending - 1)

    def _reap(self) -> None:
        interval = max(0.5, min(self._app.settings.lease_s / 3, 10.0))
        while not self._closing.wait(interval):
            try:
                queue.recover_lost(self._app)
            except Exception:
                log.exception("recovering lost executions failed")
