"""Machine information, and the results as JSON and as a Markdown summary."""

import json
import os
import platform
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from testament import __version__

__all__ = ["machine_info", "render_markdown", "write_results"]


def machine_info() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": sys.version.split()[0],
        "database": f"SQLite {sqlite3.sqlite_version} (WAL, synchronous=NORMAL), a file in a temp dir",
        "testament": __version__,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _throughput_md(t: dict[str, Any]) -> list[str]:
    return [
        "## 1. Start-execution throughput vs a bare endpoint",
        "",
        f"{t['clients']} closed-loop clients, {t['duration_s']:g} s per round, "
        f"median of {t['rounds']} rounds.",
        "",
        "| endpoint | requests/s (median) | rounds |",
        "|---|---:|---|",
        f"| GET /healthz | {t['bare_healthz']['median_rps']:.0f} | "
        + ", ".join(f"{r['rps']:.0f}" for r in t["bare_healthz"]["rounds"])
        + " |",
        f"| POST /api/v1/executions | {t['start_execution']['median_rps']:.0f} | "
        + ", ".join(f"{r['rps']:.0f}" for r in t["start_execution"]["rounds"])
        + " |",
        "",
        f"Ratio start/bare: **{t['ratio_start_to_bare']:.3f}** "
        f"({t['executions_started']} executions started in all).",
    ]


def _paging_md(p: dict[str, Any]) -> list[str]:
    return [
        "## 2. Records pagination at depth",
        "",
        f"{p['records']:,} records in one execution (bulk insert took {p['insert_s']:.1f} s); "
        f"`list_records(limit={p['page_size']})`, median of {p['calls']} calls.",
        "",
        "| page | ms (median) |",
        "|---|---:|",
        f"| first | {p['first_page_ms']:.3f} |",
        f"| after seq {p['deep_after_seq']:,} | {p['deep_page_ms']:.3f} |",
        "",
        f"Ratio deep/first: **{p['ratio_deep_to_first']:.2f}**. Query plan: `{'; '.join(p['query_plan'])}`",
    ]


def _drain_md(d: dict[str, Any]) -> list[str]:
    return [
        "",
        f"Engine only (in-process, {d['executions']} pre-queued noop executions, {d['workers']} workers, "
        f"no HTTP): drained in {d['total_s']:.2f} s, **{d['executions_per_s']:.0f} executions/s**, "
        f"{d['wall_ms_per_execution']:.2f} ms wall and {d['cpu_ms_per_execution']:.2f} ms CPU per execution.",
    ]


def _engine_md(e: dict[str, Any]) -> list[str]:
    b, s = e["batch"], e["single"]
    drain = _drain_md(e["engine_only"]) if "engine_only" in e else []
    return [
        "## 3. Engine overhead per no-op execution, end to end",
        "",
        f"{b['executions']} noop executions started by {b['clients']} clients "
        f"(all starts answered after {b['starts_s']:.2f} s), all finished after **{b['total_s']:.2f} s**: "
        f"**{b['executions_per_s']:.1f} executions/s**, {b['mean_ms_per_execution']:.1f} ms per execution.",
        "",
        f"Single execution, start to observed PASSED (polling every {s['poll_ms']:g} ms), "
        f"{s['runs']} runs: median **{s['median_ms']:.1f} ms** "
        f"(min {s['min_ms']:.1f}, max {s['max_ms']:.1f}).",
        *drain,
    ]


def _connect_md(c: dict[str, Any]) -> list[str]:
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(c["outcomes"].items()))
    return [
        "## 4. Amazon Connect test executions, end to end through boto3",
        "",
        f"AWS's worked test case against a menu/queue/hours flow: {c['executions']} StartTestCaseExecution "
        f"calls from {c['clients']} threads, at most {c['running_limit']} running at a time (AWS's limit).",
        "",
        f"All finished after **{c['total_s']:.2f} s**: **{c['executions_per_s']:.1f} executions/s** "
        f"({outcomes}). AWS runs five at a time, each against a live contact.",
    ]


def _testsigma_md(t: dict[str, Any]) -> list[str]:
    b = t["begins"]
    return [
        "## 5. Testsigma: the test case results of a run of 200 test cases",
        "",
        f"Measured {t['measured_at']}.",
        "",
        f"GET test_case_results of a finished run of {t['cases']} test cases vs GET /healthz, "
        f"{t['calls']} calls each from one connection in alternating blocks of ten: "
        f"medians **{t['test_case_results_median_ms']:.2f} ms** "
        f"vs {t['healthz_median_ms']:.2f} ms, **{t['ratio']:.1f}x** (at most {t['max_ratio']:.0f}x).",
        "",
        f"Transactions begun: test_case_results **{b['test_case_results']}**; "
        f"a trigger {b['testsigma_trigger']}, the native start of the same plan {b['native_start']}.",
    ]


