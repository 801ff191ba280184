"""`testament`: serve, administer, apply, run.

The contract outside tools rely on (keep it stable):
  testament serve --host H --port P
  testament workspace create NAME --json        → {"id": ...}
  testament key create --workspace ID --role ROLE [--user NAME] --json
                                                → {"token", "access_key_id", "secret_access_key", ...}
  testament apply -f FILE.yaml
  testament run TEST_CASE_OR_PLAN --wait [--junit out.xml]   (exit 0 only when all passed,
                                                             or the plan's pass_ratio gate held)
"""

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console

from testament.cli import run as run_cmd
from testament.cli.client import ApiClient, ApiError
from testament.config import Settings
from testament.domain.access import parse_role
from testament.domain.errors import TestamentError

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="Testament: a self-hosted test execution server."
)
workspace_app = typer.Typer(no_args_is_help=True, help="Workspaces (works on the database directly).")
key_app = typer.Typer(no_args_is_help=True, help="API keys (works on the database directly).")
app.add_typer(workspace_app, name="workspace")
app.add_typer(key_app, name="key")

console = Console()
err = Console(stderr=True)

Server = Annotated[str, typer.Option("--server", envvar="TESTAMENT_URL", help="the server's base URL")]
Key = Annotated[
    str, typer.Option("--key", envvar="TESTAMENT_API_KEY", help="an API key token", show_default=False)
]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON only")]


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[red]error:[/] {message}", markup=True, highlight=False)
    raise typer.Exit(code)


def _context() -> Any:
    from testament.bootstrap import build_context

    return build_context(Settings())


def _emit(data: dict[str, Any], as_json: bool, human: str) -> None:
    if as_json:
        sys.stdout.write(json.dumps(data) + "\n")
    else:
        console.print(human)


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
    workers: Annotated[int | None, typer.Option(help="local worker pool size")] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "info",
) -> None:
    """Run the API and, with the local executor, the workers (honours TESTAMENT_* settings)."""
    import uvicorn

    from testament.api.app import create_app

    overrides: dict[str, Any] = {"workers": workers} if workers else {}
    settings = Settings(**overrides)
    url = f"http://{host}:{port}"
    if not settings.public_url:
        settings = settings.model_copy(update={"public_url": url})
    if demo and "callback_allow_local" not in settings.model_fields_set:
        # the demo's callback examples point at a receiver on this machine
        settings = settings.model_copy(update={"callback_allow_local": True})
    application = create_app(settings)
    if demo:
        from testament.cli.demo import ensure_demo

        info = ensure_demo(application.state.ctx)
        console.print(
            f"\n[bold green]Testament[/] is starting at [bold]{url}[/] (API docs: {url}/api/v1/docs)\n"
            f"Demo workspace [bold]{info['workspace_id']}[/]; its admin key:\n\n"
            f"  export TESTAMENT_URL={url}\n  export TESTAMENT_API_KEY={info['token']}\n\n"
            "Then try:  .venv/bin/testament run health --wait\n"
            "      or:  .venv/bin/testament run nightly --wait\n",
            highlight=False,
            soft_wrap=True,
        )
    uvicorn.run(application, host=host, port=port, log_level=log_level)


@workspace_app.command("create")
def workspace_create(name: str, as_json: AsJson = False) -> None:
    """Create a workspace."""
    from testament.services.admin import create_workspace

    try:
        ws = create_workspace(_context(), name)
    except TestamentError as exc:
        _fail(exc.message)
    _emit(
        {"id": ws.id, "name": ws.name, "created_at": ws.created_at.isoformat()},
        as_json,
        f"workspace {ws.id} ({ws.name})",
    )


@key_app.command("create")
def key_create(
    workspace: Annotated[str, typer.Option(help="the workspace id")],
    role: Annotated[str, typer.Option(help="admin, manager, tester or viewer")],
    user: Annotated[str, typer.Option(help="who uses the key")] = "",
    as_json: AsJson = False,
) -> None:
    """Issue a key: a Bearer token, and an access key pair for AWS SigV4. Shown once."""
    from testament.services.admin import create_key

    try:
        issued = create_key(_context(), workspace, parse_role(role), user)
    except TestamentError as exc:
        _fail(exc.message)
    data = {
        "id": issued.id,
        "workspace_id": issued.workspace_id,
        "user": issued.user_name,
        "role": issued.role.value,
        "token": issued.token,
        "access_key_id": issued.access_key_id,
        "secret_access_key": issued.secret_access_key,
    }
    _emit(data, as_json, "\n".join(f"{k}: {v}" for k, v in data.items()))


