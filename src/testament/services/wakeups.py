"""Telling worker processes, through the database, what the in-process bus tells local ones.

On PostgreSQL a transaction that queues executions, frees a running slot or asks for a stop sends
a NOTIFY inside itself: PostgreSQL delivers it at the commit (never for a rollback), to every
process listening (engine/listen.py).

SQLite has no such thing, and its processes share one machine (the database is a file): each
worker process there binds a UNIX datagram socket in a folder beside the database file
(`doorbell_dir`), and every process rings them all after a commit that did any of those things
(`ring_after_commits`, fed by its bus, which publishes only committed events). A datagram is
cheap, never blocks the sender (a full socket already has a wake-up waiting) and needs no
connection: a socket whose worker died is found refusing and removed. Polling stays the
fallback, as on PostgreSQL.
"""

import contextlib
import hashlib
import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from testament.kit.ids import new_id
from testament.services.events import ExecutionFinished, ExecutionQueued, ExecutionStopRequested

__all__ = [
    "LISTENING_HERE",
    "QUEUED_CHANNEL",
    "STOP_CHANNEL",
    "announce",
    "doorbell_dir",
    "parse_claimable",
    "parse_ring",
    "process_token",
    "ring",
    "ring_after_commits",
]

QUEUED_CHANNEL = "testament_queued"  # payload: how many claims may have become possible, and who
# sent it (its own process hears the same on its bus: it skips its own NOTIFYs)
STOP_CHANNEL = "testament_stop"  # payload: the id of an execution asked to stop

_NOTIFY = text(  # one round trip however many
    "SELECT pg_notify(c, p) FROM unnest(CAST(:channels AS text[]), CAST(:payloads AS text[])) AS n(c, p)"
)


def announce(session: Session, events: Iterable[Any]) -> None:
    """NOTIFY what `events` (those of the transaction about to commit) mean to workers elsewhere."""
    if session.get_bind().dialect.name != "postgresql":
        return
    claimable, stops = 0, []
    for event in events:
        if isinstance(event, ExecutionQueued) or (
            isinstance(event, ExecutionFinished) and event.frees_capacity
        ):
            claimable += 1
        elif isinstance(event, ExecutionStopRequested):
            stops.append(event.execution_id)
    notes = [(STOP_CHANNEL, execution_id) for execution_id in stops]
    if claimable:
        notes.append((QUEUED_CHANNEL, f"{claimable} {process_token()}"))
    if notes:
        session.execute(_NOTIFY, {"channels": [c for c, _ in notes], "payloads": [p for _, p in notes]})


_TOKEN: tuple[int, str] = (0, "")


def process_token() -> str:
    """This process's name in the wake-ups it sends (a forked child gets a name of its own)."""
    global _TOKEN
    if _TOKEN[0] != os.getpid():
        _TOKEN = (os.getpid(), new_id()[-12:])
    return _TOKEN[1]


def parse_claimable(payload: str) -> tuple[int, str]:
    """(how many claims, the sender's process token or "") of a QUEUED_CHANNEL payload."""
    count, _, sender = payload.partition(" ")
    return (int(count) if count.isdigit() else 1), sender


SOCKET_PATH_MAX = 100  # sun_path holds 108 bytes; room for a socket's own name


def doorbell_dir(database_url: str) -> Path | None:
    """Where the worker processes on this SQLite file keep their sockets: beside the file, or,
    when that path is too long for a socket, in a private folder of the temporary one. None for
    a database that is not a SQLite file."""
    if not database_url.startswith("sqlite:///") or ":memory:" in database_url:
        return None
    database_file = Path(database_url.removeprefix("sqlite:///")).resolve()
    beside = database_file.parent / f".{database_file.name}.doorbells"
    if len(os.fsencode(beside)) + 24 <= SOCKET_PATH_MAX:
        return beside
    digest = hashlib.sha256(os.fsencode(database_file)).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"testament-{os.getuid()}-{digest}"


LISTENING_HERE: set[str] = set()  # this process's sockets: its workers hear its bus instead


RESCAN_S = 1.0  # the sockets are listed again at least this often (and whenever the folder changes)


class _Bells:
    """The sockets of a folder, listed again only when the folder changed (a socket bound or
    removed) or RESCAN_S passed, and one socket of this process to ring them from: a ring
    follows every start, and listing the folder and opening a socket each time cost more than
    the datagrams."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listed: dict[Path, tuple[int, float, list[str]]] = {}  # folder: (mtime, when, paths)
        self._socket: tuple[int, socket.socket] | None = None  # (pid, socket)

    def paths(self, directory: Path) -> list[str]:
        changed = os.stat(directory).st_mtime_ns
        with self._lock:
            mtime, when, paths = self._listed.get(directory, (-1, 0.0, []))
            if mtime == changed and time.monotonic() - when < RESCAN_S:
                return paths
        paths = [str(directory / e.name) for e in os.scandir(directory) if e.name.endswith(".sock")]
        with self._lock:
            self._listed[directory] = (changed, time.monotonic(), paths)
        return paths

    def forget(self, directory: Path) -> None:
        with self._lock:
            self._listed.pop(directory, None)

    def bell(self) -> socket.socket:
        with self._lock:
            if self._socket is None or self._socket[0] != os.getpid():  # a forked child: its own
                bell = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                bell.setblocking(False)
                self._socket = (os.getpid(), bell)
            return self._socket[1]


_BELLS = _Bells()


def ring(directory: Path, message: bytes) -> None:
    """Send `message` to every worker socket in `directory` but this process's own."""
    try:
        paths = _BELLS.paths(directory)
    except FileNotFoundError:
        return  # no worker process has started on this database
    bell = _BELLS.bell()
    for path in paths:
        if path in LISTENING_HERE:
            continue
        try:
            bell.sendto(message, path)
        except BlockingIOError:
            pass  # its queue is full: it has wake-ups waiting already
        except (ConnectionRefusedError, FileNotFoundError):
            with contextlib.suppress(OSError):  # nobody reads it: its worker died
                os.unlink(path)
            _BELLS.forget(directory)


def parse_ring(message: bytes) -> tuple[str, str]:
    """(channel, payload) of a datagram `ring_after_commits` sent."""
    channel, _, payload = message.decode("utf-8", "replace").partition(" ")
    return channel, payload


def ring_after_commits(bus: Any, directory: Path) -> None:
    """Ring the worker sockets after each committed event that workers elsewhere must hear."""

    def on_claimable(_event: Any) -> None:
        ring(directory, f"{QUEUED_CHANNEL} 1".encode())

    def on_finished(event: ExecutionFinished) -> None:
        if event.frees_capacity:
            on_claimable(event)

    def on_stop(event: ExecutionStopRequested) -> None:
        ring(directory, f"{STOP_CHANNEL} {event.execution_id}".encode())

    bus.subscribe(ExecutionQueued, on_claimable)
    bus.subscribe(ExecutionFinished, on_finished)  # a finish may free a slot a capped workspace waits for
    bus.subscribe(ExecutionStopRequested, on_stop)
