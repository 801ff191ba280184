"""`testament run`: start a test case or plan, follow it live, report, write JUnit."""

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from junitparser import Error, Failure, JUnitXml, Skipped, TestCase, TestSuite
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from testament.cli.client import ApiClient, ApiError

__all__ = ["RunReport", "start", "test_case_name", "wait_and_report", "write_junit"]

TERMINAL = {"PASSED", "FAILED", "STOPPED", "ERROR"}
STYLE = {
    "PASSED": "green",
    "FAILED": "red",
    "ERROR": "red",
    "STOPPED": "yellow",
    "RUNNING": "cyan",
    "QUEUED": "dim",
}


def styled(status: str) -> str:
    """A status in its colour; statuses without one (INFO, SKIPPED) print plain."""
    return f"[{STYLE.get(status, 'default')}]{escape(status)}[/]"


@dataclass
class RunReport:
    executions: list[dict[str, Any]]
    names: dict[str, str]
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    plan_run: dict[str, Any] | None = None

    @property
    def passed(self) -> bool:
        """The plan's quality gate when it sets one (the score ratio, not every check, decides);
        otherwise whether every execution passed."""
        if self.plan_run is not None and self.plan_run.get("gate_passed") is not None:
            return bool(self.plan_run["gate_passed"])
        return all(x["status"] == "PASSED" for x in self.executions)

    def label(self, execution: dict[str, Any]) -> str:
        name = self.names.get(execution["test_case_id"], execution["test_case_id"])
        return f"{name} [{execution['data_set_name']}]" if execution.get("data_set_name") else name

    def markup_label(self, execution: dict[str, Any]) -> str:
        return escape(self.label(execution))


def start(client: ApiClient, target: str, body: dict[str, Any]) -> dict[str, Any]:
    """Start `target` as a test case; if no test case has that id or name, as a plan."""
    try:
        result: dict[str, Any] = client.post("/executions", {**body, "test_case_id": target})
        return result
    except ApiError as exc:
        if exc.status != 404:
            raise
    try:
        plan_run: dict[str, Any] = client.post("/executions", {**body, "plan_id": target})
    except ApiError as exc:
        if exc.status == 404 and exc.body.get("detail", "").startswith("plan "):
            raise ApiError(404, {"detail": f"no test case or plan has the id or name {target!r}"}) from None
        raise
    return plan_run


def test_case_name(client: ApiClient, test_case_id: str) -> str:
    """A test case's name; a deleted one is shown by its id (its executions stay)."""
    try:
        return str(client.get(f"/test-cases/{test_case_id}")["name"])
    except ApiError as exc:
        if exc.status == 404:
            return f"{test_case_id} (deleted)"
        raise


def _table(report: RunReport) -> Table:
    table = Table(title="Executions", expand=False)
    for column in ("test case", "status", "attempt", "records", "passed", "failed", "score"):
        table.add_column(column)
    for x in report.executions:
        status = x["status"]
        table.add_row(
            report.markup_label(x),
            styled(status),
            f"{x['attempt']}/{x['max_attempts']}",
            str(x["records"]["total"]),
            str(x["records"]["passed"]),
            str(x["records"]["failed"]),
            describe_score(x["score"]["scoreboard"]) if x.get("score") else "-",
        )
    return table


def describe_score(board: dict[str, Any]) -> str:
    """`7.5/10 (75%)`"""
    return (
        f"{board['pointsAchieved']:g}/{board['maxAchievablePoints']:g} "
        f"({board['achievementRatio'] * 100:.0f}%)"
    )


def _print_score(score: dict[str, Any], console: Console) -> None:
    """An execution's scoreboard: overall, then each section, dimension and effect."""
    lines = [f"  score {describe_score(score['scoreboard'])}"]
    lines += [f"    section {s['name']}: {describe_score(s['scoreboard'])}" for s in score["sections"]]
    for dimension in score["dimensions"]:
        lines.append(f"    dimension {dimension['name']}: {describe_score(dimension['scoreboard'])}")
        lines += [
            f"      {dimension['name']}/{sub['name']}: {describe_score(sub['scoreboard'])}"
            for sub in dimension["subDimensions"]
        ]
    for effect in score["effects"]:
        lines.append(f"    effect {effect['name']}: {_number(effect['score'])}")
        lines += [f"      {sub['name']}: {_number(sub['score'])}" for sub in effect["subEffects"]]
    for line in lines:
        console.print(line, markup=False)


def _number(value: float | None) -> str:
    return "n/a (division by zero)" if value is None else f"{value:g}"


def _print_gate(plan_run: dict[str, Any], console: Console) -> None:
    score = plan_run["score"]
    console.print(f"\nPlan run score: {describe_score(score)}", markup=False)
    if plan_run.get("pass_ratio") is not None:
        verdict = "[green]passed[/]" if plan_run["gate_passed"] else "[red]failed[/]"
        console.print(
            f"Quality gate (score ratio ≥ {plan_run['pass_ratio']:g}): {verdict}"
            f" at {score['achievementRatio']:g}"
        )


def wait_and_report(
    client: ApiClient, started: dict[str, Any], console: Console, poll_s: float = 0.5
) -> RunReport:
    executions = started["executions"]
    names = {cid: test_case_name(client, cid) for cid in {x["test_case_id"] for x in executions}}
    report = RunReport(executions, names)
    with Live(
        _table(report), console=console, refresh_per_second=4, transient=not console.is_terminal
    ) as live:
        while not all(x["status"] in TERMINAL for x in report.executions):
            time.sleep(poll_s)
            report.executions = [
                x if x["status"] in TERMINAL else client.get(f"/executions/{x['id']}")
                for x in report.executions
            ]
            live.update(_table(report))
    report.records = {x["id"]: client.all_records(x["id"]) for x in report.executions}
    if started.get("plan_run_id"):
        report.plan_run = client.get(f"/plan-runs/{started['plan_run_id']}")
    if not console.is_terminal:
        console.print(_table(report))
    _print_records(report, console)
    if report.plan_run is not None:
        _print_gate(report.plan_run, console)
    return report


def _print_records(report: RunReport, console: Console) -> None:
    for x in report.executions:
        console.print(
            f"\n[bold]{report.markup_label(x)}[/] {x['id']} → {styled(x['status'])}"
            + (f" ({x['reason']})" if x["reason"] else "")
        )
        if x.get("score") and x["score"]["scoreboard"]["noOfQuestions"]:
            _print_score(x["score"], console)
        for r in report.records[x["id"]]:
            status = styled(r["status"])
            line = f"  #{r['seq']} attempt {r['attempt']} {escape(r['observation_id'])}: {status}"
            response = r["record"].get("response") or {}
            if "status" in response:
                line += f" HTTP {response['status']} in {response.get('elapsed_ms', '?')} ms"
            console.print(line)
            for failure in r["record"].get("failures", []):
                console.print(f"      ✗ {failure.get('message', failure)}", markup=False)
            if r["record"].get("error"):
                console.print(f"      ✗ {r['record']['error']}", markup=False)


def write_junit(report: RunReport, path: Path, suite_name: str) -> None:
    suite = TestSuite(suite_name)
    for x in report.executions:
        case = TestCase(report.label(x), classname=suite_name)
        if x["started_at"] and x["finished_at"]:
            from datetime import datetime

            started = datetime.fromisoformat(x["started_at"])
            finished = datetime.fromisoformat(x["finished_at"])
            case.time = round((finished - started).total_seconds(), 3)
        failed = [r for r in report.records.get(x["id"], []) if r["status"] in ("FAILED", "ERROR")]
        detail = "\n".join(
            f"{r['observation_id']}: "
            + "; ".join(str(f.get("message", f)) for f in r["record"].get("failures", []))
            + (r["record"].get("error") or "")
            for r in failed
        )
        if x["status"] == "FAILED":
            case.result = [Failure(x["reason"] or "failed", "failure")]
            case.result[0].text = detail
        elif x["status"] == "ERROR":
            case.result = [Error(x["reason"] or "error", "error")]
            case.result[0].text = detail
        elif x["status"] == "STOPPED":
            case.result = [Skipped(x["reason"] or "stopped")]
        case.system_out = f"execution {x['id']} status {x['status']} records {x['records']['total']}"
        suite.add_testcase(case)
    xml = JUnitXml()
    xml.add_testsuite(suite)
    xml.write(str(path), pretty=True)
