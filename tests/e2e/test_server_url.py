"""`testament serve` tells executions its own address as `testament_url`, unless one is configured."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import wait_finished
from tests.e2e.processes import Installation
from tests.integration.conftest import fresh_database_url


@pytest.fixture
def installation(tmp_path: Path, target: Any) -> Iterator[Installation]:
    inst = Installation(tmp_path / "data", fresh_database_url(tmp_path), public_url=target.url)
    yield inst
    inst.stop()


def test_a_configured_public_url_is_the_testament_url_executions_see(installation: Installation) -> None:
    workspace = installation.cli_json("workspace", "create", "url")["id"]
    token = installation.cli_json("key", "create", "--workspace", workspace, "--role", "admin")["token"]
    installation.serve()
    step = {"name": "get", "request": {"url": "{{testament_url}}/ok"}, "expect": {"status": 200}}
    case = {"name": "own url", "kind": "http", "publish": True, "content": {"steps": [step]}}
    with httpx.Client(
        base_url=installation.url + "/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as api:
        case_id = api.post("/test-cases", json=case).json()["id"]
        started = api.post("/executions", json={"test_case_id": case_id}).json()
        finished = wait_finished(api, started["id"])
        record = api.get(f"/executions/{started['id']}/records").json()["items"][0]["record"]

    assert finished["status"] == "PASSED"
    assert record["request"]["url"] == installation.env["TESTAMENT_PUBLIC_URL"] + "/ok"
