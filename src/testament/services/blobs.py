"""Where the bytes of kept files live: artifacts, and test cases' and incidents' attachments.

A store takes a file as chunks and gives it back as chunks, so no file is ever whole in
memory. Two stores, chosen by the setting `artifact_store`:

- `local`: files under `<data_dir>/artifacts/`; only a process with that folder serves them.
- `database`: chunks in the `blob_chunks` table; every process on the database serves them.

A row keeps its file's key (the `path` column). The key says which store holds the file (a
database key starts with `db:`), so files kept before the setting changed stay readable.
"""

import hashlib
import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol
from urllib.parse import quote

from sqlalchemy import delete, insert, select

from testament.domain.errors import NotFound
from testament.kit.ids import new_id
from testament.services.context import AppContext
from testament.store.db import Database
from testament.store.tables import blob_chunks

__all__ = [
    "CHUNK_BYTES",
    "BlobStore",
    "DatabaseBlobStore",
    "LocalBlobStore",
    "MissingBlob",
    "StoredBlob",
    "chunks_of",
    "delete_blobs",
    "download_headers",
    "is_in_database",
    "kept",
    "open_blob",
    "safe_file_name",
    "store_for",
    "writing_store",
]

CHUNK_BYTES = 256 * 1024
DATABASE_PREFIX = "db:"


class MissingBlob(LookupError):
    """The row names a file its store does not have (deleted by hand, or another machine's folder)."""


@dataclass(frozen=True)
class StoredBlob:
    key: str
    size: int
    sha256: str


class BlobStore(Protocol):
    def put(self, chunks: Iterable[bytes], hint: str) -> StoredBlob:
        """Keep a file given as chunks; `hint` is a relative name a folder may use."""
        ...

    def open(self, key: str) -> Iterator[bytes]:
        """The file's chunks, in order; MissingBlob at once if there is no such file."""
        ...

    def delete(self, key: str) -> None:
        """Forget the file; a missing one is already forgotten."""
        ...


