"""A worker process (`testament worker`): a local pool that claims only the kinds it was given,
registered in the fleet (services/workers.py) with a heartbeat of its own, and drained when told.

The registration heartbeat is separate from the executions' lease renewals: it says the process
is alive (and whether it still claims), even when it runs nothing, and beats often enough that
its death is known within seconds (services/workers.py): its executions are then taken up by
another worker without waiting for their leases to run out.

A worker process runs at a lower CPU priority (the `worker_niceness` setting, 10 by default):
where it shares a machine with the API (`testament serve` starts both) or with PostgreSQL, a
drain of thousands of executions keeps every core busy, and the API's answers would otherwise
wait their turn behind the runs (a start took 28 ms instead of 13 during such a drain on 2
cores). Alone on its machine it loses nothing.
"""

import logging
import os
import socket
import threading
from collections.abc import Iterable, Mapping

from testament import __version__
from testament.engine.local import LocalExecutor
from testament.runners import KINDS
from testament.services import wakeups, workers
from testament.services.context import AppContext

__all__ = ["WorkerProcess", "check_kinds"]

log = logging.getLogger(__name__)


def check_kinds(kinds: Iterable[str]) -> tuple[str, ...]:
    """The kinds, each one this process has a runner for; ValueError names any other."""
    chosen = tuple(dict.fromkeys(kinds))
    if not chosen:
        raise ValueError("no kinds: name at least one")
    if unknown := [kind for kind in chosen if kind not in KINDS]:
        raise ValueError(f"no runner for {', '.join(unknown)}: a worker runs {', '.join(KINDS)}")
    return chosen


class WorkerProcess:
    def __init__(
        self, app: AppContext, *, concurrency: int, kinds: Iterable[str], labels: Mapping[str, str]
    ) -> None:
        self._app = app
        chosen = check_kinds(kinds)
        self._executor = LocalExecutor(
            app,
            concurrency=concurrency,
            kinds=chosen,
            labels=labels,
            doorbell=wakeups.doorbell_dir(app.settings.database_url),
        )
        self.registration = workers.Registration(
            owner=self._executor.owner,
            host=socket.gethostname(),
            pid=os.getpid(),
            kinds=chosen,
            labels=dict(labels),
            concurrency=concurrency,
            version=__version__,
        )
        self.id = ""
        self._state = "running"
        self._stopping = threading.Event()
        self._heartbeat = threading.Thread(target=self._beat, name="testament-worker-heartbeat", daemon=True)

    def start(self) -> None:
        """Join the fleet, then begin claiming (recovering first what dead workers left)."""
        _lower_priority(
            self._app.settings.worker_niceness
        )  # before the executor's threads start: they inherit it
        self.id = workers.register(self._app, self.registration)
        self._executor.start()
        self._heartbeat.start()

    def drain(self, grace_s: float, wait_s: float = 10.0) -> None:
        """Stop claiming; let running executions finish for `grace_s`, then hand the rest back
        as interrupted attempts; leave the fleet."""
        self._state = "draining"
        self._executor.stop_claiming()
        self._beat_once()  # the fleet sees at once that this worker takes nothing more
        self._executor.shutdown(wait_s=wait_s, grace_s=grace_s)
        self._stopping.set()
        self._heartbeat.join(timeout=wait_s)
        workers.sign_off(self._app, self.id)

    def _beat(self) -> None:
        while not self._stopping.wait(workers.beat_s(self._app.settings)):
            self._beat_once()

    def _beat_once(self) -> None:
        try:
            workers.heartbeat(self._app, self.id, self._state)
        except Exception:  # a busy or unreachable database must not end the worker; the next beat retries
            log.exception("the worker's heartbeat failed")


def _lower_priority(niceness: int) -> None:
    """Take `niceness` for this thread and the threads it starts from now on (Linux gives each
    thread its own), unless it is already at least that nice."""
    try:
        current = os.getpriority(os.PRIO_PROCESS, 0)
        if current < niceness:
            os.nice(niceness - current)
    except OSError as exc:  # a platform or sandbox without it: run at the priority given
        log.warning("could not lower the worker's CPU priority: %s", exc)
