"""Identifiers sortable by creation time (UUIDv7), for good index locality and keyset paging."""

import secrets
from datetime import datetime

import uuid_utils

__all__ = ["id_floor", "new_id", "new_secret"]


def new_id() -> str:
    return str(uuid_utils.uuid7())


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def id_floor(moment: datetime) -> str:
    """The smallest id that `new_id()` can make at or after `moment`.

    UUIDv7 text starts with the creation time in milliseconds, so a time range becomes an
    id range, which the (workspace, id) indexes serve.
    """
    ms = f"{max(0, int(moment.timestamp() * 1000)):012x}"
    return f"{ms[:8]}-{ms[8:]}-0000-0000-000000000000"
