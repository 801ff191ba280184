"""The CLI as a CI pipeline drives it: output into a log (not a terminal), cancellation by
signal, timeouts, reports, listings and clear errors, against a real server process."""

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from testament.bootstrap import build_context
from testament.config import Settings
from testament.domain.access import Role
from testament.services import keys, workspaces
from tests.conftest import free_port
from tests.e2e.processes import CLI, Installation
from tests.integration.conftest import fresh_database_url

TEAPOT = {"status": 418}


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installation]:
    """One server process for the module; each test works in a workspace of its own."""
    folder = tmp_path_factory.mktemp("cli-in-ci")
    inst = Installation(folder / "data", fresh_database_url(folder))
    inst.serve()
    yield inst
    inst.stop()


@pytest.fixture
def installation(tmp_path: Path) -> Iterator[Installation]:
    inst = Installation(tmp_path / "data", fresh_database_url(tmp_path))
    yield inst
    inst.stop()


@pytest.fixture
def server(running: Installation, target: Any, tmp_path: Path) -> Installation:
    """The running server, seen with a fresh workspace's admin key, with a bundle applied."""
    ctx = build_context(
        Settings(
            data_dir=Path(running.env["TESTAMENT_DATA_DIR"]),
            database_url=running.env["TESTAMENT_DATABASE_URL"],
        )
    )
    workspace = workspaces.create_workspace(ctx, "ci")
    token = keys.create_key(ctx, workspace.id, Role.ADMIN, "ci").token
    ctx.db.dispose()
    inst = running.with_key(token)
    bundle = {
        "test_cases": [
            {
                "name": "two steps",
                "kind": "http",
                "content": {
                    "variables": {"wait_ms": "0"},
                    "steps": [
                        {
                            "name": "quick",
                            "request": {"url": f"{target.url}/ok"},
                            "capture": {"answer": {"jsonpath": "$.ok"}},
                            "expect": {"status": 200},
                        },
                        {
                            "name": "slow",
                            "request": {"url": f"{target.url}/slow?ms={{{{wait_ms}}}}", "timeout_s": 30},
                            "expect": {"status": 200},
                        },
                    ],
                },
            },
            {
                "name": "teapot",
                "kind": "http",
                "content": {
                    "steps": [
                        {"name": "get", "request": {"url": f"{target.url}/ok"}, "expect": {"status": 418}}
                    ]
                },
            },
            {
                "name": "by hand",
                "kind": "manual",
                "content": {"steps": [{"description": "Look", "expected_result": "Seen"}]},
            },
        ],
        "suites": [{"name": "both", "test_cases": ["two steps", "teapot"]}],
        "plans": [{"name": "all", "suites": ["both"]}],
    }
    path = tmp_path / "bundle.yaml"
    path.write_text(yaml.safe_dump(bundle))
    inst.cli("apply", "-f", str(path))
    return inst


def api(inst: Installation) -> httpx.Client:
    return httpx.Client(
        base_url=inst.url + "/api/v1",
        headers={"Authorization": f"Bearer {inst.env['TESTAMENT_API_KEY']}"},
        timeout=30,
    )