class _Digest:
    """Size and SHA-256 of chunks as they pass."""

    def __init__(self) -> None:
        self.size = 0
        self.hash = hashlib.sha256()

    def passing(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.size += len(chunk)
            self.hash.update(chunk)
            yield chunk

    def blob(self, key: str) -> StoredBlob:
        return StoredBlob(key, self.size, self.hash.hexdigest())


class LocalBlobStore:
    """Files in a folder: the key is the file's path relative to it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):  # a key never leaves the folder
            raise MissingBlob(key)
        return path

    def put(self, chunks: Iterable[bytes], hint: str) -> StoredBlob:
        path = self._path(hint)
        path.parent.mkdir(parents=True, exist_ok=True)
        digest = _Digest()
        with path.open("wb") as file:
            for chunk in digest.passing(chunks):
                file.write(chunk)
        return digest.blob(hint)

    def open(self, key: str) -> Iterator[bytes]:
        try:
            file = self._path(key).open("rb")
        except (FileNotFoundError, IsADirectoryError):
            raise MissingBlob(key) from None
        return _read_and_close(file)

    def delete(self, key: str) -> None:
        with suppress(MissingBlob):
            self._path(key).unlink(missing_ok=True)


def _read_and_close(file: IO[bytes]) -> Iterator[bytes]:
    with file:
        while chunk := file.read(CHUNK_BYTES):
            yield chunk


class DatabaseBlobStore:
    """Chunks in the `blob_chunks` table. Each chunk is written, and read, by a statement of its
    own, so a file of any size costs one chunk of memory; a reader holds no connection between
    chunks (a slow download keeps none of the pool)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def put(self, chunks: Iterable[bytes], hint: str) -> StoredBlob:
        key = DATABASE_PREFIX + new_id()
        digest = _Digest()
        with self.db.writer() as session, session.begin():
            for seq, chunk in enumerate(_even(digest.passing(chunks))):
                session.execute(insert(blob_chunks).values(blob_id=key, seq=seq, data=chunk))
        return digest.blob(key)

    def _chunk(self, key: str, seq: int) -> bytes | None:
        with self.db.reading() as session:
            data: bytes | None = session.scalar(
                select(blob_chunks.c.data).where(blob_chunks.c.blob_id == key, blob_chunks.c.seq == seq)
            )
            return data

    def open(self, key: str) -> Iterator[bytes]:
        first = self._chunk(key, 0)
        if first is None:
            raise MissingBlob(key)
        return self._rest(key, first)

    def _rest(self, key: str, first: bytes) -> Iterator[bytes]:
        chunk: bytes | None = first
        seq = 0
        while chunk:  # only an empty file's chunk 0 is empty
            yield chunk
            seq += 1
            chunk = self._chunk(key, seq)

    def delete(self, key: str) -> None:
        with self.db.writer() as session, session.begin():
            session.execute(delete(blob_chunks).where(blob_chunks.c.blob_id == key))


def _even(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The same bytes in chunks of CHUNK_BYTES (the last may be shorter; an empty file is one
    empty chunk), whatever sizes the writer gave."""
    pending = bytearray()
    sent = False
    for chunk in chunks:
        pending += chunk
        while len(pending) >= CHUNK_BYTES:
            yield bytes(pending[:CHUNK_BYTES])
            del pending[:CHUNK_BYTES]
            sent = True
    if pending or not sent:
        yield bytes(pending)


def writing_store(app: AppContext, folder: Path | None = None) -> BlobStore:
    """Where new files go: the store the settings name (`folder`: the local store's, by default
    the artifacts folder)."""
    if app.settings.artifact_store == "database":
        return DatabaseBlobStore(app.db)
    return LocalBlobStore(folder or app.settings.artifacts_dir)


def store_for(app: AppContext, key: str, folder: Path | None = None) -> BlobStore:
    """The store that holds the file with this key."""
    if is_in_database(key):
        return DatabaseBlobStore(app.db)
    return LocalBlobStore(folder or app.settings.artifacts_dir)


def is_in_database(key: str) -> bool:
    return key.startswith(DATABASE_PREFIX)


def open_blob(app: AppContext, key: str, folder: Path | None = None) -> Iterator[bytes]:
    return store_for(app, key, folder).open(key)


def open_file_of(
    app: AppContext, key: str, what: str, ident: str, folder: Path | None = None
) -> Iterator[bytes]:
    """The chunks of a row's file; NotFound ("<what> file") when its store has lost it."""
    try:
        return open_blob(app, key, folder)
    except MissingBlob:
        raise NotFound(f"{what} file", ident) from None


def delete_blobs(app: AppContext, keys: Iterable[str], folder: Path | None = None) -> None:
    for key in keys:
        store_for(app, key, folder).delete(key)


@contextmanager
def kept(
    app: AppContext, chunks: Iterable[bytes], hint: str, folder: Path | None = None
) -> Iterator[StoredBlob]:
    """Keep a file for a row written inside the block: if the block fails, the file goes.
    The file is written before the row's transaction begins (SQLite has one writer at a time)."""
    blob = writing_store(app, folder).put(chunks, hint)
    try:
        yield blob
    except BaseException:
        store_for(app, blob.key, folder).delete(blob.key)
        raise


def chunks_of(data: bytes | IO[bytes]) -> Iterator[bytes]:
    """Bytes, or a binary file read a chunk at a time."""
    file = io.BytesIO(data) if isinstance(data, bytes) else data
    while chunk := file.read(CHUNK_BYTES):
        yield chunk


def safe_file_name(name: str, fallback: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[:100] or fallback


def download_headers(name: str, size: int) -> dict[str, str]:
    """Headers of a file's download: its length, and its name as a browser saves it."""
    quoted = quote(name)
    disposition = (
        f'attachment; filename="{name}"' if quoted == name else f"attachment; filename*=utf-8''{quoted}"
    )
    return {"content-length": str(size), "content-disposition": disposition}
