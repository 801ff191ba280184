"""Workspace resources through the native API, and the way runners resolve references."""

from typing import Any

import httpx

from testament.domain.access import Role
from testament.services.resources import find_resource
from tests.conftest import Workspace, new_workspace

LAMBDA = {
    "FunctionArn": "arn:aws:lambda:eu-west-2:123456789012:function:lookup",
    "Url": "http://127.0.0.1:1/x",
}


def test_a_resource_is_created_read_changed_listed_and_deleted(api: httpx.Client) -> None:
    created = api.post("/resources/connect.lambda", json={"name": "lookup", "body": LAMBDA})
    assert created.status_code == 201, created.text
    rid = created.json()["id"]

    changed = api.patch(
        f"/resources/connect.lambda/{rid}", json={"body": {**LAMBDA, "Url": "http://127.0.0.1:2/y"}}
    )
    listed = api.get("/resources/connect.lambda").json()["items"]

    assert changed.json()["body"]["Url"] == "http://127.0.0.1:2/y"
    assert [r["name"] for r in listed] == ["lookup"]
    assert api.delete(f"/resources/connect.lambda/{rid}").status_code == 204
    assert api.get(f"/resources/connect.lambda/{rid}").status_code == 404


def test_a_bad_kind_and_a_duplicate_name_are_refused(api: httpx.Client) -> None:
    bad_kind = api.post("/resources/Connect Flow", json={"name": "x"})
    api.post("/resources/connect.queue", json={"name": "q"})
    duplicate = api.post("/resources/connect.queue", json={"name": "q"})
    assert bad_kind.status_code == 422 and bad_kind.json()["errors"][0]["field"] == "kind"
    assert duplicate.status_code == 409


def test_a_runner_finds_a_resource_by_id_name_or_arn_but_only_in_its_workspace(
    api: httpx.Client, workspace: Workspace, live: Any
) -> None:
    rid = api.post("/resources/connect.lambda", json={"name": "lookup", "body": LAMBDA}).json()["id"]
    ctx = live.ctx
    for reference in (rid, "lookup", LAMBDA["FunctionArn"], f"arn:aws:connect:x:1:instance/i/flow/{rid}"):
        found = find_resource(ctx, workspace.id, "connect.lambda", reference)
        assert found is not None and found.id == rid, reference
    other = new_workspace(ctx, live.url)
    assert find_resource(ctx, other.id, "connect.lambda", rid) is None
    assert find_resource(ctx, workspace.id, "connect.flow", rid) is None


def test_a_viewer_reads_resources_but_cannot_write_them(workspace: Workspace) -> None:
    with workspace.client(Role.VIEWER) as viewer:
        assert viewer.get("/resources/connect.flow").status_code == 200
        assert viewer.post("/resources/connect.flow", json={"name": "f"}).status_code == 403