def spawn(inst: Installation, *args: str) -> subprocess.Popen[str]:
    """The CLI with stdout and stderr into pipes, as a CI runner captures them."""
    return subprocess.Popen(
        [*CLI, *args], env=inst.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def read_until(stream: Any, needle: str, timeout_s: float = 30) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        lines.append(line)
        if needle in line:
            return lines
    raise AssertionError(f"{needle!r} not printed; got {lines}")


def execution_status(inst: Installation, execution_id: str) -> str:
    with api(inst) as client:
        return str(client.get(f"/executions/{execution_id}").json()["status"])


def started_id(lines: list[str]) -> str:
    return next(line.split()[1] for line in lines if line.startswith("execution "))


def test_run_wait_into_a_log_prints_each_step_as_it_finishes(server: Installation) -> None:
    proc = spawn(server, "run", "two steps", "--wait", "--var", "wait_ms=2500")
    assert proc.stdout is not None
    lines = read_until(proc.stdout, "quick: PASSED")
    still_running = proc.poll() is None
    rest, errors = proc.communicate(timeout=60)

    assert still_running, "the first step's line came only at the end"
    assert proc.returncode == 0, rest + errors
    printed = "".join(lines) + rest
    assert "two steps #2 slow: PASSED HTTP 200" in printed
    assert "→ PASSED" in printed
    assert "\x1b[" not in printed and "\r" not in printed  # plain: no colours, no redrawing


def test_sigterm_during_wait_prints_what_is_left_running_and_stop_stops_it(server: Installation) -> None:
    proc = spawn(server, "run", "two steps", "--wait", "--var", "wait_ms=20000")
    assert proc.stdout is not None
    lines = read_until(proc.stdout, "quick: PASSED")
    execution_id = started_id(lines)
    proc.send_signal(signal.SIGTERM)
    _, errors = proc.communicate(timeout=30)

    assert proc.returncode == 143
    assert f"still running on the server: {execution_id} (RUNNING)" in errors
    assert f"testament stop {execution_id}" in errors
    assert execution_status(server, execution_id) == "RUNNING"

    stopped = server.cli("stop", execution_id)
    assert f"execution {execution_id}: " in stopped.stdout
    deadline = time.monotonic() + 30
    while execution_status(server, execution_id) != "STOPPED" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert execution_status(server, execution_id) == "STOPPED"


def test_ctrl_c_with_stop_on_interrupt_stops_the_run(server: Installation) -> None:
    proc = spawn(server, "run", "two steps", "--wait", "--stop-on-interrupt", "--var", "wait_ms=20000")
    assert proc.stdout is not None
    execution_id = started_id(read_until(proc.stdout, "quick: PASSED"))
    proc.send_signal(signal.SIGINT)
    _, errors = proc.communicate(timeout=30)

    assert proc.returncode == 130
    assert f"stopped: {execution_id}" in errors
    with api(server) as client:
        body = client.get(f"/executions/{execution_id}").json()
    assert body["stop_requested"] is True


def test_timeout_ends_the_wait_with_124_and_names_the_run(server: Installation) -> None:
    result = server.cli("run", "by hand", "--wait", "--timeout", "1", check=False)

    assert result.returncode == 124
    assert "timed out after 1 s; still running on the server" in result.stderr
    assert "testament stop" in result.stderr


def test_waiting_on_a_manual_test_case_says_a_person_must_record_it_and_where(server: Installation) -> None:
    result = server.cli("run", "by hand", "--wait", "--timeout", "1", check=False)

    assert "by hand is a manual test case" in result.stderr
    assert "a person records each step's outcome" in result.stderr
    execution_id = next(w for w in result.stdout.split() if w.count("-") == 4)
    assert f"POST {server.url}/api/v1/executions/{execution_id}/steps" in result.stderr
    assert f"in the browser at {server.url}/manual/{execution_id}" in result.stderr
    assert f"follow it in the browser: {server.url}/runs/{execution_id}" in result.stdout


def test_an_unwritable_junit_path_exits_2_before_anything_starts(
    server: Installation, tmp_path: Path
) -> None:
    result = server.cli(
        "run", "all", "--wait", "--junit", str(tmp_path / "no" / "such" / "r.xml"), check=False
    )

    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr
    with api(server) as client:
        assert client.get("/executions").json()["items"] == []


def test_run_json_prints_one_object_and_progress_on_stderr(server: Installation) -> None:
    result = server.cli("run", "all", "--wait", "--json", check=False)

    assert result.returncode == 1  # teapot fails
    report = json.loads(result.stdout)
    assert report["passed"] is False
    assert report["plan_run"]["id"] and len(report["executions"]) == 2
    assert {x["status"] for x in report["executions"]} == {"PASSED", "FAILED"}
    assert f"plan run {report['plan_run']['id']} started" in result.stderr
    assert f"follow it in the browser: {server.url}/plan-runs/{report['plan_run']['id']}" in result.stderr


def test_show_prints_the_exchange_captures_failures_and_accepts_a_plan_run(server: Installation) -> None:
    run = json.loads(server.cli("run", "all", "--wait", "--json", check=False).stdout)
    two_steps = next(x for x in run["executions"] if x["test_case_name"] == "two steps")

    shown = server.cli("show", two_steps["id"]).stdout
    plan = server.cli("show", run["plan_run"]["id"]).stdout
    as_json = json.loads(server.cli("show", two_steps["id"], "--json").stdout)

    assert "→ GET http" in shown and "← 200 in" in shown
    assert "content-type: application/json" in shown  # response headers
    assert '{"ok": true}' in shown or '"ok":true' in shown  # body excerpt
    assert "captured answer = True" in shown
    assert "teapot" in plan and "✗ status: expected 418, got 200" in plan
    assert f"plan run {run['plan_run']['id']}: FAILED" in plan
    assert as_json["executions"][0]["records_list"][0]["record"]["captures"] == {"answer": True}


def test_list_filters_executions_and_plan_runs(server: Installation) -> None:
    server.cli("run", "all", "--wait", check=False)
    server.cli("run", "teapot", "--wait", check=False)

    failed = json.loads(server.cli("list", "--status", "failed", "--json").stdout)["items"]
    by_name = json.loads(server.cli("list", "--test-case", "two steps", "--json").stdout)["items"]
    plan_runs = json.loads(server.cli("list", "plan-runs", "--plan", "all", "--json").stdout)["items"]
    table = server.cli("list", "plan-runs").stdout
    wrong = server.cli("list", "plan-runs", "--status", "FAILED", check=False)

    assert len(failed) == 2 and {x["status"] for x in failed} == {"FAILED"}
    assert len(by_name) == 1
    assert len(plan_runs) == 1 and plan_runs[0]["status"] == "FAILED"
    assert "all" in table and plan_runs[0]["id"] in table
    assert wrong.returncode == 2 and "--status" in wrong.stderr


def test_an_unknown_var_is_warned_about(server: Installation) -> None:
    result = server.cli("run", "two steps", "--var", "wiat_ms=5", "--var", "wait_ms=1")

    assert "warning: --var wiat_ms: used by no test case of this run" in result.stderr
    assert "wait_ms" not in result.stderr.replace("wiat_ms", "")


def test_a_server_that_is_down_is_one_clear_line(installation: Installation) -> None:
    installation.env.update(TESTAMENT_URL=f"http://127.0.0.1:{free_port()}", TESTAMENT_API_KEY="tst_x")
    result = installation.cli("list", check=False)

    assert result.returncode == 2
    assert result.stderr.startswith("error: cannot reach the Testament server at http://127.0.0.1:")
    assert result.stderr.strip().count("\n") == 0 and "0:" not in result.stderr


def test_version_and_short_help(installation: Installation) -> None:
    version = installation.cli("--version")
    short_help = installation.cli("-h")
    run_help = installation.cli("run", "-h")

    assert version.stdout.startswith("testament ") and version.stdout.split()[1][0].isdigit()
    assert "stop" in short_help.stdout and "list" in short_help.stdout
    assert "--stop-on-interrupt" in run_help.stdout and "--timeout" in run_help.stdout


def test_apply_errors_name_the_file_and_line_once(server: Installation, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "test_cases:\n"
        "  - name: x\n"
        "    kind: http\n"
        "    content:\n"
        "      steps:\n"
        "        - name: s\n"
        "          request: {url: 'ftp://x'}\n"
        "          expect:\n"
        "            json:\n"
        "              '$.a': {equals: 1, lenght: 2}\n"
    )
    syntax = tmp_path / "syntax.yaml"
    syntax.write_text("test_cases: [\n")
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing yet\n")

    result = server.cli("apply", "-f", str(bad), check=False)
    broken = server.cli("apply", "-f", str(syntax), check=False)
    nothing = server.cli("apply", "-f", str(empty), check=False)

    assert result.returncode == 2
    assert f"{bad}:7: test_cases[0].content.steps[0].request.url: must start with http" in result.stderr
    assert f"{bad}:10: test_cases[0].content.steps[0].expect.json" in result.stderr
    assert result.stderr.count("request.url") == 1
    assert broken.returncode == 2 and f"{syntax}:2:1: not valid YAML" in broken.stderr
    assert "<unicode string>" not in broken.stderr
    assert nothing.returncode == 2 and "is empty" in nothing.stderr


def test_admin_commands_find_the_data_directory_in_the_documented_order(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / ".testament").mkdir(parents=True)
    (project / "src" / "deep").mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESTAMENT_")}
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg")

    def create(cwd: Path, *extra: str, **more_env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CLI, "workspace", "create", "w", "--json", *extra],
            cwd=cwd,
            env={**env, **more_env},
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )

    walked = create(project / "src" / "deep")
    per_user = create(elsewhere)
    from_env = create(elsewhere, TESTAMENT_DATA_DIR=str(tmp_path / "env-dir"))
    from_flag = create(
        elsewhere, "--data-dir", str(tmp_path / "flag-dir"), TESTAMENT_DATA_DIR=str(tmp_path / "x")
    )

    assert (project / ".testament" / "testament.db").exists()
    assert f"data directory {project / '.testament'}, from the .testament folder" in walked.stderr
    assert (tmp_path / "xdg" / "testament" / "testament.db").exists()
    assert "from the per-user data directory" in per_user.stderr
    assert (tmp_path / "env-dir" / "testament.db").exists() and "from TESTAMENT_DATA_DIR" in from_env.stderr
    assert (tmp_path / "flag-dir" / "testament.db").exists() and "from --data-dir" in from_flag.stderr
    assert not (tmp_path / "x").exists()
    assert not (elsewhere / ".testament").exists()
    assert json.loads(walked.stdout)["id"]  # stdout stays pure JSON


def test_the_database_line_hides_a_password(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TESTAMENT_DATA_DIR": str(tmp_path),
        "TESTAMENT_DATABASE_URL": "postgresql+psycopg://app:hunter2@127.0.0.1:1/none",
    }
    result = subprocess.run(
        [*CLI, "key", "list", "--workspace", "w"], env=env, capture_output=True, text=True, timeout=60
    )

    assert "postgresql+psycopg://app:***@127.0.0.1:1/none" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout
