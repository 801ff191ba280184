"""Telling worker processes, through the database, what the in-process bus tells local ones.

On PostgreSQL a transaction that queues executions, frees a running slot or asks for a stop sends
a NOTIFY inside itself: PostgreSQL delivers it at the commit (never for a rollback), to every
process listening (engine/listen.py). SQLite has no such thing: its workers poll, and those in
the process that made the change hear the bus.
"""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from testament.services.events import ExecutionFinished, ExecutionQueued, ExecutionStopRequested

__all__ = ["QUEUED_CHANNEL", "STOP_CHANNEL", "announce"]

QUEUED_CHANNEL = "testament_queued"  # payload: how many claims may have become possible
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
        if isinstance(event, ExecutionQueued | ExecutionFinished):  # a finish frees a running slot
            claimable += 1
        elif isinstance(event, ExecutionStopRequested):
            stops.append(event.execution_id)
    notes = [(STOP_CHANNEL, execution_id) for execution_id in stops]
    if claimable:
        notes.append((QUEUED_CHANNEL, str(claimable)))
    if notes:
        session.execute(_NOTIFY, {"channels": [c for c, _ in notes], "payloads": [p for _, p in notes]})
