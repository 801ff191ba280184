"""SQLite's writers queue on a lock file beside the database (store/db.py): the queue is let go
whatever way a write ends, so no writer is left waiting behind one that is gone, and writers of
several threads still all get their turn."""

import fcntl
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from testament.store import db as db_module
from testament.store.db import Database, _gate_of


def _database(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'gate.db'}")
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    return db


def _held(db: Database) -> bool:
    gate = _gate_of(db.url)
    assert gate is not None
    return gate._holder is not None


def test_the_gate_is_held_during_a_write_and_let_go_however_it_ends(tmp_path: Path) -> None:
    db = _database(tmp_path)
    ends: dict[str, Callable[[Session], None]] = {
        "commit": lambda s: s.commit(),
        "rollback": lambda s: s.rollback(),
        "close": lambda s: s.close(),
        "invalidate": lambda s: s.connection().invalidate(),
    }
    for how, end in ends.items():
        session = db.writer()
        session.begin()
        session.execute(text("INSERT INTO t VALUES (1)"))
        assert _held(db), how
        end(session)
        session.close()
        assert not _held(db), how
    with db.reading() as session:  # only the committed write stayed
        assert session.execute(text("SELECT count(*) FROM t")).scalar_one() == 1
    db.dispose()


def test_a_read_does_not_take_the_gate(tmp_path: Path) -> None:
    db = _database(tmp_path)
    with db.reading() as session:
        session.execute(text("SELECT count(*) FROM t")).scalar_one()
        assert not _held(db)
    db.dispose()


def test_writers_on_many_threads_all_commit_in_turn(tmp_path: Path) -> None:
    db = _database(tmp_path)
    failures: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for _ in range(25):
                with db.writer() as session, session.begin():
                    session.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures
    with db.reading() as session:
        assert session.execute(text("SELECT count(*) FROM t")).scalar_one() == 150
    assert not _held(db)
    db.dispose()


def test_a_lock_file_held_elsewhere_delays_a_writer_only_until_the_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process frozen while it holds the lock file (here: another open file description of
    it, as another process has) does not make writers wait forever: past GATE_WAIT_S they go on
    to SQLite's own wait, which finds the database free and writes."""
    db = _database(tmp_path)
    gate = _gate_of(db.url)
    assert gate is not None
    monkeypatch.setattr(db_module, "GATE_WAIT_S", 0.3)
    other = os.open(gate._path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(other, fcntl.LOCK_EX)
    try:
        began = time.monotonic()
        with db.writer() as session, session.begin():
            session.execute(text("INSERT INTO t VALUES (7)"))
            assert not _held(db)  # it went on unqueued
        waited = time.monotonic() - began
    finally:
        os.close(other)
    assert 0.3 <= waited < 10
    with db.reading() as session:
        assert session.execute(text("SELECT count(*) FROM t")).scalar_one() == 1
    db.dispose()
