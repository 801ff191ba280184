"""`testament run`: start a test case or plan, follow it as it happens, report, write JUnit.

Following prints one line per finished step (record) and per finished execution, as they
happen, on a terminal and in a CI log alike; a terminal also gets a live table. A run outlives
the command: on Ctrl-C, SIGTERM or `--timeout` the command says which executions are still
going and how to stop them (or stops them, with `--stop-on-interrupt`).
"""

import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

from junitparser import Error, Failure, JUnitXml, Skipped, TestCase, TestSuite
from rich import box
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from testament.cli.client import ApiClient, ApiError
from testament.domain.content.variables import variables_used

__all__ = [
    "Interrupted",
    "RunReport",
    "TestCaseInfo",
    "follow",
    "interrupt_signals",
    "load_cases",
    "record_lines",
    "run_page",
    "start",
    "summary_table",
    "unused_variables",
    "write_junit",
]

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


@dataclass(frozen=True)
class TestCaseInfo:
    __test__ = False
    name: str
    kind: str
    content: Any = None


@dataclass
class RunReport:
    executions: list[dict[str, Any]]
    cases: dict[str, TestCaseInfo]
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    plan_run: dict[str, Any] | None = None

    @property
    def finished(self) -> bool:
        return all(x["status"] in TERMINAL for x in self.executions)

    @property
    def passed(self) -> bool:
        """The plan's quality gate when it sets one (the score ratio, not every check, decides);
        otherwise whether every execution passed."""
        if self.plan_run is not None and self.plan_run.get("gate_passed") is not None:
            return bool(self.plan_run["gate_passed"])
        return all(x["status"] == "PASSED" for x in self.executions)

    def label(self, execution: dict[str, Any]) -> str:
        case = self.cases.get(execution["test_case_id"])
        name = case.name if case else execution["test_case_id"]
        return f"{name} [{execution['data_set_name']}]" if execution.get("data_set_name") else name

    def as_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "plan_run": self.plan_run,
            "executions": [
                {**x, "test_case_name": self.label(x), "records_list": self.records.get(x["id"], [])}
                for x in self.executions
            ],
        }


class Interrupted(Exception):
    """The wait ended before the run did: Ctrl-C, SIGTERM, or `--timeout`."""

    def __init__(self, why: str, exit_code: int) -> None:
        super().__init__(why)
        self.why = why
        self.exit_code = exit_code


