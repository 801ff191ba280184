"""deploy/ is checked here, as far as CI can without containers or a running systemd.

- Every systemd unit passes `systemd-analyze verify`. It needs no running systemd and works
  offline, as root and not, but it refuses a unit whose ExecStart binary does not exist: the
  units name the installed path (/opt/testament/bin/testament), so each is verified as a copy
  that names an executable stub instead. Unknown keys and unparsable values are only warnings
  (exit 0): any output fails the test too. Without `systemd-analyze` these tests skip, unless
  TESTAMENT_TEST_DEPLOY=1 (`.ci/run` sets it after installing systemd) makes that a failure.
- deploy/compose.yaml validates against the Compose Specification's JSON schema
  (tests/fixtures/compose/, where it came from is in its README).
- What neither tool can know: the stop timeouts outlast the workers' --grace (or a draining
  worker is killed), the API runs no executions, whatever needs the database waits for it,
  every process gets the secret key from one place, only the API publishes a port.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml

from testament.config import Settings
from tests.conftest import deploy_tools_required

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SYSTEMD = DEPLOY / "systemd"
UNITS = sorted(SYSTEMD.glob("*.service"))
COMPOSE_SCHEMA = ROOT / "tests" / "fixtures" / "compose" / "compose_spec.json"
INSTALLED_BINARY = "/opt/testament/bin/testament"
DATA_DIR = "/var/lib/testament"
# Environment-file entries that are not settings: the worker units' extra arguments.
NOT_SETTINGS = {"TESTAMENT_WORKER_ARGS"}

# ------------------------------------------------------------------------ helpers


def parse_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """A unit file's sections, each key with all its values in order (systemd allows repeats)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def service(unit: str) -> dict[str, list[str]]:
    return parse_unit(SYSTEMD / unit)["Service"]


def option_value(args: list[str], option: str) -> str:
    """The value after `option` in an argument list; fails the test when it is not there."""
    assert option in args, f"{option} is not in {args}"
    return args[args.index(option) + 1]


def seconds(duration: str) -> float:
    """A systemd or Compose duration ("90s", "1m30s", "2min", "45") in seconds."""
    units = {"h": 3600, "m": 60, "min": 60, "s": 1, "ms": 0.001, "": 1}
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*(ms|min|h|m|s|)", duration.strip())
    assert parts and "".join(n + u for n, u in parts) == duration.replace(" ", ""), duration
    return sum(float(number) * units[unit] for number, unit in parts)


def env_file_keys(path: Path) -> set[str]:
    """The variables an environment file sets (commented-out examples included)."""
    return set(re.findall(r"^#?(TESTAMENT_\w+)=", path.read_text(), re.MULTILINE))


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return data


