"""The composition root builds the engine alone: a worker process needs neither the web framework nor
a surface to run executions and deliver callbacks."""

import json
import subprocess
import sys
from pathlib import Path

from tests.integration.conftest import fresh_database_url

WEB_SIDE = ("fastapi", "starlette", "uvicorn", "testament.api", "testament.compat", "testament.surfaces")

# Builds, starts and stops the engine in a fresh interpreter, then names every module it loaded.
BUILD_THE_ENGINE = """
import json, sys
from pathlib import Path
from testament.bootstrap import build_context, build_engine
from testament.config import Settings

settings = Settings(data_dir=Path(sys.argv[1]), database_url=sys.argv[2], secret_key="test-secret")
ctx = build_context(settings)
engine = build_engine(ctx, render=lambda ctx, callback: {"instance": callback.instance_id})
engine.start()
engine.shutdown()
ctx.db.dispose()
print(json.dumps(sorted(sys.modules)))
"""


def modules_loaded_by_building_the_engine(tmp_path: Path) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", BUILD_THE_ENGINE, str(tmp_path / "data"), fresh_database_url(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    loaded: list[str] = json.loads(result.stdout.splitlines()[-1])
    return loaded


def test_building_and_running_the_engine_loads_no_web_framework_and_no_surface(tmp_path: Path) -> None:
    loaded = modules_loaded_by_building_the_engine(tmp_path)
    assert "testament.engine.local" in loaded, "the engine the settings name was built"
    assert "testament.engine.callbacks" in loaded, "the callback deliverer was built"
    web = [name for name in loaded if name.startswith(WEB_SIDE)]
    assert web == []
