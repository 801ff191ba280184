"""The artifact store's contract, held by both stores: a folder and the database (PostgreSQL with
TESTAMENT_TEST_DATABASE_URL, else SQLite). A file goes in and comes out as chunks, never whole
in memory."""

import hashlib
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from testament.config import Settings
from testament.domain.attachments import Holder
from testament.domain.errors import Conflict
from testament.services import attachments, blobs, resources, test_cases, uploads
from testament.services.blobs import CHUNK_BYTES, BlobStore, DatabaseBlobStore, LocalBlobStore, MissingBlob
from testament.store.tables import blob_chunks
from tests.integration.conftest import Engine

MIB = 1024 * 1024
BIG = 20 * MIB


@pytest.fixture
def engine(make_engine: Callable[..., Engine]) -> Engine:
    return make_engine()


@pytest.fixture(params=["local", "database"])
def store(request: pytest.FixtureRequest, engine: Engine, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "artifacts")
    return DatabaseBlobStore(engine.ctx.db)


def _read(store: BlobStore, key: str) -> bytes:
    return b"".join(store.open(key))


def _pieces(total: int, size: int) -> Iterator[bytes]:
    """`total` bytes in pieces of `size` (not a divisor of a chunk), each piece different."""
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        yield (sent.to_bytes(8, "big") * (n // 8 + 1))[:n]
        sent += n


def test_a_file_comes_back_with_its_size_and_sha256(store: BlobStore) -> None:
    data = b"".join(_pieces(3 * CHUNK_BYTES + 1234, 1000))
    blob = store.put(_pieces(len(data), 1000), "ws/ex/one-body.txt")
    assert blob.size == len(data)
    assert blob.sha256 == hashlib.sha256(data).hexdigest()
    assert _read(store, blob.key) == data
    assert all(len(chunk) <= CHUNK_BYTES for chunk in store.open(blob.key))


def test_an_empty_file_is_kept_and_comes_back_empty(store: BlobStore) -> None:
    blob = store.put(iter(()), "ws/ex/empty")
    assert (blob.size, blob.sha256) == (0, hashlib.sha256(b"").hexdigest())
    assert _read(store, blob.key) == b""


def test_two_files_do_not_mix(store: BlobStore) -> None:
    first = store.put([b"first"], "ws/ex/a-first")
    second = store.put([b"second"], "ws/ex/b-second")
    assert first.key != second.key
    assert (_read(store, first.key), _read(store, second.key)) == (b"first", b"second")


def test_a_deleted_file_is_missing_and_deleting_again_is_fine(store: BlobStore) -> None:
    blob = store.put([b"gone soon"], "ws/ex/gone")
    store.delete(blob.key)
    with pytest.raises(MissingBlob):
        store.open(blob.key)
    store.delete(blob.key)


def test_an_unknown_key_is_missing_at_once(store: BlobStore) -> None:
    with pytest.raises(MissingBlob):
        store.open("db:nothing-here" if isinstance(store, DatabaseBlobStore) else "ws/ex/nothing")


def test_a_folder_key_never_leaves_the_folder(tmp_path: Path) -> None:
    (tmp_path / "secret.key").write_text("not an artifact")
    with pytest.raises(MissingBlob):
        LocalBlobStore(tmp_path / "artifacts").open("../secret.key")


def test_20_mib_streams_both_ways_without_being_whole_in_memory(store: BlobStore) -> None:
    expected = hashlib.sha256()
    for piece in _pieces(BIG, 64 * 1024):
        expected.update(piece)

    tracemalloc.start()
    try:
        blob = store.put(_pieces(BIG, 64 * 1024), "ws/ex/big.bin")
        _, write_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        read = hashlib.sha256()
        size = 0
        for chunk in store.open(blob.key):
            read.update(chunk)
            size += len(chunk)
        _, read_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (blob.size, blob.sha256) == (BIG, expected.hexdigest())
    assert (size, read.hexdigest()) == (BIG, expected.hexdigest())
    # a few chunks at a time at most: a whole file would be 20 MiB
    assert write_peak < 3 * MIB, f"writing 20 MiB peaked at {write_peak / MIB:.1f} MiB"
    assert read_peak < 3 * MIB, f"reading 20 MiB peaked at {read_peak / MIB:.1f} MiB"


def test_the_database_keeps_a_file_in_chunks_of_256_kib(engine: Engine) -> None:
    store = DatabaseBlobStore(engine.ctx.db)
    blob = store.put(_pieces(2 * CHUNK_BYTES + 10, 4096), "ignored")
    with engine.ctx.db.reading() as session:
        sizes = session.execute(
            select(func.length(blob_chunks.c.data))
            .where(blob_chunks.c.blob_id == blob.key)
            .order_by(blob_chunks.c.seq)
        ).scalars()
        assert list(sizes) == [CHUNK_BYTES, CHUNK_BYTES, 10]
    store.delete(blob.key)
    with engine.ctx.db.reading() as session:
        assert session.scalar(select(func.count()).where(blob_chunks.c.blob_id == blob.key)) == 0


def test_a_key_names_its_store_whatever_new_files_use(engine: Engine) -> None:
    """Files kept before the setting changed stay readable: the key says where a file is."""
    ctx = engine.ctx
    in_database = DatabaseBlobStore(ctx.db).put([b"from the database"], "ignored")
    in_folder = LocalBlobStore(ctx.settings.artifacts_dir).put([b"from the folder"], "ws/ex/f")
    assert b"".join(blobs.open_blob(ctx, in_database.key)) == b"from the database"
    assert b"".join(blobs.open_blob(ctx, in_folder.key)) == b"from the folder"


def test_a_failed_row_takes_its_file_with_it(engine: Engine) -> None:
    ctx = engine.ctx
    with pytest.raises(RuntimeError), blobs.kept(ctx, [b"orphan?"], "ws/ex/orphan") as blob:
        raise RuntimeError("the row's transaction failed")
    with pytest.raises(MissingBlob):
        blobs.open_blob(ctx, blob.key)


@pytest.mark.parametrize(
    ("database_url", "chosen"),
    [("sqlite:///x.db", "local"), ("postgresql+psycopg://db.example/testament", "database")],
)
def test_the_store_follows_the_database_unless_set(database_url: str, chosen: str, tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path, database_url=database_url).artifact_store == chosen
    assert Settings(data_dir=tmp_path, database_url=database_url, artifact_store="local").artifact_store == (
        "local"
    )


def test_download_headers_carry_the_length_and_the_name() -> None:
    assert blobs.download_headers("body.txt", 12) == {
        "content-length": "12",
        "content-disposition": 'attachment; filename="body.txt"',
    }
    assert blobs.download_headers("réponse 1.txt", 0)["content-disposition"] == (
        "attachment; filename*=utf-8''r%C3%A9ponse%201.txt"
    )


def _chunk_count(engine: Engine, key: str) -> int:
    with engine.ctx.db.reading() as session:
        return int(session.scalar(select(func.count()).where(blob_chunks.c.blob_id == key)) or 0)


def test_a_test_cases_attachment_is_kept_in_the_database_and_deleted_from_it(
    make_engine: Callable[..., Engine],
) -> None:
    engine = make_engine(artifact_store="database")
    ctx, principal = engine.ctx, engine.principal
    step = {"name": "s", "request": {"url": "http://127.0.0.1:9/"}}
    case = test_cases.create_test_case(ctx, principal, kind="http", name="kept", content={"steps": [step]})
    data = b"".join(_pieces(CHUNK_BYTES + 7, 999))
    held = attachments.add_attachment(
        ctx,
        principal,
        Holder.TEST_CASE,
        case.test_case.id,
        name="shot.png",
        data=data,
        media_type="image/png",
    )
    assert held.path.startswith("db:") and _chunk_count(engine, held.path) == 2
    assert not ctx.settings.artifacts_dir.exists()  # no folder involved
    _, chunks = attachments.open_attachment(ctx, principal, held.id)
    assert b"".join(chunks) == data and held.sha256 == hashlib.sha256(data).hexdigest()
    attachments.delete_attachment(ctx, principal, Holder.TEST_CASE, case.test_case.id, held.id)
    assert _chunk_count(engine, held.path) == 0


def test_an_upload_version_is_kept_in_the_database_and_copied_where_a_runner_reads_it(
    make_engine: Callable[..., Engine],
) -> None:
    engine = make_engine(artifact_store="database")
    ctx, principal = engine.ctx, engine.principal
    upload = uploads.create_upload(ctx, principal, name="app")
    data = b"".join(_pieces(2 * CHUNK_BYTES, 4096))
    version = uploads.add_version(ctx, principal, upload.id, name="1.0", file_name="app.apk", data=data)
    assert version.path.startswith("db:") and _chunk_count(engine, version.path) == 2
    assert b"".join(uploads.open_version(ctx, version)) == data
    copy = uploads.version_file(ctx, version)
    assert copy.read_bytes() == data and copy.is_relative_to(ctx.settings.data_dir)
    assert uploads.run_variables(ctx, principal, version.id)["upload.path"] == str(copy.resolve())

    with pytest.raises(Conflict):  # the same name again: its file does not stay behind
        uploads.add_version(ctx, principal, upload.id, name="1.0", file_name="app.apk", data=b"again")
    with ctx.db.reading() as session:
        assert session.scalar(select(func.count(func.distinct(blob_chunks.c.blob_id)))) == 1

    resources.delete_resource(ctx, principal, uploads.KIND, upload.id)
    assert _chunk_count(engine, version.path) == 0
