"""The database engine, sessions and schema migration.

SQLite (the embedded default) gets WAL, foreign keys, a busy timeout, and IMMEDIATE
write transactions; PostgreSQL needs none of that. SQLite's writers also queue on a lock
file beside the database (`_WriteGate`): a writer that finds SQLite's write lock taken
otherwise sleeps in SQLite's busy handler (1, 2, 5, 10, 15, 20, 25 ms ...) however soon the
lock is free, which made a start wait behind a worker's few-millisecond writes. Both are
migrated by Alembic only, under a lock held for the whole upgrade, so any number of processes
may start (and migrate) at once.
"""

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection, ExceptionContext, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from testament.domain.errors import InvalidInput
from testament.store.tables import map_domain

__all__ = ["Database", "migrate"]

MIGRATIONS = Path(__file__).parent / "migrations"


try:
    import fcntl
except ImportError:  # not on this platform: SQLite's busy handler alone
    fcntl = None  # type: ignore[assignment]

GATE_WAIT_S = 30.0  # as SQLite's busy timeout: then the writer goes on to wait in SQLite itself


class _WriteGate:
    """One SQLite writer at a time in line: a lock of this process's threads, then an flock on
    a file beside the database for the processes of this host. Taken just before BEGIN
    IMMEDIATE and given back right after the COMMIT or ROLLBACK, so it is held exactly while
    SQLite's own write lock is: a waiter wakes the moment the writer before it is done, instead
    of at the next step of SQLite's busy handler. SQLite's lock stays the one that guards the
    data (a writer not in line, e.g. a migration, is still waited for in SQLite), and a wait
    here longer than GATE_WAIT_S goes on unqueued."""

    def __init__(self, lock_file: Path) -> None:
        self._path = lock_file
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._pid = os.getpid()
        self._holder: Any = None  # the DBAPI connection whose transaction holds the gate
        self._holder_thread: int | None = None

    def acquire(self, dbapi_connection: Any) -> bool:
        if self._holder_thread == threading.get_ident():
            return False  # a second writer in this thread: SQLite's own wait, as before
        deadline = time.monotonic() + GATE_WAIT_S
        if not self._threads.acquire(timeout=GATE_WAIT_S):
            return False
        if not _flock_before(self._file(), deadline):
            self._threads.release()
            return False
        self._holder, self._holder_thread = dbapi_connection, threading.get_ident()
        return True

    def release(self, dbapi_connection: Any) -> None:
        if self._holder is None or self._holder is not dbapi_connection:
            return
        self._holder, self._holder_thread = None, None
        with contextlib.suppress(OSError):
            fcntl.flock(self._file(), fcntl.LOCK_UN)
        self._threads.release()

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():  # a forked child locks a file of its own
            self._fd, self._pid = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600), os.getpid()
        return self._fd


def _flock_before(fd: int, deadline: float) -> bool:
    """Take the lock file, trying every fraction of a millisecond up to `deadline`. Not one
    blocking flock: a process frozen while it holds the file (stopped, or stuck in a
    transaction) would make every other process's writer wait forever, where SQLite alone
    fails them after its busy timeout; with the deadline they go on to SQLite's own wait."""
    pause = 0.0001
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, 0.001)  # a waiter wakes within a millisecond of the release
        except OSError:
            return False


def _raw(connection: Any) -> Any:
    """The sqlite3 connection behind SQLAlchemy's pooled proxy."""
    return getattr(connection, "dbapi_connection", connection)


_GATES: dict[Path, _WriteGate] = {}
_GATES_LOCK = threading.Lock()


def _gate_of(url: str) -> _WriteGate | None:
    """The gate of the database file `url` names, one per file in a process (every engine on
    it shares it, so a thread that writes through two of them is still seen as one writer)."""
    database = make_url(url).database
    if fcntl is None or not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database).resolve()
    with _GATES_LOCK:
        return _GATES.setdefault(path, _WriteGate(path.with_name(path.name + ".write-lock")))