def services_running_testament(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services that run Testament (the image built from deploy/Dockerfile)."""
    return {name: s for name, s in spec["services"].items() if s.get("image") == "testament:local"}


# ------------------------------------------------------------------------ systemd


@pytest.fixture(scope="module")
def analyzer() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        if deploy_tools_required():
            pytest.fail("TESTAMENT_TEST_DEPLOY=1 but systemd-analyze is not installed (Debian: systemd)")
        pytest.skip("tier systemd units is off: install systemd (systemd-analyze) to run it")
    return found


def verify(analyzer: str, units: list[Path], folder: Path) -> str:
    """`systemd-analyze verify` of copies of `units` whose ExecStart names an executable stub;
    its whole output (empty when all is well)."""
    stub = folder / "testament"
    stub.write_text("#!/bin/sh\nexit 0\n")
    stub.chmod(0o755)
    copies = []
    for unit in units:
        copy = folder / unit.name
        copy.write_text(unit.read_text().replace(INSTALLED_BINARY, str(stub)))
        copies.append(copy)
    result = subprocess.run(
        [analyzer, "verify", "--man=no", *map(str, copies)], capture_output=True, text=True, timeout=60
    )
    output = (result.stdout + result.stderr).strip()
    return output if output or result.returncode == 0 else f"exit {result.returncode}"


def test_the_units_are_the_api_the_worker_template_and_the_migration() -> None:
    assert [u.name for u in UNITS] == [
        "testament-api.service",
        "testament-migrate.service",
        "testament-worker@.service",
    ]


def test_every_unit_file_passes_systemd_analyze_verify(analyzer: str, tmp_path: Path) -> None:
    # together, so that the Wants=/After= between them resolve as they would when installed
    assert verify(analyzer, UNITS, tmp_path) == ""


def test_the_verification_reports_a_misspelled_key_and_a_bad_value(analyzer: str, tmp_path: Path) -> None:
    broken = tmp_path / "src" / "testament-api.service"
    broken.parent.mkdir()
    text = (SYSTEMD / "testament-api.service").read_text()
    broken.write_text(text.replace("NoNewPrivileges=yes", "NoNewPrivilege=yes").replace("=strict", "=strikt"))
    output = verify(analyzer, [broken], tmp_path)
    assert "NoNewPrivilege" in output
    assert "strikt" in output


def test_the_workers_stop_timeout_outlasts_their_grace() -> None:
    worker = service("testament-worker@.service")
    grace = float(option_value(worker["ExecStart"][-1].split(), "--grace"))
    assert worker["KillSignal"] == ["SIGTERM"]
    assert seconds(worker["TimeoutStopSec"][-1]) > grace


def test_the_api_runs_no_executions_and_listens_on_loopback() -> None:
    args = service("testament-api.service")["ExecStart"][-1].split()
    assert args[:2] == [INSTALLED_BINARY, "serve"]
    assert "--no-workers" in args
    assert option_value(args, "--host") == "127.0.0.1"


def test_the_migration_is_one_shot_and_runs_before_the_api_and_the_workers() -> None:
    assert service("testament-migrate.service")["Type"] == ["oneshot"]
    assert service("testament-migrate.service")["ExecStart"][-1].split()[1:] == ["migrate"]
    for unit in ("testament-api.service", "testament-worker@.service"):
        section = parse_unit(SYSTEMD / unit)["Unit"]
        assert "testament-migrate.service" in " ".join(section["After"]).split(), unit
        assert "testament-migrate.service" in " ".join(section["Wants"]).split(), unit


@pytest.mark.parametrize("unit", [u.name for u in UNITS])
def test_every_unit_is_hardened_and_writes_only_the_data_directory(unit: str) -> None:
    options = service(unit)
    hardening = {
        "User": "testament",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "NoNewPrivileges": "yes",
        "PrivateTmp": "yes",
        "ReadWritePaths": DATA_DIR,
        "EnvironmentFile": "/etc/testament/testament.env",
    }
    assert {key: options.get(key, ["(none)"])[-1] for key in hardening} == hardening
    if options["Type"] != ["oneshot"]:
        assert options["Restart"] == ["on-failure"]


def test_the_environment_file_example_names_real_settings() -> None:
    example = SYSTEMD / "testament.env.example"
    keys = env_file_keys(example)
    assert {
        "TESTAMENT_DATABASE_URL",
        "TESTAMENT_SECRET_KEY",
        "TESTAMENT_DATA_DIR",
        "TESTAMENT_PUBLIC_URL",
    } <= keys
    settings = {f"TESTAMENT_{name.upper()}" for name in Settings.model_fields}
    assert keys - NOT_SETTINGS <= settings, f"not settings: {keys - NOT_SETTINGS - settings}"
    assert f"TESTAMENT_DATA_DIR={DATA_DIR}" in example.read_text()


# ------------------------------------------------------------------------ compose


@pytest.fixture(scope="module")
def compose_validator() -> Any:
    return jsonschema_rs.validator_for(json.loads(COMPOSE_SCHEMA.read_text()))


def test_the_compose_file_validates_against_the_compose_specification(compose_validator: Any) -> None:
    assert [error.message for error in compose_validator.iter_errors(compose())] == []


def test_the_schema_refuses_a_broken_compose_file(compose_validator: Any) -> None:
    spec = compose()
    spec["services"]["worker"]["deploy"]["replicas"] = "two"
    spec["services"]["api"]["depends_on"]["db"]["condition"] = "when_ready"
    assert len(list(compose_validator.iter_errors(spec))) == 2


def test_the_compose_file_runs_the_migration_the_api_and_workers_on_postgresql() -> None:
    spec = compose()
    assert spec["services"]["db"]["image"].startswith("postgres:")
    services = services_running_testament(spec)
    assert sorted(services) == ["api", "migrate", "worker"]
    assert services["migrate"]["command"] == ["migrate"]
    assert services["api"]["command"][:2] == ["serve", "--no-workers"]
    assert services["worker"]["command"][0] == "worker"
    assert services["worker"]["deploy"]["replicas"] >= 2


def test_the_workers_stop_grace_period_outlasts_their_grace() -> None:
    worker = compose()["services"]["worker"]
    grace = float(option_value(worker["command"], "--grace"))
    assert worker.get("stop_signal", "SIGTERM") == "SIGTERM"
    assert seconds(worker["stop_grace_period"]) > grace


def test_whatever_needs_the_database_waits_for_it_healthy_and_for_the_migration() -> None:
    spec = compose()
    assert "pg_isready" in " ".join(spec["services"]["db"]["healthcheck"]["test"])
    assert "/healthz" in " ".join(spec["services"]["api"]["healthcheck"]["test"])
    for name, s in services_running_testament(spec).items():
        assert s["depends_on"]["db"] == {"condition": "service_healthy"}, name
        if name != "migrate":
            assert s["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name


def test_every_process_takes_the_secret_key_and_the_database_from_one_env_file() -> None:
    services = services_running_testament(compose())
    assert {tuple(s["env_file"]) for s in services.values()} == {("testament.env",)}
    for name, s in services.items():
        overridden = set(s.get("environment", {})) & {"TESTAMENT_SECRET_KEY", "TESTAMENT_DATABASE_URL"}
        assert not overridden, f"{name} sets {overridden} apart from the others"
    example = DEPLOY / "testament.env.example"
    assert {"TESTAMENT_SECRET_KEY", "TESTAMENT_DATABASE_URL"} <= env_file_keys(example)
    settings = {f"TESTAMENT_{name.upper()}" for name in Settings.model_fields}
    assert env_file_keys(example) <= settings


def test_only_the_api_publishes_a_port_and_on_the_hosts_loopback() -> None:
    # Inside its container the API listens on 0.0.0.0 (its own network namespace); on the host,
    # only the API's published port listens, on 127.0.0.1, for a TLS proxy in front of it.
    services = compose()["services"]
    publishing = {name for name, s in services.items() if s.get("ports") or s.get("expose")}
    assert publishing == {"api"}
    assert all(str(port).startswith("127.0.0.1:") for port in services["api"]["ports"])
    assert not any(s.get("network_mode") == "host" for s in services.values())


def test_the_image_is_python_3_11_slim_installed_from_the_lock_file_and_not_root() -> None:
    lines = [line.strip() for line in (DEPLOY / "Dockerfile").read_text().splitlines()]
    assert "FROM python:3.11-slim" in lines
    assert "RUN pip install -r requirements.lock" in lines
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
