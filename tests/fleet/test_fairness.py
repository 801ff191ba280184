"""Fair shares across worker processes on hosts of their own: a workspace's backlog does not hold
up another workspace's single execution, and a workspace's running cap holds across processes.

Two `testament worker --concurrency 4` (tst-w1, tst-w2: 8 runs at once in all), each workspace's
running cap 6 (so one workspace alone fills 6 of the 8: more than one process can hold, fewer
than both can). Workspaces A and C queue backlogs of 1-second executions; once every worker slot
is busy, B starts one execution."""

import threading
import time
from collections import Counter
from datetime import datetime
from typing import Any

import psycopg

from tests.conftest import wait_finished, wait_for
from tests.fleet.conftest import Fleet
from tests.fleet.test_fleet import _libpq, _slow_case, _start

CAP = 6  # each workspace's running cap (TESTAMENT_MAX_RUNNING_EXECUTIONS), read by the workers
CAPACITY = 8  # two workers, 4 at once each
A_BACKLOG, C_BACKLOG = 80, 40  # within the default queued cap (100 per workspace)
STEPS, STEP_MS = 2, 500  # an execution of about 1 s against the test target


class _Sampler:
    """Running executions per test case (one case per workspace here), read from the database
    every 20 ms on a thread of its own while the backlogs drain."""

    def __init__(self, database_url: str) -> None:
        self.url = _libpq(database_url)
        self.peak: Counter[str] = Counter()
        self.peak_total = 0
        self.samples = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        query = "SELECT test_case_id, count(*) FROM executions WHERE status = 'RUNNING' GROUP BY 1"
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.done.is_set():
                running = {str(case): int(n) for case, n in conn.execute(query).fetchall()}
                for case, n in running.items():
                    self.peak[case] = max(self.peak[case], n)
                self.peak_total = max(self.peak_total, sum(running.values()))
                self.samples += 1
                time.sleep(0.02)

    def __enter__(self) -> "_Sampler":
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.done.set()
        self.thread.join(10)


def _count(fleet: Fleet, where: str, args: tuple[Any, ...] = ()) -> int:
    with psycopg.connect(_libpq(fleet.database_url)) as conn:
        row = conn.execute(f"SELECT count(*) FROM executions WHERE {where}", args).fetchone()
    return 0 if row is None else int(row[0])


def _at(execution: dict[str, Any], key: str) -> datetime:
    return datetime.fromisoformat(str(execution[key]))


def test_a_backlog_does_not_hold_up_another_workspace_and_caps_hold_across_processes(fleet: Fleet) -> None:
    fleet.env["TESTAMENT_MAX_RUNNING_EXECUTIONS"] = str(CAP)  # the workers started below read it
    fleet.worker("tst-w1")
    fleet.worker("tst-w2")
    with fleet.api("fair-a") as a, fleet.api("fair-b") as b, fleet.api("fair-c") as c:
        cases = {
            name: _slow_case(api, fleet, steps=STEPS, ms=STEP_MS)
            for name, api in (("a", a), ("b", b), ("c", c))
        }
        with _Sampler(fleet.database_url) as sampler:
            a_ids = [_start(a, cases["a"]) for _ in range(A_BACKLOG)]
            # A alone: its cap, not the workers' 8, limits it (one worker holds only 4 of its runs)
            wait_for(lambda: sampler.peak[cases["a"]] >= CAP, timeout_s=30)
            c_ids = [_start(c, cases["c"]) for _ in range(C_BACKLOG)]
            wait_for(lambda: _count(fleet, "status = 'RUNNING'") == CAPACITY, timeout_s=30)
            ahead = _count(fleet, "status = 'QUEUED'")  # what FIFO would run before B's execution
            b_id = _start(b, cases["b"])
            single = wait_finished(b, b_id, timeout_s=60)
            assert single["status"] == "PASSED", single
            finished_a = [wait_finished(a, e, timeout_s=180) for e in a_ids]
            finished_c = [wait_finished(c, e, timeout_s=180) for e in c_ids]

    assert [e["status"] for e in finished_a + finished_c] == ["PASSED"] * (A_BACKLOG + C_BACKLOG)
    # The cap held across the two processes: A reached its cap (more than one worker's 4, so both
    # ran its executions) and never passed it; nor did C; nor the fleet its 8.
    assert sampler.samples > 100, sampler.samples
    assert sampler.peak[cases["a"]] == CAP, sampler.peak
    assert sampler.peak[cases["c"]] <= CAP, sampler.peak
    assert sampler.peak_total <= CAPACITY, sampler.peak_total

    # Fairness. One execution's duration D: the longest of A's and C's runs (as loaded as B's).
    durations = [
        (_at(e, "finished_at") - _at(e, "started_at")).total_seconds() for e in finished_a + finished_c
    ]
    duration_s = max(durations)
    waited_s = (_at(single, "started_at") - _at(single, "queued_at")).total_seconds()
    # With every slot busy, B's execution is the first claimed once any slot frees (B runs none,
    # A and C at least one each: fewest running first), and a slot frees within D. A FIFO queue
    # would run the `ahead` queued ones first: 8 at a time, about ahead / 8 x D later. The bound
    # is D plus 2 s of slack for a loaded 2-core machine (a claim, a wake-up, a busy API); the
    # check below shows that FIFO would break it by a wide margin (here ~110 queued: ~14 x D).
    bound_s = duration_s + 2.0
    fifo_s = ahead / CAPACITY * min(durations)
    print(f"B waited {waited_s:.2f} s, bound {bound_s:.2f} s, FIFO ~{fifo_s:.1f} s ({ahead} queued ahead)")
    assert ahead >= 5 * CAPACITY, ahead  # the backlog was there when B started
    assert bound_s < fifo_s / 2, (bound_s, fifo_s)  # the bound tells fair from FIFO
    assert waited_s <= bound_s, (waited_s, bound_s, ahead)
    # ... and B's execution did not wait for the backlogs: most of them started after it.
    started_after = [e for e in finished_a + finished_c if _at(e, "started_at") > _at(single, "started_at")]
    assert len(started_after) >= ahead // 2, (len(started_after), ahead)
