"""What every use case is given: the store, the bus, settings, and the unit of work."""

import base64
import hashlib
from collections.abc import Callable
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from testament.config import Settings
from testament.domain.errors import Conflict
from testament.domain.model import Workspace
from testament.kit.bus import EventBus
from testament.kit.clock import utcnow
from testament.kit.cursors import CursorCodec
from testament.services import wakeups
from testament.services.rate_limits import RateLimiter
from testament.store.db import Database
from testament.store.tables import workspaces

__all__ = ["AppContext", "UnitOfWork"]


@dataclass
class AppContext:
    settings: Settings
    db: Database
    bus: EventBus = field(default_factory=EventBus)
    clock: Callable[[], datetime] = utcnow

    def __post_init__(self) -> None:
        secret = self.settings.resolved_secret_key()
        self.cursors = CursorCodec(secret)
        fernet_key = base64.urlsafe_b64encode(hashlib.sha256(("fernet:" + secret).encode()).digest())
        self.secret_box = Fernet(fernet_key)
        self.aws_rate = RateLimiter(self.settings.aws_rate_limit, self.db)

    def uow(self) -> "UnitOfWork":
        return UnitOfWork(self)


_active: ContextVar["UnitOfWork | None"] = ContextVar("testament_unit_of_work", default=None)


_LOCK_WORKSPACE = (
    select(workspaces.c.id)
    .where(workspaces.c.id == bindparam("b_workspace_id"))
    .with_for_update(key_share=True)
)


class UnitOfWork:
    """One write transaction. Only `commit()` commits; events go out after it.

    Units of work nest: one opened while another is active in the same thread joins it,
    and only the outermost commits. So several use cases can run as one atomic change
    (`apply` does), each still written as if it stood alone.
    """

    session: Session

    def __init__(self, app: AppContext) -> None:
        self.app = app
        self._events: list[Any] = []
        self._outer: UnitOfWork | None = None
        self._token: Token[UnitOfWork | None] | None = None

    def __enter__(self) -> "UnitOfWork":
        outer = _active.get()
        if outer is not None and outer.app is self.app:
            self._outer = outer
            self.session = outer.session
            return self
        self.session = self.app.db.writer()
        self.session.begin()
        self._token = _active.set(self)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._outer is not None:
            return  # the outermost unit of work commits or rolls back
        assert self._token is not None
        _active.reset(self._token)
        if exc_type is not None:
            self.session.rollback()
        self.session.close()  # ends any later read-only transaction without expiring loaded objects

    def emit(self, event: Any) -> None:
        (self._outer or self)._events.append(event)

    def lock_workspace(self, workspace_id: str) -> None:
        """Serialize quota-checked writes per workspace (PostgreSQL row lock; SQLite's
        IMMEDIATE transaction already serializes every writer). FOR NO KEY UPDATE: it excludes
        the others who lock the workspace, not a write elsewhere that merely references it (a
        foreign key's check takes a key-share lock, which FOR UPDATE would make wait). On SQLite
        it is nothing: the transaction's first statement takes the one write lock."""
        if not self.app.db.is_sqlite:
            self.session.execute(_LOCK_WORKSPACE, {"b_workspace_id": workspace_id})

    def save_named(self, obj: Any, entity: str) -> None:
        """Add `obj` (new or changed) and write it now. Its name is unique in the workspace: a
        name another row holds, on creation or on a rename, is a Conflict naming it."""
        name = obj.name  # read before writing: a failed write expires the object
        self.session.add(obj)
        try:
            self.session.flush()
        except IntegrityError as exc:
            if not _unique_violation(exc):
                raise
            raise Conflict(f"the name {name!r} is taken by another {entity} in this workspace") from None

    def commit(self) -> None:
        if self._outer is not None:
            self.session.flush()
            return
        wakeups.announce(self.session, self._events)  # PostgreSQL delivers it at this commit
        self.session.commit()
        events, self._events = self._events, []
        for event in events:
            self.app.bus.publish(event)

    def get_workspace(self, workspace_id: str) -> Workspace | None:
        return self.session.get(Workspace, workspace_id)


def _unique_violation(exc: IntegrityError) -> bool:
    """Whether the database refused a write for a value another row holds (SQLite says so in
    its message, PostgreSQL with SQLSTATE 23505)."""
    return getattr(exc.orig, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(exc.orig)
