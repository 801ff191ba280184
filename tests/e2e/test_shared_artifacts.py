"""Artifacts in a fleet: an execution run by one `testament serve` process is downloadable, with
the same bytes, through another that has a data folder of its own (as on another machine). The
database keeps the files: the default on PostgreSQL (TESTAMENT_TEST_DATABASE_URL), set on SQLite."""

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from testament.bootstrap import build_context
from testament.config import Settings
from testament.services import keys
from testament.services.blobs import CHUNK_BYTES
from testament.services.executions import delete_execution
from testament.store.db import Database
from testament.store.tables import artifacts, blob_chunks
from tests.conftest import wait_finished
from tests.e2e.processes import Installation
from tests.integration.conftest import fresh_database_url

KEY = "shared-deployment-key"
# longer than a record keeps (so the runner keeps it as an artifact), and than one chunk
BODY = b"".join(b"line %06d of a long answer\n" % n for n in range(40_000))


class _LongAnswer(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def long_answer() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _LongAnswer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/report"
    server.shutdown()
    server.server_close()


@pytest.fixture
def database(tmp_path: Path) -> str:
    return fresh_database_url(tmp_path)


@pytest.fixture
def fleet(tmp_path: Path, database: str) -> Iterator[list[Installation]]:
    """Two processes on one database with data folders of their own: `runs` runs executions,
    `serves` only answers the API."""
    store = {} if database.startswith("postgresql") else {"artifact_store": "database"}
    made = [Installation(tmp_path / f"host{n}", database, secret_key=KEY, **store) for n in (1, 2)]
    yield made
    for installation in made:
        installation.stop()


def _api(url: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=url + "/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30)


def _chunks_of(database: str, key: str) -> int:
    db = Database(database)
    try:
        with db.reading() as session:
            return int(session.scalar(select(func.count()).where(blob_chunks.c.blob_id == key)) or 0)
    finally:
        db.dispose()


def test_an_artifact_kept_by_one_process_downloads_through_another(
    tmp_path: Path, database: str, fleet: list[Installation], long_answer: str
) -> None:
    runs, serves = fleet
    workspace = runs.cli_json("workspace", "create", "artifacts")["id"]
    token = runs.cli_json("key", "create", "--workspace", workspace, "--role", "admin")["token"]
    runs.serve()
    serves.serve(None, "--no-workers")

    step = {"name": "fetch", "request": {"url": long_answer}}
    case = {"kind": "http", "name": "long answer", "content": {"steps": [step]}, "publish": True}
    with _api(runs.url, token) as api:
        case_id = api.post("/test-cases", json=case).json()["id"]
        execution = wait_finished(api, api.post("/executions", json={"test_case_id": case_id}).json()["id"])
    assert execution["status"] == "PASSED", execution

    with _api(serves.url, token) as api:
        [artifact] = api.get(f"/executions/{execution['id']}/artifacts").json()["items"]
        with api.stream("GET", f"/artifacts/{artifact['id']}") as download:
            assert download.status_code == 200
            length = int(download.headers["content-length"])
            received = b"".join(download.iter_bytes())
    assert received == BODY and length == len(BODY) == artifact["size"]
    assert artifact["sha256"] == hashlib.sha256(BODY).hexdigest()
    assert download.headers["content-type"].startswith("text/plain")
    assert download.headers["content-disposition"] == "attachment; filename*=utf-8''fetch%20response%20body"
    assert not (tmp_path / "host1" / "artifacts").exists()  # nothing in the runner's folder

    # deleting the execution (through a process with a third folder) deletes its chunks
    settings = Settings(data_dir=tmp_path / "host3", database_url=database, secret_key=KEY)
    ctx = build_context(settings)
    try:
        with ctx.db.reading() as session:
            key = session.scalar(select(artifacts.c.path).where(artifacts.c.id == artifact["id"]))
        assert key is not None and _chunks_of(database, key) == -(-len(BODY) // CHUNK_BYTES)
        delete_execution(ctx, keys.authenticate_token(ctx, token), execution["id"])
    finally:
        ctx.db.dispose()
    assert _chunks_of(database, key) == 0
    with _api(serves.url, token) as api:
        assert api.get(f"/artifacts/{artifact['id']}").status_code == 404
