"""Imports point one way (entry points → engine → services/runners → store → domain → kit)."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_import_layers_hold() -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is part of the dev dependencies"
    result = subprocess.run([lint_imports], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_surfaces_neither_reach_the_store_nor_each_other() -> None:
    """The contracts that keep surfaces translators exist (the test above proves they hold)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = {c["name"]: c for c in config["tool"]["importlinter"]["contracts"]}
    no_store = next(c for name, c in contracts.items() if name.startswith("Surfaces do not import the store"))
    assert no_store["type"] == "forbidden" and no_store["source_modules"] == ["testament.compat"]
    assert {"testament.store", "sqlalchemy"} <= set(no_store["forbidden_modules"])
    apart = contracts["Surfaces never import each other"]
    assert apart["type"] == "independence"
    surfaces = {p.name for p in (ROOT / "src/testament/compat").iterdir() if (p / "__init__.py").exists()}
    assert set(apart["modules"]) == {f"testament.compat.{name}" for name in surfaces}
