"""Run the testament benchmarks and write bench/results/latest.{json,md}.

    .venv/bin/python -m bench.run            # everything, about 3 minutes on 2 cores
    .venv/bin/python -m bench.run --quick    # smaller figures, for a smoke test

Figures: (1) start-execution vs /healthz requests/s on a live server, (2) records page
latency at depth 1,000,000 vs the first page, (3) noop executions/s end to end and
single-execution latency, plus the engine alone draining a queue in-process, (4) Amazon
Connect test executions per second through boto3, (5) Testsigma's test case results of a
run of 200 test cases vs /healthz, and the transactions its answers begin, (6) first pages of
SearchTestCases and of executions by tag in a small vs a big workspace, (7) how soon a worker
process hears of a start and of a stop (PostgreSQL's NOTIFY, SQLite's UNIX datagrams), (8) worker
processes: a start's cost vs an authenticated read, http executions/s, and memory, (10) figure 7
across machines (network namespaces; root and a PostgreSQL they reach). See bench/README.md.
"""

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.connect import ConnectConfig, measure_connect
from bench.drain import measure_drain
from bench.engine import EngineConfig, measure_engine
from bench.fleet import FleetConfig, measure_fleet
from bench.paging import PagingConfig, measure_paging
from bench.report import machine_info, write_results
from bench.run_page import RunPageConfig, measure_run_page
from bench.search import SearchConfig, measure_search
from bench.server import running_server
from bench.testsigma_reads import TestsigmaReadsConfig, measure_testsigma_reads
from bench.throughput import ThroughputConfig, measure_throughput
from bench.wakeup import WakeupConfig, measure_wakeup
from bench.workers import WorkersConfig, measure_workers

RESULTS = Path(__file__).parent / "results"
FIGURES = (
    "throughput",
    "paging",
    "engine",
    "connect",
    "testsigma",
    "search",
    "wakeup",
    "workers",
    "run_page",
    "fleet",
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=FIGURES, action="append", help="run only this figure (repeatable)")
    parser.add_argument("--quick", action="store_true", help="short rounds, 100k records, 50 executions")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder for latest.json / latest.md")
    return parser.parse_args(argv)


def configs(args: argparse.Namespace) -> tuple[ThroughputConfig, PagingConfig, EngineConfig]:
    if args.quick:
        return (
            ThroughputConfig(clients=args.clients, duration_s=2.0, rounds=3),
            PagingConfig(records=100_000, calls=20),
            EngineConfig(executions=50, clients=args.clients, singles=5),
        )
    return ThroughputConfig(clients=args.clients), PagingConfig(), EngineConfig(clients=args.clients)


def timed(name: str, measure: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    print(f"[bench] {name} ...", file=sys.stderr, flush=True)
    began = time.perf_counter()
    result = measure()
    print(f"[bench] {name} done in {time.perf_counter() - began:.1f} s", file=sys.stderr, flush=True)
    return result


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Each figure gets a fresh data directory (and server) of its own."""
    throughput, paging, engine = configs(args)
    wanted = args.only or list(FIGURES)
    results: dict[str, Any] = {"machine": machine_info()}
    if "throughput" in wanted:
        with running_server(workdir / "throughput") as server:
            results["throughput"] = timed("throughput", lambda: measure_throughput(server, throughput))
    if "paging" in wanted:
        (workdir / "paging").mkdir()
        results["paging"] = timed("paging", lambda: measure_paging(workdir / "paging", paging))
    if "engine" in wanted:
        with running_server(workdir / "engine") as server:
            results["engine"] = timed("engine", lambda: measure_engine(server, engine))
        (workdir / "drain").mkdir()
        drain = timed("engine only", lambda: measure_drain(workdir / "drain", engine.executions))
        results["engine"]["engine_only"] = drain
    if "connect" in wanted:
        connect = ConnectConfig(executions=50 if args.quick else 200, clients=args.clients)
        with running_server(workdir / "connect") as server:
            results["connect"] = timed("connect", lambda: measure_connect(server, connect))
    if "testsigma" in wanted:
        reads = TestsigmaReadsConfig(calls=20 if args.quick else 50)
        with running_server(workdir / "testsigma") as server:
            own = workdir / "testsigma-in-process"
            results["testsigma"] = timed("testsigma", lambda: measure_testsigma_reads(server, own, reads))
    if "search" in wanted:
        (workdir / "search").mkdir()
        search = (
            SearchConfig(big_cases=1000, big_executions=10_000, calls=20) if args.quick else SearchConfig()
        )
        results["search"] = timed("search", lambda: measure_search(workdir / "search", search))
    if "wakeup" in wanted:
        (workdir / "wakeup").mkdir()
        wakeup = WakeupConfig(starts=20, stops=10) if args.quick else WakeupConfig()
        results["wakeup"] = timed("wakeup", lambda: measure_wakeup(workdir / "wakeup", wakeup))
    if "workers" in wanted:
        (workdir / "workers").mkdir()
        workers = (
            WorkersConfig(requests=50, executions=100, backlog=200, backlog_samples=50)
            if args.quick
            else WorkersConfig()
        )
        results["workers"] = timed("workers", lambda: measure_workers(workdir / "workers", workers))
    if "run_page" in wanted:  # figure 9
        (workdir / "run_page").mkdir()
        run_page = RunPageConfig(big=2_000, calls=10) if args.quick else RunPageConfig()
        results["run_page"] = timed("run_page", lambda: measure_run_page(workdir / "run_page", run_page))
    if "fleet" in wanted:  # figure 10
        fleet = FleetConfig(starts=20, stops=10) if args.quick else FleetConfig()
        results["fleet"] = timed("fleet", lambda: measure_fleet(workdir / "fleet", fleet))
    return results


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="testament-bench-") as tmp:
        results = run(args, Path(tmp))
    if args.only:  # the figures not run keep their last results, and the header its machine line
        figures = {k: v for k, v in results.items() if k != "machine"}
        results = {**results, **earlier_results(args.results), **figures}
    print(write_results(results, args.results))


def earlier_results(folder: Path) -> dict[str, Any]:
    latest = folder / "latest.json"
    return dict(json.loads(latest.read_text())) if latest.exists() else {}


if __name__ == "__main__":
    main()