def _search_md(s: dict[str, Any]) -> list[str]:
    lines = ["## 6. Search first pages: small vs big workspace", "", f"Measured {s['measured_at']}.", ""]
    for name, title, unit in (
        (
            "search_test_cases",
            "SearchTestCases (boto3, MaxResults 10, name STARTS_WITH, 1% match)",
            "test_cases",
        ),
        ("executions_by_tag", "GET /api/v1/executions?tag=… (limit 10, 1% tagged)", "executions"),
    ):
        figure = s[name]
        small, big = figure["small"], figure["big"]
        lines += [
            f"**{title}**: {small[unit]:,} {unit.replace('_', ' ')}: {small['median_ms']:.2f} ms; "
            f"{big[unit]:,}: {big['median_ms']:.2f} ms; ratio **{figure['ratio_big_to_small']:.2f}** "
            f"(median of {s['calls']} calls).",
            "",
            f"Statements of one call with {big[unit]:,} (SQLite's plan):",
            "",
        ]
        for statement in big["statements"]:
            sql = statement["sql"]  # what is selected is long and says little; FROM … says the rest
            shown = f"SELECT …{sql[sql.index(' FROM ') :]}" if " FROM " in sql else sql
            lines += [f"- `{shown[:400]}`", *[f"  - {step}" for step in statement["plan"]]]
        lines.append("")
    return lines


def _wakeup_md(w: dict[str, Any]) -> list[str]:
    lines = [
        "## 7. Wake-up and stop latency through a worker process",
        "",
        f"Measured {w['measured_at']}. `testament serve --no-workers` and one `testament worker "
        "--concurrency 2`, default settings (idle workers poll every 1 s, a run renews its lease "
        "every 5 s); one execution at a time, each while the worker idles. The machine's load "
        f"(1-minute average): {w.get('load_average_before', 0):.1f} before, "
        f"{w.get('load_average_after', 0):.1f} after.",
        "",
        "| database | start → claimed, median / p99 ms (n) | stop → STOPPED, median / p99 ms (n) |",
        "|---|---:|---:|",
    ]
    for name, title in (("postgresql", "PostgreSQL (LISTEN/NOTIFY)"), ("sqlite", "SQLite (UNIX datagrams)")):
        figure = w[name]
        if "skipped" in figure:
            lines.append(f"| {title} | not measured: {figure['skipped']} | |")
            continue
        cells = [
            f"{f['median']:.0f} / {f['p99']:.0f} ({f['n']})"
            for f in (figure["start_to_claimed_ms"], figure["stop_to_stopped_ms"])
        ]
        lines.append(f"| {title}: {figure['database']} | {cells[0]} | {cells[1]} |")
    return [
        *lines,
        "",
        "Start → claimed is the execution's started_at - queued_at (the server's clock); stop → "
        "STOPPED is seen by the client, polling every 5 ms, from just before its POST …/stop, with "
        "the run's steps 25 ms long.",
    ]


