"""`testament`: serve, administer, apply, run, follow, stop, show, list.

The contract outside tools rely on (keep it stable):
  testament serve --host H --port P
  testament workspace create NAME --json        → {"id": ...}
  testament key create --workspace ID --role ROLE [--user NAME] --json
                                                → {"token", "access_key_id", "secret_access_key", ...}
  testament apply -f FILE.yaml
  testament run TEST_CASE_OR_PLAN --wait [--junit out.xml]   (exit 0 only when all passed,
                                                             or the plan's pass_ratio gate held)
Exit codes and output streams: see `testament.cli.output`.
"""

import contextlib
import os
from collections.abc import Iterator
from importlib.metadata import version as package_version
from pathlib import Path
from types import FrameType
from typing import Annotated, Any, NoReturn

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from testament.cli import run as run_cmd
from testament.cli import worker as worker_cmd
from testament.cli.bundle import BundleFileError, read_bundle
from testament.cli.client import ApiClient, ApiError
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
from testament.cli.output import EXIT_FAILED, EXIT_PASSED, console, err, fail, print_json, warn
from testament.domain.access import parse_role
from testament.domain.errors import TestamentError

HELP = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    context_settings=HELP,
    help="Testament: a self-hosted test execution server.",
)
workspace_app = typer.Typer(
    no_args_is_help=True, context_settings=HELP, help="Workspaces (works on the database directly)."
)
key_app = typer.Typer(
    no_args_is_help=True, context_settings=HELP, help="API keys (works on the database directly)."
)
app.add_typer(workspace_app, name="workspace")
app.add_typer(key_app, name="key")


def _version(value: bool) -> None:
    if value:
        console.print(f"testament {package_version('testament')}", markup=False)
        raise typer.Exit()


@app.callback()
def main(
    _version_flag: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version and exit")
    ] = False,
) -> None:
    """Testament: a self-hosted test execution server."""


def _context(data_dir: Path | None) -> Any:
    from testament.bootstrap import build_context

    with refusing_to_start():
        return build_context(command_settings(data_dir))


def _api_failure(exc: ApiError) -> NoReturn:
    """One line for the error; then each bad field, once."""
    problems = exc.body.get("errors") or []
    if problems:
        err.print(f"error: {exc.status}: {len(problems)} problem(s):", markup=False)
        for problem in problems:
            err.print(f"  {problem.get('field')}: {problem.get('rule')}", markup=False)
        raise typer.Exit(2)
    fail(exc.describe())


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="make and print a demo workspace and key; completion callbacks may reach this machine"
            " (unless TESTAMENT_CALLBACK_ALLOW_LOCAL says otherwise)",
        ),
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="worker processes to start as children (default: this machine's CPU count); each runs "
            "TESTAMENT_WORKERS (default 4) divided among them, rounded up, executions at once",
        ),
    ] = None,
    no_workers: Annotated[
        bool,
        typer.Option(
            "--no-workers",
            help="serve the API alone: start no worker process (`testament worker` processes run "
            "executions); completion callbacks are still posted from here",
        ),
    ] = False,
    grace: Annotated[
        float,
        typer.Option(
            min=0,
            help="on shutdown: seconds the workers' running executions may finish before they are "
            "handed back to run again from their start (default 0: at once)",
        ),
    ] = 0.0,
    log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "info",
    data_dir: DataDir = None,
) -> None:
    """Run the API, and worker processes as its children that stop with it (honours TESTAMENT_* settings)."""
    if workers and no_workers:
        fail("--workers counts the worker processes that --no-workers turns off: give one of them")
    import uvicorn

    from testament.api.app import create_app
    from testament.cli.children import WorkerChildren, concurrency_per_child

    settings = command_settings(data_dir)
    url = f"http://{host}:{port}"
    if not settings.public_url:
        settings = settings.model_copy(update={"public_url": url})
    if demo and "callback_allow_local" not in settings.model_fields_set:
        # the demo's callback examples point at a receiver on this machine
        settings = settings.model_copy(update={"callback_allow_local": True})
    with refusing_to_start():
        application = create_app(settings, run_executions=False)  # its children run them
    children = None
    if not no_workers:
        count = workers or min(os.cpu_count() or 1, 64)
        each = concurrency_per_child(settings.workers, count)
        children = WorkerChildren(
            count,
            each,
            grace_s=grace,
            data_dir=settings.data_dir,
            public_url=settings.public_url,
            log_level=log_level,
        )
        children.start()
        err.print(f"{count} worker processes run {each} executions at once each", markup=False)
    if demo:
        from testament.cli.demo import ensure_demo

        info = ensure_demo(application.state.ctx)
        console.print(
            f"\n[bold green]Testament[/] is starting at [bold]{url}[/] (API docs: {url}/api/v1/docs)\n"
            f"Demo workspace [bold]{info['workspace_id']}[/]; its admin key (sign in with it at {url}/):\n\n"
            f"  export TESTAMENT_URL={url}\n  export TESTAMENT_API_KEY={info['token']}\n\n"
            "Then try:  .venv/bin/testament run health --wait\n"
            "      or:  .venv/bin/testament run nightly --wait\n",
            highlight=False,
            soft_wrap=True,
        )
    config = uvicorn.Config(application, host=host, port=port, log_level=log_level)
    server = _server_class()(config, children)  # a class made here: uvicorn loads only for serve
    try:
        server.run()
    finally:
        if children is not None:
            children.stop()