@key_app.command("list")
def key_list(
    workspace: Annotated[str, typer.Option(help="the workspace id")], as_json: AsJson = False
) -> None:
    """A workspace's keys (no secrets: they are shown only at creation)."""
    from testament.services.admin import list_keys

    try:
        keys = list_keys(_context(), workspace)
    except TestamentError as exc:
        _fail(exc.message)
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
        sys.stdout.write(json.dumps(rows) + "\n")
        return
    for row in rows:
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        console.print(f"{row['id']}  {row['role']:<8} {row['user']:<20} {row['access_key_id']}  {state}")


@key_app.command("revoke")
def key_revoke(key_id: str) -> None:
    """Revoke a key at once."""
    from testament.services.admin import revoke_key

    try:
        revoke_key(_context(), key_id)
    except TestamentError as exc:
        _fail(exc.message)
    console.print(f"key {key_id} is revoked")


def _client(server: str, key: str) -> ApiClient:
    if not key:
        _fail("no API key: pass --key or set TESTAMENT_API_KEY")
    return ApiClient(server, key)


@app.command()
def apply(
    file: Annotated[Path, typer.Option("-f", "--file", exists=True, dir_okay=False, help="a YAML bundle")],
    server: Server = "http://127.0.0.1:8000",
    key: Key = "",
    as_json: AsJson = False,
) -> None:
    """Create or update environments, test cases, suites and plans from YAML, by name (idempotent)."""
    try:
        bundle = yaml.safe_load(file.read_text())
    except yaml.YAMLError as exc:
        _fail(f"{file} is not valid YAML: {exc}")
    with _client(server, key) as client:
        try:
            results = client.post("/apply", bundle or {})["results"]
        except ApiError as exc:
            for problem in exc.body.get("errors", []):
                err.print(f"  {problem['field']}: {problem['rule']}", markup=False)
            _fail(exc.describe())
    if as_json:
        sys.stdout.write(json.dumps(results) + "\n")
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
    server: Server = "http://127.0.0.1:8000",
    key: Key = "",
) -> None:
    """Start a test case or a plan."""
    if junit and not wait:
        _fail("--junit needs --wait: the report is written when the run ends")
    variables = {}
    for item in var or []:
        name, sep, value = item.partition("=")
        if not sep:
            _fail(f"--var {item!r}: expected NAME=VALUE")
        variables[name] = value
    body: dict[str, Any] = {
        "variables": variables,
        "environment_id": environment,
        "client_token": client_token,
    }
    with _client(server, key) as client:
        try:
            started = run_cmd.start(client, target, {k: v for k, v in body.items() if v})
            if not wait:
                console.print_json(json.dumps(started))
                return
            report = run_cmd.wait_and_report(client, started, console)
        except ApiError as exc:
            _fail(exc.describe())
    if junit:
        run_cmd.write_junit(report, junit, target)
        console.print(f"JUnit report: {junit}")
    raise typer.Exit(0 if report.passed else 1)


@app.command()
def show(
    execution_id: str,
    server: Server = "http://127.0.0.1:8000",
    key: Key = "",
) -> None:
    """Show one execution and all its records."""
    with _client(server, key) as client:
        try:
            execution = client.get(f"/executions/{execution_id}")
            report = run_cmd.RunReport([execution], {})
            report.names = {
                execution["test_case_id"]: run_cmd.test_case_name(client, execution["test_case_id"])
            }
            report.records = {execution_id: client.all_records(execution_id)}
        except ApiError as exc:
            _fail(exc.describe())
    console.print(run_cmd._table(report))
    run_cmd._print_records(report, console)


@app.command()
def migrate() -> None:
    """Bring the database schema to the newest version (serve does this too)."""
    from testament.store.db import migrate as do_migrate

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    do_migrate(settings.database_url)
    console.print("database is up to date")


if __name__ == "__main__":
    app()
