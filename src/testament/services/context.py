"""What every use case is given: the store, the bus, settings, and the unit of work."""

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session

from testament.config import Settings
from testament.domain.model import Workspace
from testament.kit.bus import EventBus
from testament.kit.clock import utcnow
from testament.kit.cursors import CursorCodec
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

    def uow(self) -> "UnitOfWork":
        return UnitOfWork(self)


class UnitOfWork:
    """One write transaction. Only `commit()` commits; events go out after it."""

    session: Session

    def __init__(self, app: AppContext) -> None:
        self.app = app
        self._events: list[Any] = []

    def __enter__(self) -> "UnitOfWork":
        self.session = self.app.db.writer()
        self.session.begin()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is not None:
            self.session.rollback()
        self.session.close()  # ends any later read-only transaction without expiring loaded objects

    def emit(self, event: Any) -> None:
        self._events.append(event)

    def lock_workspace(self, workspace_id: str) -> None:
        """Serialize quota-checked writes per workspace (PostgreSQL row lock; SQLite's
        IMMEDIATE transaction already serializes every writer)."""
        self.session.execute(select(workspaces.c.id).where(workspaces.c.id == workspace_id).with_for_update())

    def commit(self) -> None:
        self.session.commit()
        events, self._events = self._events, []
        for event in events:
            self.app.bus.publish(event)

    def get_workspace(self, workspace_id: str) -> Workspace | None:
        return self.session.get(Workspace, workspace_id)