def _server_class() -> Any:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, telling the worker children to drain the moment it is told to stop
        (not after its own shutdown): a run cut short is cut short at once."""

        def __init__(self, config: uvicorn.Config, children: Any) -> None:
            super().__init__(config)
            self.children = children

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            if self.children is not None:
                self.children.terminate()
            super().handle_exit(sig, frame)

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            # uvicorn raises the signal that stopped it again once it has shut down, which ends
            # this process on the spot: the children must have drained before that, or the
            # cut-short runs they hand back would die with them as orphans
            with super().capture_signals():
                try:
                    yield
                finally:
                    if self.children is not None:
                        self.children.stop()

    return Server


@app.command()
def migrate(data_dir: DataDir = None) -> None:
    """Bring the database schema to the newest version (serve does this too)."""
    from testament.store.db import migrate as do_migrate

    settings = command_settings(data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    do_migrate(settings.database_url)
    console.print("database is up to date")


@workspace_app.command("create")
def workspace_create(name: str, as_json: AsJson = False, data_dir: DataDir = None) -> None:
    """Create a workspace."""
    from testament.services.workspaces import create_workspace

    try:
        ws = create_workspace(_context(data_dir), name)
    except TestamentError as exc:
        fail(exc.message)
    data = {"id": ws.id, "name": ws.name, "created_at": ws.created_at.isoformat()}
    print_json(data) if as_json else console.print(f"workspace {ws.id} ({ws.name})", markup=False)


@key_app.command("create")
def key_create(
    workspace: Annotated[str, typer.Option(help="the workspace id")],
    role: Annotated[str, typer.Option(help="admin, manager, tester or viewer")],
    user: Annotated[str, typer.Option(help="who uses the key")] = "",
    as_json: AsJson = False,
    data_dir: DataDir = None,
) -> None:
    """Issue a key: a Bearer token, and an access key pair for AWS SigV4. Shown once."""
    from testament.services.keys import create_key

    try:
        issued = create_key(_context(data_dir), workspace, parse_role(role), user)
    except TestamentError as exc:
        fail(exc.message)
    data = {
        "id": issued.id,
        "workspace_id": issued.workspace_id,
        "user": issued.user_name,
        "role": issued.role.value,
        "token": issued.token,
        "access_key_id": issued.access_key_id,
        "secret_access_key": issued.secret_access_key,
    }
    if as_json:
        print_json(data)
    else:
        console.print("\n".join(f"{k}: {v}" for k, v in data.items()), markup=False)


@key_app.command("list")
def key_list(
    workspace: Annotated[str, typer.Option(help="the workspace id")],
    as_json: AsJson = False,
    data_dir: DataDir = None,
) -> None:
    """A workspace's keys (no secrets: they are shown only at creation)."""
    from testament.services.keys import list_keys

    try:
        keys = list_keys(_context(data_dir), workspace)
    except TestamentError as exc:
        fail(exc.message)
    rows = [
        {
            "id": k.id,
            "user": k.user_name,
            "role": k.role.value,
            "access_key_id": k.access_key_id,
            "created_at": k.created_at.isoformat(),
            "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
        }
        for k in keys
    ]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        console.print(
            f"{row['id']}  {row['role']:<8} {row['user']:<20} {row['access_key_id']}  {state}", markup=False
        )