def _workers_md(w: dict[str, Any]) -> list[str]:
    cost = w["start_cost"]
    cells = {
        k: f"{cost[k]['median']:.2f} / {cost[k]['p95']:.2f}" for k in ("healthz_ms", "read_ms", "start_ms")
    }
    lines = [
        "## 8. Worker processes: start cost, http executions/s, memory",
        "",
        f"Measured {w['measured_at']} on {w['cpu_count']} CPUs. `testament serve --no-workers` and W "
        f"`testament worker --concurrency {w['concurrency']}` processes, running cap W x {w['concurrency']}; "
        "one client, one request at a time unless said otherwise. The machine's load (1-minute average): "
        f"{w['load_average_before']:.1f} before, {w['load_average_after']:.1f} after.",
        "",
        f"Start cost on SQLite ({cost['requests']} requests each; median / p95 ms): GET /healthz "
        f"{cells['healthz_ms']}, authenticated GET of a test case {cells['read_ms']}, POST "
        f"/api/v1/executions while the workers drain {cells['start_ms']}. Start ÷ read "
        f"**{cost['ratio_start_to_read']:.2f}** (target ≤ 3), start ÷ /healthz "
        f"**{cost['ratio_start_to_healthz']:.2f}**.",
        "",
        "| database | workers | one-step http executions | executions/s end to end | the starts took, s | "
        "CPU ms per execution: API / workers | RSS after, MiB: API / each worker |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    runs = [("SQLite", w["sqlite"])]
    if "sqlite_in_flight" in w:
        run = w["sqlite_in_flight"]
        runs.append((f"SQLite, {run['in_flight']} starts in flight at once from one client process", run))
    runs += [("PostgreSQL", r) for r in w["postgresql"].get("runs", [])]
    for name, run in runs:
        rss = run["rss_kib_after"]
        workers = ", ".join(f"{kib / 1024:.0f}" for kib in rss["workers"])
        lines.append(
            f"| {name} | {run['workers']} | {run['executions']:,} | **{run['executions_per_s']:.1f}** | "
            f"{run['starts_s']:.1f} | {_cpu_cell(run)} | {rss['api'] / 1024:.0f} / {workers} |"
        )
    if "skipped" in w["postgresql"]:
        lines.append(f"| PostgreSQL | not measured: {w['postgresql']['skipped']} | | | | | |")
    return [
        *lines,
        "",
        "The clock runs from the first POST until no execution is QUEUED or RUNNING; the target answers "
        "at once, so the figure is the platform's cost per execution (target ≥ 150/s on SQLite). RSS "
        "(VmRSS) before the run is in latest.json.",
        *_backlog_md(w["postgresql"].get("backlog")),
    ]


def _backlog_md(b: dict[str, Any] | None) -> list[str]:
    if b is None:
        return []
    ms = {k: f"{b[k]['median']:.2f} / {b[k]['p95']:.2f}" for k in b if k.endswith("_ms")}
    rss = b["rss_kib_after"]
    workers = ", ".join(f"{kib / 1024:.0f}" for kib in rss["workers"])
    cpu = b["cpu_ms_per_execution"]
    return [
        "",
        f"A backlog on PostgreSQL: **{b['queued']:,}** one-step http executions queued before any worker ran "
        f"(a start onto the growing queue, median / p95 ms: {ms['queueing_start_ms']}), then "
        f"{b['workers']} workers drained them and the starts sent meanwhile, {b['executions']:,} in all, in "
        f"{b['drain_s']:.0f} s: **{b['executions_per_s']:.1f} executions/s** (CPU ms per execution: API "
        f"{cpu['api']:.1f}, workers {cpu['workers']:.1f}). During the drain, ten starts and ten "
        f"authenticated reads in turn: start {ms['drain_start_ms']}, read {ms['drain_read_ms']}; before "
        f"it, idle: read {ms['idle_read_ms']}, /healthz {ms['idle_healthz_ms']}. Start ÷ idle read "
        f"**{b['ratio_start_to_idle_read']:.2f}**, start ÷ read during the drain "
        f"**{b['ratio_start_to_drain_read']:.2f}**, start ÷ idle /healthz "
        f"**{b['ratio_start_to_idle_healthz']:.2f}**. RSS after, MiB: API **{rss['api'] / 1024:.0f}**, "
        f"each worker **{workers}**.",
    ]


def _cpu_cell(run: dict[str, Any]) -> str:
    cpu = run.get("cpu_ms_per_execution")  # results from before it was measured lack it
    return f"{cpu['api']:.1f} / {cpu['workers']:.1f}" if cpu else "-"


def _run_page_md(r: dict[str, Any]) -> list[str]:
    from bench.run_page import run_page_md  # figure 9 is written beside its measurement

    return run_page_md(r)


def _fleet_md(f: dict[str, Any]) -> list[str]:
    from bench.fleet import fleet_md  # figure 10 too

    return fleet_md(f)


def render_markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        "# Testament benchmark results",
        "",
        f"- measured: {m['measured_at']}, testament {m['testament']}",
        f"- CPUs: {m['cpu_count']}, {m['platform']}",
        f"- Python {m['python']}",
        f"- database: {m['database']}",
        "- server: `testament serve` subprocess, default settings except "
        "TESTAMENT_MAX_QUEUED_EXECUTIONS=10000000",
        "",
    ]
    sections = (
        ("throughput", _throughput_md),
        ("paging", _paging_md),
        ("engine", _engine_md),
        ("connect", _connect_md),
        ("testsigma", _testsigma_md),
        ("search", _search_md),
        ("wakeup", _wakeup_md),
        ("workers", _workers_md),
        ("run_page", _run_page_md),
        ("fleet", _fleet_md),
    )
    for key, render in sections:
        if key in results:
            lines += [*render(results[key]), ""]
    return "\n".join(lines)


def write_results(results: dict[str, Any], folder: Path) -> str:
    """Write latest.json and latest.md to `folder`; return the Markdown."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    markdown = render_markdown(results)
    (folder / "latest.md").write_text(markdown)
    return markdown
