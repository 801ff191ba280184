"""`testament worker` runs executions in a process of its own; `testament workers` lists the fleet.

A worker needs the database (and the secret key: it decrypts environment secrets), not the
API: it claims from the queue directly. It imports neither the web framework nor a surface.
On SIGTERM or Ctrl-C it drains: it claims nothing more, lets running executions finish for
`--grace` seconds, hands the rest back to the queue as interrupted attempts, and exits 0.
"""

import faulthandler
import logging
import os
import signal
import threading
from types import FrameType
from typing import Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from testament.cli.client import ApiError
from testament.cli.options import (
    DEFAULT_SERVER,
    AsJson,
    DataDir,
    Key,
    Server,
    api_client,
    command_settings,
    refusing_to_start,
)
from testament.cli.output import console, err, fail, print_json
from testament.domain.errors import InvalidInput
from testament.domain.requirements import check_labels
from testament.runners import KINDS

__all__ = ["parse_labels", "worker", "workers"]

MAX_CONCURRENCY = 64  # the most a pool may have (Settings.workers)
STUCK_AFTER_S = 60.0  # beyond the grace: a drain takes at most about 20 s (hand-back and heartbeat waits)
LIVENESS_STYLE = {"alive": "green", "dead": "red", "stopped": "dim"}


def parse_labels(text: str) -> dict[str, str]:
    """`k=v,k2=v2` as a dict; a malformed item is a usage error naming it. Labels follow the
    rules of requirements (domain/requirements.py), so that any requirement can be met."""
    labels = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            fail(f"--labels {item!r}: expected KEY=VALUE")
        labels[name.strip()] = value.strip()
    try:
        return check_labels(labels)
    except InvalidInput as exc:
        fail(f"--labels: {exc}")


def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(
            min=1, max=MAX_CONCURRENCY, help="executions run at once (default: this machine's CPU count)"
        ),
    ] = None,
    kinds: Annotated[
        str | None,
        typer.Option(
            help=f"test kinds to claim, comma-separated (default: all it can run: {','.join(KINDS)})"
        ),
    ] = None,
    labels: Annotated[
        str, typer.Option(help="what this worker offers, KEY=VALUE,... (browser=chromium)")
    ] = "",
    grace: Annotated[
        float,
        typer.Option(
            min=0,
            help="on SIGTERM or Ctrl-C: seconds running executions may finish before they are handed back",
        ),
    ] = 30.0,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error")] = "info",
    data_dir: DataDir = None,
) -> None:
    """Claim and run executions from the database's queue (no API in this process); drain on SIGTERM."""
    from testament.bootstrap import build_context, build_worker
    from testament.engine.worker_process import check_kinds

    size = concurrency or min(os.cpu_count() or 1, MAX_CONCURRENCY)
    try:
        chosen = check_kinds(k.strip() for k in kinds.split(",") if k.strip()) if kinds is not None else KINDS
    except ValueError as exc:
        fail(f"--kinds: {exc}")
    offered = parse_labels(labels)
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = _stop_on_signals()
    with refusing_to_start():
        ctx = build_context(command_settings(data_dir, workers=size), serves_api=False, concurrency=size)
    process = build_worker(ctx, concurrency=size, kinds=chosen, labels=offered)
    process.start()
    err.print(
        f"worker {process.id} ({process.registration.owner}) runs {size} at once, kinds {','.join(chosen)}"
        + (f", labels {labels}" if offered else ""),
        markup=False,
    )
    while not stop.wait(1.0):  # a timed wait lets the signal handlers run promptly
        pass
    err.print(f"draining: claiming nothing more; running executions have {grace:g} s to finish", markup=False)
    # A watchdog: should the drain or the interpreter's exit hang (a worker was once seen stuck
    # after its server ended), print every thread's stack and leave with exit 1 rather than live on.
    faulthandler.dump_traceback_later(grace + STUCK_AFTER_S, exit=True)
    process.drain(grace)
    ctx.db.dispose()
    err.print(f"worker {process.id} stopped", markup=False)
    faulthandler.dump_traceback_later(STUCK_AFTER_S, exit=True)  # what is left: the interpreter's exit


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handle(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop


def workers(as_json: AsJson = False, server: Server = DEFAULT_SERVER, key: Key = "") -> None:
    """List the worker processes: kinds, labels, liveness, and your workspace's executions on each."""
    with api_client(server, key) as client:
        try:
            items: list[dict[str, Any]] = client.get("/workers")["items"]
        except ApiError as exc:
            fail(exc.describe())
    if as_json:
        print_json({"items": items})
        return
    console.print(_table(items))


def _table(items: list[dict[str, Any]]) -> Table:
    table = Table(title="Workers", expand=False, box=box.SIMPLE_HEAD, show_edge=False)
    for column in (
        "worker",
        "host",
        "kinds",
        "labels",
        "version",
        "liveness",
        "started",
        "heartbeat",
        "running",
    ):
        table.add_column(column)
    for w in items:
        running = ", ".join(f"{x['id']} {x['test_case_name']}" for x in w["executions"]) or "-"
        style = LIVENESS_STYLE.get(w["liveness"], "default")
        table.add_row(
            escape(w["id"]),
            escape(w["host"]),
            escape(",".join(w["kinds"])),
            escape(",".join(f"{k}={v}" for k, v in w["labels"].items()) or "-"),
            escape(w["version"]),
            f"[{style}]{escape(w['liveness'])}[/]" + (" (draining)" if w["state"] == "draining" else ""),
            escape(w["started_at"]),
            escape(w["last_heartbeat_at"]),
            escape(running),
        )
    return table