@key_app.command("revoke")
def key_revoke(key_id: str, data_dir: DataDir = None) -> None:
    """Revoke a key at once."""
    from testament.services.keys import revoke_key

    try:
        revoke_key(_context(data_dir), key_id)
    except TestamentError as exc:
        fail(exc.message)
    console.print(f"key {key_id} is revoked", markup=False)


@app.command()
def apply(
    file: Annotated[Path, typer.Option("-f", "--file", dir_okay=False, help="a YAML bundle")],
    server: Server = DEFAULT_SERVER,
    key: Key = "",
    as_json: AsJson = False,
) -> None:
    """Create or update environments, test cases, suites and plans from YAML, by name (idempotent)."""
    try:
        bundle = read_bundle(file)
    except BundleFileError as exc:
        fail(str(exc))
    with api_client(server, key) as client:
        try:
            results = client.post("/apply", bundle.data)["results"]
        except ApiError as exc:
            problems = exc.body.get("errors") or []
            if not problems:
                fail(exc.describe())
            err.print(f"error: {file}: {len(problems)} problem(s), nothing was applied:", markup=False)
            for problem in problems:
                field = str(problem.get("field", ""))
                err.print(f"  {bundle.where(field)}: {problem.get('rule')}", markup=False)
            raise typer.Exit(2) from None
    if as_json:
        print_json(results)
        return
    for line in results:
        console.print(f"{line['action']:>9}  {line['kind']:<12} {line['name']}  [dim]{line['id']}[/]")


@app.command()
def run(
    target: Annotated[str, typer.Argument(help="a test case or plan, by id or name")],
    wait: Annotated[
        bool,
        typer.Option(
            "--wait", help="follow until it ends; exit 0 only if all passed (or the plan's quality gate held)"
        ),
    ] = False,
    junit: Annotated[Path | None, typer.Option(help="write a JUnit XML report here (with --wait)")] = None,
    environment: Annotated[str | None, typer.Option("--env", help="an environment, by id or name")] = None,
    client_token: Annotated[str | None, typer.Option(help="idempotency token")] = None,
    var: Annotated[list[str] | None, typer.Option(help="NAME=VALUE, overrides a variable")] = None,
    timeout: Annotated[
        float | None,
        typer.Option(help="with --wait: stop waiting after this many seconds (exit 124)", min=0.1),
    ] = None,
    stop_on_interrupt: Annotated[
        bool,
        typer.Option(
            "--stop-on-interrupt", help="with --wait: on Ctrl-C, SIGTERM or --timeout, stop the run too"
        ),
    ] = False,
    as_json: AsJson = False,
    server: Server = DEFAULT_SERVER,
    key: Key = "",
) -> None:
    """Start a test case or a plan; with --wait, follow it and exit by its outcome."""
    given = {"--junit": junit, "--timeout": timeout, "--stop-on-interrupt": stop_on_interrupt}
    if not wait and (needing := [flag for flag, value in given.items() if value is not None and value]):
        fail(f"{' and '.join(needing)} {'needs' if len(needing) == 1 else 'need'} --wait")
    if junit and (problem := run_cmd.check_junit_path(junit)):
        fail(problem)
    variables = _parse_vars(var or [])
    body = {"variables": variables, "environment_id": environment, "client_token": client_token}
    progress = err if as_json else console
    started: dict[str, Any] | None = None
    with api_client(server, key) as client, run_cmd.interrupt_signals():
        try:
            started = run_cmd.start(client, target, {k: v for k, v in body.items() if v})
            cases = run_cmd.load_cases(client, started["executions"])
            _announce(client, started, cases, variables, progress)
            if not wait:
                print_json(started) if as_json else None
                return
            report = run_cmd.follow(client, started, progress, cases=cases, timeout_s=timeout)
        except ApiError as exc:
            _api_failure(exc)
        except run_cmd.Interrupted as exc:
            _left_running(client, started, exc, stop_on_interrupt)
            raise typer.Exit(exc.exit_code) from None
    _finish(report, target, junit, as_json, progress)


