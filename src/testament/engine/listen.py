"""Hearing the database's NOTIFYs (services/wakeups.py) on PostgreSQL: one connection of its own
per process, listening on a thread, hands each notification to the executor — work was queued or
a slot freed (wake idle workers), or an execution was asked to stop (cut it short if it runs here).
On SQLite a worker process hears the same through a datagram socket of its own (`Doorbell`).

The connection is redialled when it drops (the database restarted, the link was cut; TCP
keepalives notice a silent link), and the executor is then woken as if work had been queued:
what was sent while nobody listened is lost, and polling would otherwise find it only later.
"""

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from testament.kit.ids import new_id
from testament.services.wakeups import (
    LISTENING_HERE,
    QUEUED_CHANNEL,
    STOP_CHANNEL,
    parse_claimable,
    parse_ring,
    process_token,
)

__all__ = ["APPLICATION_NAME", "Doorbell", "Listener", "libpq_url"]

log = logging.getLogger(__name__)

APPLICATION_NAME = "testament-listener"  # how its connection shows in pg_stat_activity
WAIT_S = 1.0  # how long one wait for notifications lasts: how soon a close is noticed
RETRY_S = (0.2, 5.0)  # the first and the longest pause between attempts to reconnect
KEEPALIVES: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 10_000,  # ms a probe may go unanswered before the kernel drops the link
}


def libpq_url(sqlalchemy_url: str) -> str:
    """The database's URL as libpq takes it (without SQLAlchemy's `+driver`)."""
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


class Listener:
    def __init__(
        self,
        url: str,
        *,
        on_claimable: Callable[[int], None],
        on_stop: Callable[[str], None],
        on_reconnect: Callable[[], None],
    ) -> None:
        self._url = libpq_url(url)
        self._on_claimable, self._on_stop, self._on_reconnect = on_claimable, on_stop, on_reconnect
        self._closing = threading.Event()
        self.listening = threading.Event()  # set while the connection listens
        self._thread = threading.Thread(target=self._run, name="testament-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self, wait_s: float = WAIT_S + 1) -> None:
        self._closing.set()
        self._thread.join(timeout=wait_s)

    def _run(self) -> None:
        pause = RETRY_S[0]
        while not self._closing.is_set():
            try:
                self._listen()
            except psycopg.Error as exc:
                log.warning("listening for wake-ups failed (%s); polling until it reconnects", exc)
            if self.listening.is_set():  # it had connected: the next failure starts afresh
                pause = RETRY_S[0]
            self.listening.clear()
            if self._closing.wait(pause):
                return
            pause = min(pause * 2, RETRY_S[1])

    def _listen(self) -> None:
        with psycopg.connect(
            self._url, autocommit=True, application_name=APPLICATION_NAME, connect_timeout=10, **KEEPALIVES
        ) as conn:
            conn.execute(f"LISTEN {QUEUED_CHANNEL}")
            conn.execute(f"LISTEN {STOP_CHANNEL}")
            self.listening.set()
            self._on_reconnect()
            while not self._closing.is_set():
                for note in conn.notifies(timeout=WAIT_S):
                    self._dispatch(note.channel, note.payload)

    def _dispatch(self, channel: str, payload: str) -> None:
        _dispatch(channel, payload, self._on_claimable, self._on_stop)


def _dispatch(
    channel: str, payload: str, on_claimable: Callable[[int], None], on_stop: Callable[[str], None]
) -> None:
    try:
        if channel == STOP_CHANNEL:
            on_stop(payload)
        elif channel == QUEUED_CHANNEL:
            count, sender = parse_claimable(payload)
            if sender != process_token():  # this process's own bus woke its workers already
                on_claimable(count)
    except Exception:  # a failing handler must not end the listening
        log.exception("handling a %s notification failed", channel)


class Doorbell:
    """A worker process's socket in the folder its SQLite database's processes ring
    (services/wakeups.py): bound at start, removed at close."""

    def __init__(
        self,
        directory: Path,
        *,
        on_claimable: Callable[[int], None],
        on_stop: Callable[[str], None],
    ) -> None:
        self.path = directory / f"{os.getpid()}-{new_id()[-8:]}.sock"
        self._directory = directory
        self._on_claimable, self._on_stop = on_claimable, on_stop
        self._closing = threading.Event()
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._thread = threading.Thread(target=self._run, name="testament-doorbell", daemon=True)

    def start(self) -> None:
        self._directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._socket.bind(str(self.path))
        self._socket.settimeout(WAIT_S)  # how soon a close is noticed
        LISTENING_HERE.add(str(self.path))
        self._thread.start()

    def close(self, wait_s: float = WAIT_S + 1) -> None:
        self._closing.set()
        self._thread.join(timeout=wait_s)
        LISTENING_HERE.discard(str(self.path))
        self._socket.close()
        with contextlib.suppress(OSError):
            self.path.unlink()

    def _run(self) -> None:
        while not self._closing.is_set():
            try:
                message = self._socket.recv(512)
            except TimeoutError:
                continue
            except OSError:
                return  # closed
            _dispatch(*parse_ring(message), self._on_claimable, self._on_stop)
