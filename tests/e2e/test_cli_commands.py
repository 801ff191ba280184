"""CLI commands whose subject is their arguments and output, not processes: run in process
(Typer's runner) against the test server, so they cost milliseconds rather than a Python start
each. What is about processes (signals, `serve`, exit on a dead server) stays in test_cli.py
and test_cli_in_ci.py, which run the real command."""

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from typer.testing import CliRunner, Result

from testament.cli.main import app
from testament.config import Settings
from testament.domain.access import Role
from testament.services import keys, workspaces
from tests.conftest import LiveServer


class Cli:
    """The `testament` command in process, with a user's environment."""

    def __init__(self, settings: Settings) -> None:
        self.env: dict[str, str | None] = {
            "TESTAMENT_URL": None,  # none of the developer's own
            "TESTAMENT_API_KEY": None,
            "TESTAMENT_DATA_DIR": str(settings.data_dir),
            "TESTAMENT_DATABASE_URL": settings.database_url,
            "TESTAMENT_SECRET_KEY": settings.secret_key,
        }

    def __call__(self, *args: str) -> Result:
        return CliRunner().invoke(app, list(args), env=self.env, catch_exceptions=False)

    def json(self, *args: str) -> Any:
        result = self(*args, "--json")
        assert result.exit_code == 0, result.stdout + result.stderr
        return json.loads(result.stdout)


@pytest.fixture
def cli(settings: Settings) -> Cli:
    return Cli(settings)


@pytest.fixture
def signed_in(cli: Cli, live: LiveServer) -> Cli:
    """The command with a server and an admin key of a workspace of its own."""
    workspace = workspaces.create_workspace(live.ctx, "cli")
    key = keys.create_key(live.ctx, workspace.id, Role.ADMIN, "ci")
    cli.env.update(TESTAMENT_URL=live.url, TESTAMENT_API_KEY=key.token)
    return cli


def test_admin_commands_print_json_with_the_contract_fields(cli: Cli) -> None:
    workspace = cli.json("workspace", "create", "contract")
    key = cli.json("key", "create", "--workspace", workspace["id"], "--role", "viewer", "--user", "v")

    assert {"token", "access_key_id", "secret_access_key"} <= set(key)
    assert key["role"] == "viewer" and key["workspace_id"] == workspace["id"]
    assert re.fullmatch(r"AKTS[A-Z0-9]{16}", key["access_key_id"])


def test_key_create_refuses_an_unknown_role_and_workspace(cli: Cli) -> None:
    workspace = cli.json("workspace", "create", "w")["id"]
    bad_role = cli("key", "create", "--workspace", workspace, "--role", "root", "--json")
    no_workspace = cli("key", "create", "--workspace", "nope", "--role", "admin", "--json")

    assert bad_role.exit_code == 2 and "role" in bad_role.stderr
    assert no_workspace.exit_code == 2 and "workspace" in no_workspace.stderr


def test_apply_reports_every_bad_field_and_writes_nothing(signed_in: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump(
            {
                "test_cases": [
                    {
                        "name": "a",
                        "kind": "http",
                        "content": {"steps": [{"name": "s", "request": {"url": "ftp://x"}}]},
                    },
                ],
                "suites": [{"name": "s", "test_cases": ["missing"]}],
            }
        )
    )

    result = signed_in("apply", "-f", str(bad))

    assert result.exit_code == 2
    assert "test_cases[0].content.steps[0].request.url" in result.stderr
    assert "suites[0].test_cases[0]" in result.stderr
    listed = httpx.get(
        f"{signed_in.env['TESTAMENT_URL']}/api/v1/test-cases",
        headers={"Authorization": f"Bearer {signed_in.env['TESTAMENT_API_KEY']}"},
    ).json()
    assert listed["items"] == []


def test_run_without_a_key_says_how_to_give_one(cli: Cli) -> None:
    result = cli("run", "anything")
    assert result.exit_code == 2 and "TESTAMENT_API_KEY" in result.stderr


def test_run_names_the_target_it_could_not_find(signed_in: Cli) -> None:
    result = signed_in("run", "no-such-thing", "--wait")
    assert result.exit_code == 2
    assert "no test case or plan has the id or name 'no-such-thing'" in result.stderr


def test_junit_without_wait_is_refused_before_anything_starts(cli: Cli, tmp_path: Path) -> None:
    cli.env["TESTAMENT_API_KEY"] = "tst_unused"
    result = cli("run", "x", "--junit", str(tmp_path / "r.xml"))
    assert result.exit_code == 2 and "--junit needs --wait" in result.stderr
    assert not (tmp_path / "r.xml").exists()