@contextmanager
def interrupt_signals() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into `Interrupted`, so the command can say what is left running."""

    def handler(code: int, why: str) -> Callable[[int, FrameType | None], None]:
        def raise_interrupted(_signum: int, _frame: FrameType | None) -> None:
            raise Interrupted(why, code)

        return raise_interrupted

    previous = {
        signal.SIGINT: signal.signal(signal.SIGINT, handler(130, "interrupted (Ctrl-C)")),
        signal.SIGTERM: signal.signal(signal.SIGTERM, handler(143, "terminated (SIGTERM)")),
    }
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


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


def load_cases(client: ApiClient, executions: list[dict[str, Any]]) -> dict[str, TestCaseInfo]:
    """Each test case of these executions: its name, kind and the content of the version run.
    A deleted test case is shown by its id (its executions stay)."""
    cases: dict[str, TestCaseInfo] = {}
    for x in executions:
        if x["test_case_id"] in cases:
            continue
        try:
            case = client.get(f"/test-cases/{x['test_case_id']}", version=x.get("test_case_version"))
            cases[x["test_case_id"]] = TestCaseInfo(case["name"], case["kind"], case.get("content"))
        except ApiError as exc:
            if exc.status != 404:
                raise
            cases[x["test_case_id"]] = TestCaseInfo(f"{x['test_case_id']} (deleted)", x.get("kind", ""))
    return cases


def unused_variables(variables: dict[str, Any], cases: dict[str, TestCaseInfo]) -> list[str]:
    """The names given at start that no test case of the run refers to (kinds that cannot tell
    which names they use accept any)."""
    used: set[str] = set()
    for case in cases.values():
        names = variables_used(case.kind, case.content)
        if names is None:
            return []
        used |= names
    return sorted(set(variables) - used)


def summary_table(report: RunReport) -> Table:
    table = Table(title="Executions", expand=False, box=box.SIMPLE_HEAD, show_edge=False)
    for column in ("test case", "execution", "status", "attempt", "records", "passed", "failed", "score"):
        table.add_column(column)
    for x in report.executions:
        table.add_row(
            escape(report.label(x)),
            x["id"],
            styled(x["status"]),
            describe_attempt(x),
            str(x["records"]["total"]),
            str(x["records"]["passed"]),
            str(x["records"]["failed"]),
            describe_score(x["score"]["scoreboard"]) if x.get("score") else "-",
        )
    return table


def describe_attempt(execution: dict[str, Any]) -> str:
    """`1/2`, and how often its run was cut short (a server shutdown, a lost worker), if ever."""
    text = f"{execution['attempt']}/{execution['max_attempts']}"
    interruptions = execution.get("interruptions") or 0
    return text + (f" ({interruptions} interrupted)" if interruptions else "")


def describe_score(board: dict[str, Any]) -> str:
    """`7.5/10 (75%)`"""
    return (
        f"{board['pointsAchieved']:g}/{board['maxAchievablePoints']:g} "
        f"({board['achievementRatio'] * 100:.0f}%)"
    )


def score_lines(score: dict[str, Any]) -> list[str]:
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
    return lines


def _number(value: float | None) -> str:
    return "n/a (division by zero)" if value is None else f"{value:g}"


def gate_lines(plan_run: dict[str, Any]) -> list[str]:
    score = plan_run["score"]
    lines = [f"plan run {plan_run['id']}: {plan_run['status']}, score {describe_score(score)}"]
    if plan_run.get("pass_ratio") is not None:
        verdict = "passed" if plan_run["gate_passed"] else "failed"
        lines.append(
            f"quality gate (score ratio >= {plan_run['pass_ratio']:g}): {verdict}"
            f" at {score['achievementRatio']:g}"
        )
    return lines


def record_lines(label: str, record: dict[str, Any], *, detail: bool = False) -> list[str]:
    """One line for a finished step, then what failed; with `detail`, also what was sent and
    received, the captures and the artifacts (what `testament show` prints)."""
    body = record["record"]
    head = f"  {label} #{record['seq']} {_unit(record)}: {record['status']}"
    if record.get("attempt", 1) > 1 or record.get("interrupted"):
        head += f" (attempt {record['attempt']}{', interrupted' if record.get('interrupted') else ''})"
    response = body.get("response") or {}
    if "status" in response:
        head += f" HTTP {response['status']} in {response.get('elapsed_ms', '?')} ms"
    lines = [head]
    if detail:
        lines += _exchange_lines(body)
    lines += [f"      ✗ {_failure_text(f)}" for f in body.get("failures", [])]
    if body.get("error"):
        lines.append(f"      ✗ {body['error']}")
    if body.get("event") and not detail:
        lines[0] += f" ({body['event']}{': ' + str(body['reason']) if body.get('reason') else ''})"
    return lines


def _unit(record: dict[str, Any]) -> str:
    """What the record is about: a step's name, a manual step's number, an observation."""
    step = record["record"].get("step")
    return f"step {step}" if isinstance(step, int) else str(record["observation_id"])


def _failure_text(failure: Any) -> str:
    return str(failure.get("message") or failure) if isinstance(failure, dict) else str(failure)


def _exchange_lines(body: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    request = body.get("request") or {}
    if request:
        lines.append(f"      → {request.get('method', '')} {request.get('url', '')}")
        lines += [f"        {name}: {value}" for name, value in (request.get("headers") or {}).items()]
        lines += _excerpt(request)
    response = body.get("response") or {}
    if response:
        lines.append(f"      ← {response.get('status', '')} in {response.get('elapsed_ms', '?')} ms")
        lines += [f"        {name}: {value}" for name, value in (response.get("headers") or {}).items()]
        lines += _excerpt(response)
        if response.get("artifact_id"):
            lines.append(f"        (whole body kept as artifact {response['artifact_id']})")
    lines += [f"      captured {name} = {value!r}" for name, value in (body.get("captures") or {}).items()]
    for key in ("actual_result", "notes", "description", "expected_result"):
        if body.get(key):
            lines.append(f"      {key.replace('_', ' ')}: {body[key]}")
    return lines


def _excerpt(message: dict[str, Any], limit: int = 500) -> list[str]:
    text = message.get("body") or ""
    if not text:
        return []
    cut = text[:limit]
    more = len(text) > limit or message.get("truncated")
    size = message.get("size", len(text.encode()))
    return [f"        {line}" for line in cut.splitlines()] + (
        [f"        … ({size} bytes in all)"] if more else []
    )


def execution_line(report: RunReport, x: dict[str, Any]) -> str:
    line = f"{report.label(x)} {x['id']} → {x['status']}"
    if x.get("reason"):
        line += f" ({x['reason']})"
    if x.get("score"):
        line += f", score {describe_score(x['score']['scoreboard'])}"
    return line


@dataclass
class _Follower:
    """Prints what is new since the last look: records, then executions that finished."""

    client: ApiClient
    report: RunReport
    out: Console
    seen: dict[str, int] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)

    def look(self) -> None:
        self.report.executions = [
            x if x["id"] in self.done else self.client.get(f"/executions/{x['id']}")
            for x in self.report.executions
        ]
        for x in self.report.executions:
            if x["id"] in self.done:
                continue
            new = self.client.all_records(x["id"], after_seq=self.seen.get(x["id"]))
            self.report.records.setdefault(x["id"], []).extend(new)
            for record in new:
                self.seen[x["id"]] = record["seq"]
                if record["status"] == "NOT_RUN":
                    continue  # a manual step nobody has recorded yet: nothing finished
                for line in record_lines(self.report.label(x), record):
                    self.out.print(line, markup=False)
            if x["status"] in TERMINAL:
                self.done.add(x["id"])
                self.out.print(execution_line(self.report, x), markup=False)
                if x.get("score") and x["score"]["scoreboard"]["noOfQuestions"]:
                    for line in score_lines(x["score"])[1:]:
                        self.out.print(line, markup=False)


def follow(
    client: ApiClient,
    started: dict[str, Any],
    out: Console,
    *,
    cases: dict[str, TestCaseInfo],
    timeout_s: float | None = None,
    poll_s: float = 0.5,
) -> RunReport:
    """Follow the run to its end, printing as it goes; raise `Interrupted` when `timeout_s` runs out."""
    report = RunReport(started["executions"], cases)
    follower = _Follower(client, report, out)
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    live = (
        Live(summary_table(report), console=out, refresh_per_second=4, transient=True)
        if out.is_terminal
        else nullcontext()
    )
    with live:
        while True:
            follower.look()
            if isinstance(live, Live):
                live.update(summary_table(report))
            if report.finished:
                break
            if deadline is not None and time.monotonic() >= deadline:
                raise Interrupted(f"timed out after {timeout_s:g} s", 124)
            time.sleep(poll_s)
    if started.get("plan_run_id"):
        report.plan_run = client.get(f"/plan-runs/{started['plan_run_id']}")
    return report


def manual_notice(client: ApiClient, report_cases: dict[str, TestCaseInfo], x: dict[str, Any]) -> str | None:
    """What to tell someone waiting on a manual execution: a person has to record its steps."""
    case = report_cases.get(x["test_case_id"])
    if (case.kind if case else x.get("kind")) != "manual":
        return None
    return (
        f"{case.name if case else x['test_case_id']} is a manual test case: execution {x['id']} waits "
        f"until a person records each step's outcome, in the browser at {client.server}/manual/{x['id']}, "
        f"with POST {client.server}/api/v1/executions/{x['id']}/steps "
        "(see 'Manual test cases' in the README) or an Enterprise Tester client"
    )


def run_page(client: ApiClient, started: dict[str, Any]) -> str | None:
    """The web UI's page of what started: the plan run's grid, the one execution's page, or the
    runs of its test case (one execution per data set)."""
    executions = started["executions"]
    if started.get("plan_run_id"):
        return f"{client.server}/plan-runs/{started['plan_run_id']}"
    if len(executions) == 1:
        return f"{client.server}/runs/{executions[0]['id']}"
    if executions:
        return f"{client.server}/runs?test_case={executions[0]['test_case_id']}"
    return None


def check_junit_path(path: Path) -> str | None:
    """Why a JUnit report cannot be written at `path`, or None; checked before a run starts."""
    import os

    if path.is_dir():
        return f"--junit {path}: is a directory"
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        return f"--junit {path}: the folder {folder} does not exist"
    if path.exists() and not os.access(path, os.W_OK):
        return f"--junit {path}: the file cannot be written"
    if not path.exists() and not os.access(folder, os.W_OK | os.X_OK):
        return f"--junit {path}: the folder {folder} cannot be written"
    return None


def write_junit(report: RunReport, path: Path, suite_name: str) -> None:
    suite = TestSuite(suite_name)
    for x in report.executions:
        case = TestCase(report.label(x), classname=suite_name)
        if x["started_at"] and x["finished_at"]:
            started = datetime.fromisoformat(x["started_at"])
            finished = datetime.fromisoformat(x["finished_at"])
            case.time = round((finished - started).total_seconds(), 3)
        failed = [r for r in report.records.get(x["id"], []) if r["status"] in ("FAILED", "ERROR")]
        detail = "\n".join(
            f"{r['observation_id']}: "
            + "; ".join(_failure_text(f) for f in r["record"].get("failures", []))
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
