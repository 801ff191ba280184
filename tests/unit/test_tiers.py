"""Every test belongs to exactly one tier, the folder it lives in, and `pytest -m <tier>` (what
`make test-unit`, `make test-integration` and `make test-e2e` run) selects exactly that folder."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_TIERS

ROOT = Path(__file__).resolve().parents[2]

# Loaded into a pytest run of its own: writes what that run collected, with each test's tier markers.
REPORTER = """
import json, os

def pytest_collection_finish(session):
    tiers = set(json.loads(os.environ["TIER_NAMES"]))
    rows = [
        {"path": str(item.path), "tiers": sorted({mark.name for mark in item.iter_markers()} & tiers)}
        for item in session.items
    ]
    with open(os.environ["TIER_REPORT"], "w") as out:
        json.dump(rows, out)
"""


def collected(tmp_path: Path, *args: str) -> list[dict[str, Any]]:
    """Collect the suite as `pytest <args>` would, in a process of its own; one row per test."""
    (tmp_path / "tier_reporter.py").write_text(REPORTER)
    report = tmp_path / "report.json"
    python_path = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    env = {
        **os.environ,
        "PYTHONPATH": python_path,
        "TIER_NAMES": json.dumps(TEST_TIERS),
        "TIER_REPORT": str(report),
    }
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    result = subprocess.run(
        [*command, "-p", "tier_reporter", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    rows: list[dict[str, Any]] = json.loads(report.read_text())
    return rows


def folder_of(row: dict[str, Any]) -> str:
    return Path(row["path"]).relative_to(ROOT / "tests").parts[0]


@pytest.fixture(scope="module")
def whole_suite(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return collected(tmp_path_factory.mktemp("whole"))


def test_every_collected_test_has_exactly_one_tier_marker_the_folder_it_lives_in(
    whole_suite: list[dict[str, Any]],
) -> None:
    astray = [row for row in whole_suite if row["tiers"] != [folder_of(row)]]
    assert not astray, f"tests whose tier markers are not exactly their folder: {astray[:10]}"


def test_each_tier_holds_tests(whole_suite: list[dict[str, Any]]) -> None:
    assert {folder_of(row) for row in whole_suite} == set(TEST_TIERS)


def first_test_file_of_each_tier() -> list[str]:
    return [str(sorted((ROOT / "tests" / tier).glob("test_*.py"))[0]) for tier in TEST_TIERS]


@pytest.mark.parametrize("tier", TEST_TIERS)
def test_selecting_a_tier_by_marker_keeps_its_tests_and_drops_the_others(
    tier: str, whole_suite: list[dict[str, Any]], tmp_path: Path
) -> None:
    # the markers are set before `-m` deselects: a file of each tier, selected by one marker
    files = first_test_file_of_each_tier()
    selected = collected(tmp_path, "-m", tier, *files)
    assert selected
    assert selected == [row for row in whole_suite if row["path"] in files and folder_of(row) == tier]
