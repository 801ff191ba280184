"""Testsigma's upload and upload-version lists page by number: each page is a window the
database cuts (with the count beside it), not a slice of every upload."""

from collections.abc import Iterator

import httpx
import pytest

from testament.domain.access import Role
from tests.conftest import LiveServer, Workspace


@pytest.fixture
def testsigma(live: LiveServer, workspace: Workspace) -> Iterator[httpx.Client]:
    token = workspace.keys[Role.ADMIN].token
    with httpx.Client(
        base_url=f"{live.url}/testsigma/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        yield client


def test_uploads_and_their_versions_come_in_numbered_pages(
    testsigma: httpx.Client, api: httpx.Client
) -> None:
    made = [api.post("/uploads", json={"name": f"app-{i}"}).json() for i in range(3)]
    for n in range(3):
        added = api.post(
            f"/uploads/{made[0]['id']}/versions",
            params={"name": f"1.{n}", "file_name": "a.apk"},
            content=b"x",
        )
        assert added.status_code == 201, added.text

    first = testsigma.get("/uploads", params={"page": 0, "size": 2}).json()
    second = testsigma.get("/uploads", params={"page": 1, "size": 2}).json()
    beyond = testsigma.get("/uploads", params={"page": 5, "size": 2}).json()
    versions = testsigma.get(
        "/upload_versions", params={"query": f"uploadId:{first['content'][0]['id']}", "page": 1, "size": 2}
    ).json()

    assert [u["name"] for u in first["content"] + second["content"]] == ["app-0", "app-1", "app-2"]
    assert (first["totalElements"], first["totalPages"], first["first"], first["last"]) == (3, 2, True, False)
    assert (second["numberOfElements"], second["last"]) == (1, True)
    assert beyond["content"] == [] and beyond["totalElements"] == 3
    assert [v["name"] for v in versions["content"]] == ["1.2"] and versions["totalElements"] == 3