def _parse_vars(items: list[str]) -> dict[str, str]:
    variables = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            fail(f"--var {item!r}: expected NAME=VALUE")
        variables[name] = value
    return variables


def _announce(
    client: ApiClient,
    started: dict[str, Any],
    cases: dict[str, run_cmd.TestCaseInfo],
    variables: dict[str, str],
    progress: Console,
) -> None:
    """Say what started (ids first: a run outlives the command), and what it needs from people."""
    executions = started["executions"]
    replayed = " (an earlier start with this client token)" if started.get("replayed") else ""
    if started.get("plan_run_id"):
        progress.print(
            f"plan run {started['plan_run_id']} started{replayed}: {len(executions)} execution(s)",
            markup=False,
        )
    for x in executions:
        name = cases[x["test_case_id"]].name if x["test_case_id"] in cases else x["test_case_id"]
        label = f"{name} [{x['data_set_name']}]" if x.get("data_set_name") else name
        progress.print(f"execution {x['id']} {label}: {x['status']}{replayed}", markup=False)
        if notice := run_cmd.manual_notice(client, cases, x):
            warn(notice)
    if page := run_cmd.run_page(client, started):
        progress.print(f"follow it in the browser: {page}", markup=False)
    if unused := run_cmd.unused_variables(variables, cases):
        warn(f"--var {', '.join(unused)}: used by no test case of this run (a typo?)")


def _left_running(
    client: ApiClient, started: dict[str, Any] | None, why: run_cmd.Interrupted, stop: bool
) -> None:
    """The wait ended early: stop the run, or say what goes on and how to stop it."""
    if started is None:
        err.print(f"{why.why}: nothing was started", markup=False)
        return
    ids = [x["id"] for x in started["executions"]]
    running = []
    for x in ids:
        try:
            status = client.get(f"/executions/{x}")["status"]
        except ApiError:
            status = "unknown"
        if status not in run_cmd.TERMINAL:
            running.append(f"{x} ({status})")
    handle = started.get("plan_run_id") or " ".join(ids)
    if not running:
        err.print(f"{why.why}; the run had ended", markup=False)
    elif stop:
        try:
            _stop(client, started.get("plan_run_id") or "", ids)
            err.print(f"{why.why}; stopped: {', '.join(running)}", markup=False)
        except ApiError as exc:
            err.print(f"{why.why}; could not stop it ({exc.describe()})", markup=False)
    else:
        err.print(f"{why.why}; still running on the server: {', '.join(running)}", markup=False)
        err.print(f"to stop it: testament stop {handle}", markup=False)


def _stop(client: ApiClient, plan_run_id: str, execution_ids: list[str]) -> list[dict[str, Any]]:
    if plan_run_id:
        return [client.post(f"/plan-runs/{plan_run_id}/stop")]
    return [client.post(f"/executions/{x}/stop") for x in execution_ids]


