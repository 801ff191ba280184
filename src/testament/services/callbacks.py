"""Completion callbacks: a durable outbox, delivered by a background deliverer, retried with
backoff.

A test instance's completion queues one callback in the same transaction (so none is lost
and none is sent for a completion that rolled back). The deliverer claims due callbacks
(claiming pushes their next attempt a lease into the future, so two deliverers never post
the same one at once), posts them, and reports each result: delivered, or tried again after
1, 2, 4, ... seconds (at most 5 minutes apart) until MAX_ATTEMPTS, then failed (given up).

Managers and admins read how deliveries fare (`list_deliveries`, `get_delivery`). A callback's
URL may carry a token in its query (or user info) and its params may carry anything: what is
shown or logged of a URL is `shown_url`, and params are never shown.
"""

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import Row, Select, select, update

from testament.domain.access import Permission, Principal
from testament.domain.errors import InvalidInput, NotFound
from testament.domain.tasks import Candidate, TestInstance
from testament.kit.clock import as_utc
from testament.kit.ids import new_id
from testament.services.context import AppContext, UnitOfWork
from testament.services.paging import Page, check_limit, decode_cursor, make_page
from testament.store.repository import Repository, owned_by
from testament.store.tables import callbacks, test_instances

__all__ = [
    "DELIVERY_STATES",
    "MAX_ATTEMPTS",
    "Attempt",
    "Delivery",
    "DueCallback",
    "check_callback_url",
    "claim_due",
    "enqueue",
    "get_delivery",
    "is_local",
    "list_deliveries",
    "record_result",
    "shown_url",
]

MAX_ATTEMPTS = 8
DELIVERY_STATES = ("pending", "delivered", "failed")  # failed: given up after MAX_ATTEMPTS
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


@dataclass(frozen=True)
class Attempt:
    """What one post of a callback came to, in words that hold neither the URL's query nor the
    params."""

    error: str | None = None  # None: the receiver took it
    status_code: int | None = None  # what the receiver answered, when it answered


def record_result(app: AppContext, callback: DueCallback, attempt: Attempt) -> datetime | None:
    """Delivered when the attempt has no error. Otherwise try again later, or give up after
    MAX_ATTEMPTS.

    Returns when it will be tried again: None once delivered or given up.
    """
    now = app.clock()
    attempts = callback.attempts + 1
    values: dict[str, Any] = {
        "attempts": attempts,
        "last_attempt_at": now,
        "last_status_code": attempt.status_code,
        "last_error": (attempt.error or "")[:2000],
    }
    next_try = None
    if attempt.error is None:
        values |= {"state": "delivered", "delivered_at": now}
    elif attempts >= MAX_ATTEMPTS:
        values |= {"state": "failed"}
    else:
        next_try = now + timedelta(seconds=backoff_s(attempts, app.settings.callback_backoff_s))
        values |= {"next_attempt_at": next_try}
    with app.uow() as uow:
        uow.session.execute(update(callbacks).where(callbacks.c.id == callback.id).values(**values))
        uow.commit()
    return next_try


def shown_url(url: str) -> str:
    """What of a callback URL may be shown and logged: scheme, host, port and path. Never its
    user info, query or fragment, which may carry tokens."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    try:
        port = parts.port
    except ValueError:  # refused when it was given; said here so that showing never fails
        port = None
    return urlunsplit((parts.scheme, host + (f":{port}" if port else ""), parts.path, "", ""))


# ---------------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Delivery:
    """One completion callback, as managers see how it fares (its params are never shown)."""

    id: str
    test_instance_id: str
    task_id: str
    url: str  # shown_url: without user info, query or fragment
    status: str  # one of DELIVERY_STATES
    attempts: int
    last_error: str
    last_status_code: int | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None  # while pending
    created_at: datetime
    delivered_at: datetime | None
    max_attempts: int = MAX_ATTEMPTS


def _deliveries(principal: Principal) -> Select[Any]:
    return (
        select(callbacks, test_instances.c.task_id)
        .join(test_instances, test_instances.c.id == callbacks.c.instance_id)
        .where(owned_by(callbacks, principal.workspace_id))
    )


def _delivery(row: Row[Any]) -> Delivery:
    def moment(value: datetime | None) -> datetime | None:
        return as_utc(value) if value is not None else None

    return Delivery(
        id=row.id,
        test_instance_id=row.instance_id,
        task_id=row.task_id,
        url=shown_url(row.url),
        status=row.state,
        attempts=row.attempts,
        last_error=row.last_error,
        last_status_code=row.last_status_code,
        last_attempt_at=moment(row.last_attempt_at),
        next_attempt_at=moment(row.next_attempt_at) if row.state == "pending" else None,
        created_at=as_utc(row.created_at),
        delivered_at=moment(row.delivered_at),
    )


def list_deliveries(
    app: AppContext,
    principal: Principal,
    *,
    limit: int = 50,
    cursor: str | None = None,
    status: str | None = None,
    test_instance_id: str | None = None,
) -> Page[Delivery]:
    """The workspace's completion callbacks, newest first (managers and admins)."""
    principal.require(Permission.READ_DELIVERIES)
    check_limit(limit)
    query = _deliveries(principal)
    if status is not None:
        if status not in DELIVERY_STATES:
            raise InvalidInput("status", f"must be one of {', '.join(DELIVERY_STATES)}")
        query = query.where(callbacks.c.state == status)
    if test_instance_id is not None:
        query = query.where(callbacks.c.instance_id == test_instance_id)
    before = decode_cursor(app.cursors, "callback-deliveries", cursor)
    if before is not None:
        query = query.where(callbacks.c.id < str(before))
    with app.db.reading() as session:
        instances = Repository(session, TestInstance, principal.workspace_id, "test instance")
        if test_instance_id is not None and instances.find(test_instance_id) is None:
            # a filter naming nothing is bad input, as on every list (services/references.py)
            raise InvalidInput("test_instance_id", f"no test instance has the id {test_instance_id!r}")
        rows = session.execute(query.order_by(callbacks.c.id.desc()).limit(limit + 1)).all()
    found = [_delivery(r) for r in rows]
    return make_page(app.cursors, "callback-deliveries", found, limit, key=lambda d: d.id)


def get_delivery(app: AppContext, principal: Principal, delivery_id: str) -> Delivery:
    principal.require(Permission.READ_DELIVERIES)
    with app.db.reading() as session:
        row = session.execute(_deliveries(principal).where(callbacks.c.id == delivery_id)).first()
    if row is None:
        raise NotFound("callback delivery", delivery_id)
    return _delivery(row)
