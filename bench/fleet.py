"""Figure 10: wake-up and stop latency across machines: figure 7's measurement with the API and the
worker on hosts of their own (network namespaces, tests/fleet/hosts.py), PostgreSQL reached over
the hosts' links.

`testament serve --no-workers` on host tst-api and one `testament worker --concurrency 2` on host
tst-w1, default settings otherwise (idle workers poll every 1 s, a run renews its lease every
5 s), on a fresh database made in the PostgreSQL server TESTAMENT_BENCH_FLEET_DATABASE_URL names
(it must listen on an address the hosts reach through the root namespace, and trust them, as the
fleet tier's server does: see `.ci/run`). The client runs in the root namespace and reaches the API
over the hosts' bridge; the http test target listens on the bridge's address. One execution at a
time, each while the worker idles:

- start → claimed: a noop execution's `started_at - queued_at` (the API's and the worker's
  clocks: one kernel's clock, as on hosts kept in sync);
- stop → STOPPED: an http execution of 400 steps of 25 ms, stopped once RUNNING, polled every
  5 ms until STOPPED (the client's clock, from just before its POST …/stop).

Needs root (namespaces) and `ip`; without them, or without the variable, it says so and skips.

    sudo TESTAMENT_BENCH_FLEET_DATABASE_URL=postgresql+psycopg://postgres@10.77.0.1:54330/postgres \\
        .venv/bin/python -m bench.run --only fleet
"""

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.fleet.hosts import API_PORT, Network
from tests.target import Target

from bench.client import Api
from bench.server import TESTAMENT, provision, server_env, wait_healthy, wait_joined
from bench.wakeup import (
    STEP_MS,
    STEPS,
    _case,
    _fresh_postgresql_database,
    _start_to_claimed,
    _stop_to_stopped,
    _summary,
)

__all__ = ["FleetConfig", "fleet_md", "measure_fleet"]

VARIABLE = "TESTAMENT_BENCH_FLEET_DATABASE_URL"
STARTUP_S = 40.0


@dataclass(frozen=True)
class FleetConfig:
    starts: int = 100
    stops: int = 50


def skipped_because() -> str | None:
    if not os.environ.get(VARIABLE):
        return f"set {VARIABLE} to a PostgreSQL server the hosts reach (see bench/README.md)"
    if os.geteuid() != 0 or shutil.which("ip") is None:
        return "needs root and `ip` (iproute2) to make the hosts (network namespaces)"
    return None


def measure_fleet(workdir: Path, config: FleetConfig) -> dict[str, Any]:
    if (reason := skipped_because()) is not None:
        return {"skipped": reason}
    results: dict[str, Any] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_before": os.getloadavg()[0],
    }
    with (  # the database is dropped after the hosts are gone
        _fresh_postgresql_database(os.environ[VARIABLE]) as (url, version),
        _hosts(workdir, url) as (api, target_url),
    ):
        noop = _case(api, "noop", {})
        slow = {"url": f"{target_url}/slow?ms={STEP_MS}"}
        http = _case(api, "http", {"steps": [{"name": f"step {i}", "request": slow} for i in range(STEPS)]})
        _start_to_claimed(api, noop)  # a first run warms the worker up
        claimed = [_start_to_claimed(api, noop) for _ in range(config.starts)]
        stopped = [_stop_to_stopped(api, http) for _ in range(config.stops)]
    results.update(
        start_to_claimed_ms=_summary(claimed),
        stop_to_stopped_ms=_summary(stopped),
        database=f"PostgreSQL {version}, a fresh database in {VARIABLE}'s server",
        load_average_after=os.getloadavg()[0],
    )
    return results


@contextmanager
def _hosts(workdir: Path, database_url: str) -> Iterator[tuple[Api, str]]:
    """The API on tst-api, a worker on tst-w1, a target on the bridge; an admin client and the
    target's URL. Everything made here is removed after, whatever happened."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = {**server_env(workdir), "TESTAMENT_DATABASE_URL": database_url}
    key = provision(env)  # migrates the database first (from the root namespace)
    network = Network(["tst-api", "tst-w1"])
    try:
        with Target(host=network.gateway) as target:
            api_host, worker_host = network.hosts["tst-api"], network.hosts["tst-w1"]
            serve_log, worker_log = workdir / "api.log", workdir / "worker.log"
            command = [str(TESTAMENT), "serve", "--no-workers", "--host", api_host.address]
            command += ["--port", str(API_PORT), "--log-level", "warning"]
            server = api_host.start(command, {**env, "TESTAMENT_DATA_DIR": str(workdir / "api")}, serve_log)
            command = [str(TESTAMENT), "worker", "--concurrency", "2", "--log-level", "warning"]
            worker = worker_host.start(
                command, {**env, "TESTAMENT_DATA_DIR": str(workdir / "w1")}, worker_log
            )
            api = Api(api_host.address, API_PORT, key["token"])
            try:
                wait_healthy(api, server, serve_log)
                wait_joined(worker, worker_log, STARTUP_S)
                yield api, target.url
            finally:
                api.close()
    finally:
        network.close()  # kills the hosts' processes, removes the namespaces, links and bridge


def fleet_md(f: dict[str, Any]) -> list[str]:
    title = "## 10. Wake-up and stop latency across machines (network namespaces)"
    if "skipped" in f:
        return [title, "", f"Not measured: {f['skipped']}."]
    cells = [
        f"{x['median']:.0f} / {x['p99']:.0f} / {x['max']:.0f} ({x['n']})"
        for x in (f["start_to_claimed_ms"], f["stop_to_stopped_ms"])
    ]
    return [
        title,
        "",
        f"Measured {f['measured_at']}. `testament serve --no-workers` on one host and one `testament "
        "worker --concurrency 2` on another, each a network namespace of its own, on "
        f"{f['database']} reached over the hosts' links; default settings (idle workers poll every "
        "1 s, a run renews its lease every 5 s); one execution at a time, each while the worker idles. "
        f"The machine's load (1-minute average): {f['load_average_before']:.1f} before, "
        f"{f['load_average_after']:.1f} after.",
        "",
        "| | median / p99 / max ms (n) |",
        "|---|---:|",
        f"| start → claimed (started_at - queued_at) | {cells[0]} |",
        f"| stop → STOPPED (the client, polling every 5 ms) | {cells[1]} |",
        "",
        "Figure 7 is the same measurement with both processes on one host.",
    ]


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="testament-fleet-") as tmp:
        print(json.dumps(measure_fleet(Path(tmp), FleetConfig()), indent=2))
