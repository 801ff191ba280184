"""Completion callbacks: a durable outbox, delivered by a background deliverer, retried with
backoff.

A test instance's completion queues one callback in the same transaction (so none is lost
and none is sent for a completion that rolled back). The deliverer claims due callbacks
(claiming pushes their next attempt a lease into the future, so two deliverers never post
the same one at once), posts them, and reports each result: delivered, or tried again after
1, 2, 4, ... seconds (at most 5 minutes apart) until MAX_ATTEMPTS, then failed.
"""

import ipaddress
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update

from testament.domain.errors import InvalidInput
from testament.domain.tasks import Candidate, TestInstance
from testament.kit.ids import new_id
from testament.services.context import AppContext, UnitOfWork
from testament.store.tables import callbacks

__all__ = [
    "MAX_ATTEMPTS",
    "DueCallback",
    "check_callback_url",
    "claim_due",
    "enqueue",
    "is_local",
    "record_result",
]

MAX_ATTEMPTS = 8
CLAIM_BATCH = 20
CLAIM_LEASE = timedelta(seconds=300)  # longer than a claimed batch takes to post, timeouts and all
MAX_BACKOFF_S = 300.0


def check_callback_url(field: str, url: Any, *, allow_local: bool = False) -> str:
    """An absolute http(s) URL with a host, not naming a loopback or link-local address
    unless allowed (names are resolved and checked again when the callback is posted)."""
    rule = "must be an absolute http:// or https:// URL of at most 2000 characters"
    if not isinstance(url, str) or len(url) > 2000 or any(c.isspace() or ord(c) < 32 for c in url):
        raise InvalidInput(field, rule)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise InvalidInput(field, rule) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(field, rule)
    if not allow_local and _names_local(parts.hostname):
        raise InvalidInput(
            field, "must not point at this server or a link-local address (the operator can allow it)"
        )
    return url


def is_local(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """This host or a link-local address (a cloud metadata service): not for callbacks."""
    return address.is_loopback or address.is_link_local or address.is_unspecified


def _names_local(host: str) -> bool:
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return is_local(ipaddress.ip_address(host))
    except ValueError:
        return False


@dataclass(frozen=True)
class DueCallback:
    id: str
    workspace_id: str
    instance_id: str
    url: str
    resource: str
    params: dict[str, Any]
    attempts: int


def enqueue(uow: UnitOfWork, instance: TestInstance, candidate: Candidate) -> None:
    assert candidate.callback_url is not None
    now = uow.app.clock()
    uow.session.execute(
        callbacks.insert().values(
            id=new_id(),
            workspace_id=instance.workspace_id,
            instance_id=instance.id,
            url=candidate.callback_url,
            resource=candidate.callback_resource,
            params=candidate.callback_params,
            state="pending",
            attempts=0,
            next_attempt_at=now,
            last_error="",
            created_at=now,
        )
    )


def claim_due(app: AppContext, limit: int = CLAIM_BATCH) -> list[DueCallback]:
    """Pending callbacks whose time has come, claimed for one delivery attempt."""
    now = app.clock()
    with app.uow() as uow:
        rows = uow.session.execute(
            select(callbacks)
            .where(callbacks.c.state == "pending", callbacks.c.next_attempt_at <= now)
            .order_by(callbacks.c.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if rows:
            uow.session.execute(
                update(callbacks)
                .where(callbacks.c.id.in_([r.id for r in rows]))
                .values(next_attempt_at=now + CLAIM_LEASE)
            )
        uow.commit()
    return [
        DueCallback(r.id, r.workspace_id, r.instance_id, r.url, r.resource, dict(r.params or {}), r.attempts)
        for r in rows
    ]


def backoff_s(attempts: int, base_s: float) -> float:
    return float(min(base_s * 2 ** (attempts - 1), MAX_BACKOFF_S))


def record_result(app: AppContext, callback: DueCallback, error: str | None) -> None:
    """`error` None: delivered. Otherwise try again later, or give up after MAX_ATTEMPTS."""
    now = app.clock()
    attempts = callback.attempts + 1
    values: dict[str, Any] = {"attempts": attempts}
    if error is None:
        values |= {"state": "delivered", "delivered_at": now, "last_error": ""}
    elif attempts >= MAX_ATTEMPTS:
        values |= {"state": "failed", "last_error": error[:2000]}
    else:
        delay = backoff_s(attempts, app.settings.callback_backoff_s)
        values |= {"next_attempt_at": now + timedelta(seconds=delay), "last_error": error[:2000]}
    with app.uow() as uow:
        uow.session.execute(update(callbacks).where(callbacks.c.id == callback.id).values(**values))
        uow.commit()
