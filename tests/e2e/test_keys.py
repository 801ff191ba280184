"""Keys: an admin lists and revokes its workspace's keys; a revoked key is refused at once."""

from typing import Any

import httpx

from testament.domain.access import Role
from tests.conftest import Workspace, new_workspace
from tests.e2e.processes import Installation
from tests.integration.conftest import fresh_database_url


def test_an_admin_lists_its_workspaces_keys_without_their_secrets(
    workspace: Workspace, api: httpx.Client
) -> None:
    listed = api.get("/keys").json()["items"]

    assert {k["id"] for k in listed} == {k.id for k in workspace.keys.values()}
    assert all("token" not in k and "secret_access_key" not in k for k in listed)


def test_only_an_admin_may_list_or_revoke_keys(workspace: Workspace) -> None:
    with workspace.client(Role.MANAGER) as manager:
        assert manager.get("/keys").status_code == 403
        assert manager.delete(f"/keys/{workspace.keys[Role.VIEWER].id}").status_code == 403


def test_a_revoked_key_is_refused_at_once(workspace: Workspace, api: httpx.Client) -> None:
    tester = workspace.keys[Role.TESTER]
    with workspace.client(Role.TESTER) as client:
        assert client.get("/test-cases").status_code == 200
        assert api.delete(f"/keys/{tester.id}").status_code == 204
        assert client.get("/test-cases").status_code == 401
    revoked = [k for k in api.get("/keys").json()["items"] if k["id"] == tester.id]
    assert revoked[0]["revoked_at"] is not None


def test_an_admin_cannot_revoke_another_workspaces_key(live: Any, api: httpx.Client) -> None:
    other = new_workspace(live.ctx, live.url)
    assert api.delete(f"/keys/{other.keys[Role.ADMIN].id}").status_code == 404
    with other.client() as still_valid:
        assert still_valid.get("/whoami").json()["workspace_id"] == other.id


def test_the_cli_lists_and_revokes_keys_on_the_database(tmp_path: Any) -> None:
    inst = Installation(tmp_path / "data", fresh_database_url(tmp_path))
    workspace = inst.cli_json("workspace", "create", "keys")["id"]
    key = inst.cli_json("key", "create", "--workspace", workspace, "--role", "tester", "--user", "ann")

    inst.cli("key", "revoke", key["id"])
    listed = inst.cli_json("key", "list", "--workspace", workspace)

    assert [(k["id"], k["user"], k["role"]) for k in listed] == [(key["id"], "ann", "tester")]
    assert listed[0]["revoked_at"] is not None
    assert "secret_access_key" not in listed[0]