def _sqlite_engine(url: str, echo: bool) -> Engine:
    engine = create_engine(
        url, echo=echo, hide_parameters=True, connect_args={"check_same_thread": False, "timeout": 30}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_conn.cursor()
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=30000", "synchronous=NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    gate = _gate_of(url)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("testament_write", False)
        if not write:
            conn.exec_driver_sql("BEGIN")
            return
        raw = _raw(conn.connection)
        queued = gate is not None and gate.acquire(raw)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if queued:
                gate.release(raw)  # type: ignore[union-attr]
            raise

    if gate is not None:
        dialect: Any = engine.dialect
        commit, rollback = dialect.do_commit, dialect.do_rollback

        def do_commit(connection: Any) -> None:
            try:
                commit(connection)
            finally:
                gate.release(_raw(connection))

        def do_rollback(connection: Any) -> None:
            try:
                rollback(connection)
            finally:
                gate.release(_raw(connection))

        dialect.do_commit, dialect.do_rollback = do_commit, do_rollback

        def let_go(dbapi_connection: Any, *_args: Any) -> None:
            """A connection that goes back to the pool, or is thrown away, ends whatever write
            it held: never keep the gate past it (the other writers would wait for good)."""
            if dbapi_connection is not None:
                gate.release(dbapi_connection)

        for name in ("checkin", "invalidate", "soft_invalidate", "close", "close_detached"):
            event.listen(engine, name, let_go)
    return engine


def _refuse_unstorable_text(context: ExceptionContext) -> None:
    """PostgreSQL cannot store a NUL character in text: whatever input carried one (a name, a
    filter) is the caller's mistake, answered as bad input by every surface, not a 500."""
    error = context.original_exception
    if type(error).__name__ == "DataError" and str(error).startswith(
        "PostgreSQL text fields cannot contain NUL"
    ):
        raise InvalidInput("text", "must not contain NUL (\\u0000) characters")


def dead_link_args(dead_link_s: float) -> dict[str, int]:
    """libpq options that make a connection over a cut link fail within about `dead_link_s`:
    without them a query on a silent link waits for the kernel's retransmissions (many minutes),
    long after the lease the work it does was held under has run out."""
    quarter = max(1, int(dead_link_s / 4))
    return {
        "connect_timeout": max(2, quarter),  # libpq's least
        "keepalives": 1,
        "keepalives_idle": quarter,
        "keepalives_interval": max(1, quarter // 3),
        "keepalives_count": 3,
        "tcp_user_timeout": quarter * 1000,  # ms unacknowledged before the kernel drops the link
    }


class Database:
    """One engine and two session factories: writers and readers."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        pool_size: int = 10,
        max_overflow: int | None = None,
        dead_link_s: float = 120.0,
    ) -> None:
        map_domain()
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
                Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            self.engine = _sqlite_engine(url, echo)
        else:
            self.engine = create_engine(
                url,
                echo=echo,
                hide_parameters=True,  # an error log must not carry the values (secrets, callback URLs)
                pool_size=pool_size,
                max_overflow=pool_size if max_overflow is None else max_overflow,
                pool_pre_ping=True,
                connect_args=dead_link_args(dead_link_s),
            )
            event.listen(self.engine, "handle_error", _refuse_unstorable_text)
        self._writer = sessionmaker(
            self.engine.execution_options(testament_write=True), expire_on_commit=False
        )
        self._reader = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._reader() as session, session.begin():
            yield session

    def writer(self) -> Session:
        return self._writer()

    def after_write_flush(self, listener: Callable[[Session, Any], None]) -> None:
        """Call `listener(session, flush_context)` after each flush of a writing session, inside
        its transaction: what it writes commits or rolls back with the change that caused it."""
        if not event.contains(self._writer, "after_flush", listener):
            event.listen(self._writer, "after_flush", listener)

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str) -> None:
    """Bring the schema to the newest revision. Processes that migrate at once take turns: the
    first upgrades, the others wait for it and then find nothing left to do."""
    with _migration_lock(url):
        command.upgrade(alembic_config(url), "head")


MIGRATION_LOCK_ID = 0x7E57A3E7  # PostgreSQL advisory lock key: "the schema is being migrated"
MIGRATION_WAIT_S = 15 * 60  # long enough for a migration that backfills a big table


@contextmanager
def _migration_lock(url: str) -> Iterator[None]:
    """Held while Alembic upgrades: without it, processes started together on an empty database
    all create the first tables, and all but one die (on PostgreSQL, on `alembic_version`'s key)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        with _advisory_lock(url):
            yield
    elif parsed.database and parsed.database != ":memory:":
        with _lock_file(Path(parsed.database)):
            yield
    else:  # an in-memory database has only one process
        yield


@contextmanager
def _advisory_lock(url: str) -> Iterator[None]:
    """PostgreSQL: a session advisory lock on a connection of its own (Alembic uses another);
    closing that connection releases it, even if the upgrade fails."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_ID})
            conn.commit()  # the lock is the session's; no transaction stays open meanwhile
            yield
    finally:
        engine.dispose()


@contextmanager
def _lock_file(database: Path) -> Iterator[None]:
    """SQLite: an exclusive transaction on a lock file kept beside the database (SQLite's own
    locking, so it works wherever SQLite does; the database itself stays free for Alembic)."""
    database.parent.mkdir(parents=True, exist_ok=True)
    lock = sqlite3.connect(database.with_name(database.name + ".migration-lock"), timeout=MIGRATION_WAIT_S)
    try:
        lock.execute("BEGIN EXCLUSIVE")
        yield
    finally:
        lock.close()