def _finish(
    report: run_cmd.RunReport, target: str, junit: Path | None, as_json: bool, progress: Console
) -> None:
    if report.plan_run is not None:
        for line in run_cmd.gate_lines(report.plan_run):
            progress.print(line, markup=False)
    if junit:
        try:
            run_cmd.write_junit(report, junit, target)
        except OSError as exc:
            fail(f"--junit {junit}: cannot be written ({exc.strerror or exc})")
        progress.print(f"JUnit report: {junit}", markup=False)
    if as_json:
        print_json(report.as_json())
    else:
        console.print(run_cmd.summary_table(report))
    raise typer.Exit(EXIT_PASSED if report.passed else EXIT_FAILED)


@app.command()
def stop(
    run_id: Annotated[list[str], typer.Argument(help="execution or plan run ids", show_default=False)],
    as_json: AsJson = False,
    server: Server = DEFAULT_SERVER,
    key: Key = "",
) -> None:
    """Stop executions or plan runs (cooperatively: each ends STOPPED at its next step)."""
    answers = []
    with api_client(server, key) as client:
        for ident in run_id:
            try:
                answers.append(_stop_one(client, ident))
            except ApiError as exc:
                _api_failure(exc)
    if as_json:
        print_json(answers)
        return
    for answer in answers:
        kind = "plan run" if "executions" in answer else "execution"
        console.print(f"{kind} {answer['id']}: {answer['status']}", markup=False)


def _stop_one(client: ApiClient, ident: str) -> dict[str, Any]:
    try:
        answer: dict[str, Any] = client.post(f"/executions/{ident}/stop")
        return answer
    except ApiError as exc:
        if exc.status != 404:
            raise
    try:
        plan_run: dict[str, Any] = client.post(f"/plan-runs/{ident}/stop")
        return plan_run
    except ApiError as exc:
        if exc.status == 404:
            raise ApiError(404, {"detail": f"no execution or plan run has the id {ident!r}"}) from None
        raise


@app.command()
def show(
    run_id: Annotated[str, typer.Argument(help="an execution or plan run id", show_default=False)],
    as_json: AsJson = False,
    server: Server = DEFAULT_SERVER,
    key: Key = "",
) -> None:
    """Show an execution or a plan run: every record, with what was sent and received, captures,
    failed expectations and artifacts."""
    with api_client(server, key) as client:
        try:
            plan_run, executions = _find_run(client, run_id)
            report = run_cmd.RunReport(executions, run_cmd.load_cases(client, executions), plan_run=plan_run)
            report.records = {x["id"]: client.all_records(x["id"]) for x in executions}
            artifacts = {x["id"]: client.get(f"/executions/{x['id']}/artifacts")["items"] for x in executions}
        except ApiError as exc:
            _api_failure(exc)
    if as_json:
        data = report.as_json()
        for x in data["executions"]:
            x["artifacts"] = artifacts[x["id"]]
        print_json(data)
        return
    _print_run(report, artifacts)


