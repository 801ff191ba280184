"""`testament serve`'s worker processes: `testament worker` children, started after the API's
context (so migrations ran once, before them) and stopped with it.

They stop with the server however it ends: on a clean shutdown the server sends each SIGTERM (a
worker drains: it claims nothing more and its running executions have the drain grace to
finish) and waits for them; should the server die without running any code (SIGKILL, a crash),
Linux sends each child SIGTERM itself (`prctl(PR_SET_PDEATHSIG)`, set in the child before it
runs), so the same drain follows. A pipe each child watches would do elsewhere; on other systems
the children outlive a killed server and stop on their own SIGTERM.
"""

import contextlib
import ctypes
import math
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

__all__ = ["WORKER_LOG_LEVELS", "WorkerChildren", "concurrency_per_child"]

PR_SET_PDEATHSIG = 1  # linux/prctl.h
WORKER_LOG_LEVELS = ("debug", "info", "warning", "error")
STRAGGLER_S = 15.0  # beyond the grace: a worker's hand-back of cut-short runs


def concurrency_per_child(total: int, children: int) -> int:
    """Each child's `--concurrency`: the total (`TESTAMENT_WORKERS`, the in-process pool's size
    before serve had children) shared out, rounded up, at least 1."""
    return max(1, math.ceil(total / children))


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec function asking Linux to SIGTERM the child when the server dies; None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)  # loaded before the fork: the child only calls it
    parent = os.getpid()

    def preexec() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the server died before prctl took effect
            os._exit(1)

    return preexec


class WorkerChildren:
    def __init__(
        self,
        count: int,
        concurrency: int,
        *,
        grace_s: float,
        data_dir: Path,
        public_url: str,
        log_level: str,
    ) -> None:
        self.count, self.concurrency, self._grace_s = count, concurrency, grace_s
        self._command = [
            sys.executable,
            "-m",
            "testament.cli.main",
            "worker",
            "--concurrency",
            str(concurrency),
            "--grace",
            f"{grace_s:g}",
            "--log-level",
            log_level if log_level in WORKER_LOG_LEVELS else "warning",
            "--data-dir",
            str(data_dir),
        ]
        self._env = {**os.environ, "TESTAMENT_PUBLIC_URL": public_url}  # what executions see
        self._processes: list[subprocess.Popen[bytes]] = []

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._processes]

    def start(self) -> None:
        preexec = _die_with_parent()
        for _ in range(self.count):  # before the server starts a thread: preexec is safe then
            self._processes.append(subprocess.Popen(self._command, env=self._env, preexec_fn=preexec))

    def terminate(self) -> None:
        """SIGTERM each: they stop claiming and drain, together."""
        for process in self._processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGTERM)

    def stop(self) -> None:
        """SIGTERM each, wait out the grace, then SIGKILL any left."""
        self.terminate()
        for process in self._processes:
            try:
                process.wait(self._grace_s + STRAGGLER_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
