"""Wake-ups between processes: the datagram doorbells of SQLite's worker processes, and who a
PostgreSQL NOTIFY wakes (services/wakeups.py, engine/listen.py)."""

import socket
from pathlib import Path

from testament.engine.listen import _dispatch
from testament.services import wakeups


def _bound(path: Path) -> socket.socket:
    listening = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listening.bind(str(path))
    listening.settimeout(1)
    return listening


def test_a_ring_reaches_a_socket_bound_after_the_last_ring_and_forgets_a_dead_one(tmp_path: Path) -> None:
    first = _bound(tmp_path / "1.sock")
    wakeups.ring(tmp_path, b"testament_queued 1")
    assert first.recv(64) == b"testament_queued 1"
    second = _bound(tmp_path / "2.sock")  # a worker started since: the folder changed
    wakeups.ring(tmp_path, b"testament_queued 1")
    assert (first.recv(64), second.recv(64)) == (b"testament_queued 1", b"testament_queued 1")
    first.close()  # its worker died without removing its socket
    wakeups.ring(tmp_path, b"testament_queued 1")
    assert second.recv(64) == b"testament_queued 1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2.sock"]
    second.close()


def test_a_process_skips_its_own_notify_and_hears_every_other(tmp_path: Path) -> None:
    woken: list[int] = []
    mine = f"3 {wakeups.process_token()}"
    for payload in (mine, "2 another-process", "1"):  # "1": a process of an older release
        _dispatch(wakeups.QUEUED_CHANNEL, payload, woken.append, lambda _id: None)
    assert woken == [2, 1]
    assert wakeups.parse_claimable(mine) == (3, wakeups.process_token())