def _find_run(client: ApiClient, run_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    try:
        return None, [client.get(f"/executions/{run_id}")]
    except ApiError as exc:
        if exc.status != 404:
            raise
    try:
        plan_run = client.get(f"/plan-runs/{run_id}")
    except ApiError as exc:
        if exc.status == 404:
            raise ApiError(404, {"detail": f"no execution or plan run has the id {run_id!r}"}) from None
        raise
    return plan_run, plan_run["executions"]


def _print_run(report: run_cmd.RunReport, artifacts: dict[str, list[dict[str, Any]]]) -> None:
    console.print(run_cmd.summary_table(report))
    for x in report.executions:
        console.print(f"\n{run_cmd.execution_line(report, x)}", markup=False)
        if x.get("score") and x["score"]["scoreboard"]["noOfQuestions"]:
            for line in run_cmd.score_lines(x["score"]):
                console.print(line, markup=False)
        for record in report.records[x["id"]]:
            for line in run_cmd.record_lines(report.label(x), record, detail=True):
                console.print(line, markup=False)
        for artifact in artifacts[x["id"]]:
            console.print(
                f"  artifact {artifact['id']} {artifact['name']} ({artifact['media_type']}, "
                f"{artifact['size']} bytes): GET /api/v1/artifacts/{artifact['id']}",
                markup=False,
            )
    if report.plan_run is not None:
        console.print()
        for line in run_cmd.gate_lines(report.plan_run):
            console.print(line, markup=False)


@app.command("list")
def list_runs(
    what: Annotated[str, typer.Argument(help="executions or plan-runs")] = "executions",
    test_case: Annotated[str | None, typer.Option(help="executions of this test case (id or name)")] = None,
    plan: Annotated[str | None, typer.Option(help="plan runs of this plan (id or name)")] = None,
    plan_run: Annotated[str | None, typer.Option(help="executions of this plan run")] = None,
    status: Annotated[
        str | None, typer.Option(help="QUEUED, RUNNING, PASSED, FAILED, STOPPED or ERROR")
    ] = None,
    tag: Annotated[str | None, typer.Option(help="its test case's tag: key or key=value")] = None,
    since: Annotated[str | None, typer.Option(help="queued at or after (ISO 8601)")] = None,
    until: Annotated[str | None, typer.Option(help="queued before (ISO 8601)")] = None,
    limit: Annotated[int, typer.Option(help="at most this many, newest first", min=1, max=1000)] = 20,
    as_json: AsJson = False,
    server: Server = DEFAULT_SERVER,
    key: Key = "",
) -> None:
    """List executions or plan runs, newest first."""
    if what not in ("executions", "plan-runs"):
        fail(f"list {what!r}: expected executions or plan-runs")
    execution_filters = {"test_case": test_case, "plan_run": plan_run, "status": status, "tag": tag}
    execution_filters |= {"since": since, "until": until}
    if what == "plan-runs" and (
        used := [f"--{k.replace('_', '-')}" for k, v in execution_filters.items() if v]
    ):
        fail(f"{', '.join(used)}: filter executions, not plan runs (plan runs take --plan)")
    if what == "executions" and plan:
        fail("--plan filters plan runs: use `testament list plan-runs --plan NAME`")
    with api_client(server, key) as client:
        try:
            if what == "plan-runs":
                page = client.get("/plan-runs", plan_id=plan, limit=limit)
                items = [client.get(f"/plan-runs/{r['id']}") for r in page["items"]]
                plans = {r["plan_id"]: _plan_name(client, r["plan_id"]) for r in items}
            else:
                page = client.get(
                    "/executions",
                    test_case_id=test_case,
                    plan_run_id=plan_run,
                    status=status.upper() if status else None,
                    tag=tag,
                    since=since,
                    until=until,
                    limit=limit,
                )
                items = page["items"]
                cases = run_cmd.load_cases(client, items)
        except ApiError as exc:
            _api_failure(exc)
    if as_json:
        print_json({"items": items})
        return
    if what == "plan-runs":
        console.print(_plan_runs_table(items, plans))
    else:
        console.print(run_cmd.summary_table(run_cmd.RunReport(items, cases)))


def _plan_name(client: ApiClient, plan_id: str) -> str:
    try:
        return str(client.get(f"/plans/{plan_id}")["name"])
    except ApiError as exc:
        if exc.status == 404:
            return f"{plan_id} (deleted)"
        raise


def _plan_runs_table(items: list[dict[str, Any]], plans: dict[str, str]) -> Table:
    table = Table(title="Plan runs", expand=False, box=box.SIMPLE_HEAD, show_edge=False)
    for column in ("plan run", "plan", "status", "executions", "score", "gate", "created"):
        table.add_column(column)
    for r in items:
        gate = "-" if r.get("gate_passed") is None else ("passed" if r["gate_passed"] else "failed")
        table.add_row(
            r["id"],
            plans.get(r["plan_id"], r["plan_id"]),
            run_cmd.styled(r["status"]),
            str(len(r["executions"])),
            run_cmd.describe_score(r["score"]),
            gate,
            r["created_at"],
        )
    return table


app.command()(worker_cmd.worker)
app.command()(worker_cmd.workers)

if __name__ == "__main__":
    app()
