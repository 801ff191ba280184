"""The CLI as users and outside checks drive it, as a real process against a real server process
(the commands whose subject is their arguments and output run in process: test_cli_commands.py)."""

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.processes import Installation
from tests.integration.conftest import fresh_database_url


@pytest.fixture
def installation(tmp_path: Path) -> Iterator[Installation]:
    inst = Installation(tmp_path / "data", fresh_database_url(tmp_path))
    yield inst
    inst.stop()


def admin_env(installation: Installation) -> dict[str, str]:
    workspace = installation.cli_json("workspace", "create", "cli")["id"]
    token = installation.cli_json(
        "key", "create", "--workspace", workspace, "--role", "admin", "--user", "ci"
    )["token"]
    installation.serve()
    installation.env.update(TESTAMENT_URL=installation.url, TESTAMENT_API_KEY=token)
    return installation.env


def write_bundle(path: Path, target_url: str) -> Path:
    bundle = {
        "environments": [{"name": "local", "variables": {"base": target_url}}],
        "test_cases": [
            {
                "name": "ok",
                "kind": "http",
                "content": {
                    "steps": [{"name": "get", "request": {"url": "{{base}}/ok"}, "expect": {"status": 200}}]
                },
                "data_sets": [{"name": "first", "variables": {}}, {"name": "second", "variables": {}}],
            },
            {
                "name": "broken",
                "kind": "http",
                "content": {
                    "steps": [{"name": "get", "request": {"url": "{{base}}/ok"}, "expect": {"status": 418}}]
                },
            },
        ],
        "suites": [{"name": "good", "test_cases": ["ok"]}, {"name": "all", "test_cases": ["ok", "broken"]}],
        "plans": [
            {"name": "green", "suites": ["good"], "environment": "local"},
            {"name": "red", "suites": ["all"], "environment": "local"},
        ],
    }
    path.write_text(yaml.safe_dump(bundle))
    return path


def test_apply_is_idempotent_and_run_wait_exits_by_outcome_with_junit(
    installation: Installation, target: Any, tmp_path: Path
) -> None:
    admin_env(installation)
    bundle = write_bundle(tmp_path / "bundle.yaml", target.url)

    first = json.loads(installation.cli("apply", "-f", str(bundle), "--json").stdout)
    second = json.loads(installation.cli("apply", "-f", str(bundle), "--json").stdout)
    green = installation.cli("run", "green", "--wait", "--junit", str(tmp_path / "green.xml"), check=False)
    red = installation.cli("run", "red", "--wait", "--junit", str(tmp_path / "red.xml"), check=False)

    assert {r["action"] for r in first} == {"created"}
    assert {r["action"] for r in second if r["kind"] == "test_case"} == {"unchanged"}
    assert green.returncode == 0, green.stdout + green.stderr
    assert red.returncode == 1, red.stdout + red.stderr
    assert "expected status 418" in red.stdout or "418" in red.stdout
    suite = ET.parse(tmp_path / "red.xml").getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("3", "1")
    names = sorted(c.get("name") or "" for c in suite.iter("testcase"))
    assert names == ["broken", "ok [first]", "ok [second]"]


def test_the_demo_goes_from_serve_to_a_passing_plan_with_records(
    installation: Installation, tmp_path: Path
) -> None:
    log = (tmp_path / "serve.log").open("w")
    installation.serve(None, "--demo", stdout=log)
    printed = (tmp_path / "serve.log").read_text()
    token = re.search(r"TESTAMENT_API_KEY=(tst_\S+)", printed)
    assert token, printed
    assert f"sign in with it at {installation.url}/" in printed  # the web UI, at the server's root
    installation.env.update(TESTAMENT_URL=installation.url, TESTAMENT_API_KEY=token.group(1))

    single = installation.cli("run", "health", "--wait", check=False)
    assert single.returncode == 0, single.stdout + single.stderr
    run = installation.cli("run", "nightly", "--wait", check=False)
    shown_id = re.search(r"health (\S+) → PASSED", run.stdout)

    assert run.returncode == 0, run.stdout + run.stderr
    assert shown_id, run.stdout
    show = installation.cli("show", shown_id.group(1))
    assert "healthz: PASSED HTTP 200" in show.stdout


def test_run_wait_honours_the_plans_quality_gate_and_show_prints_scores(
    installation: Installation, target: Any, tmp_path: Path
) -> None:
    admin_env(installation)
    steps = [
        {"name": "up", "request": {"url": f"{target.url}/ok"}, "expect": {"status": 200}, "points": 3,
         "section": "core", "dimensions": ["availability"]},
        {"name": "teapot", "request": {"url": f"{target.url}/ok"}, "expect": {"status": 418}, "points": 1,
         "section": "edge", "dimensions": ["availability/odd"]},
    ]  # fmt: skip
    content = {
        "steps": steps,
        "continue_on_failure": True,
        "effects": [{"name": "pct", "formula": "overall * 100"}],
    }

    def apply(pass_ratio: float) -> None:
        bundle = {
            "test_cases": [{"name": "scored", "kind": "http", "content": content}],
            "suites": [{"name": "s", "test_cases": ["scored"]}],
            "plans": [{"name": "gated", "suites": ["s"], "pass_ratio": pass_ratio}],
        }
        (tmp_path / "b.yaml").write_text(yaml.safe_dump(bundle))
        installation.cli("apply", "-f", str(tmp_path / "b.yaml"))

    apply(0.7)
    lenient = installation.cli("run", "gated", "--wait", check=False)
    apply(0.8)
    strict = installation.cli("run", "gated", "--wait", check=False)
    execution = re.search(r"scored (\S+) →", strict.stdout)
    assert execution is not None, strict.stdout
    shown = installation.cli("show", execution.group(1))

    # 3 of 4 points: 0.75 passes a 0.7 gate and fails a 0.8 one, though a step failed in both
    assert lenient.returncode == 0, lenient.stdout + lenient.stderr
    assert "quality gate (score ratio >= 0.7): passed at 0.75" in lenient.stdout
    assert strict.returncode == 1 and "quality gate (score ratio >= 0.8): failed at 0.75" in strict.stdout
    for line in ("score 3/4 (75%)", "section core: 3/3 (100%)", "dimension availability: 3/4 (75%)",
                 "availability/odd: 0/1 (0%)", "effect pct: 75"):  # fmt: skip
        assert line in shown.stdout, shown.stdout
