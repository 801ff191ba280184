"""Engines of their own: a fresh database per test, so limits and recovery can be set per test."""

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from testament.bootstrap import build_context
from testament.config import Settings
from testament.domain.access import Principal, Role
from testament.engine.local import LocalExecutor
from testament.services import keys, workspaces
from testament.services.context import AppContext
from tests.conftest import _postgres_database, make_settings


def fresh_database_url(tmp_path: Path) -> str:
    pg = os.environ.get("TESTAMENT_TEST_DATABASE_URL")
    return _postgres_database(pg) if pg else f"sqlite:///{tmp_path / f'{uuid.uuid4().hex[:8]}.db'}"


class Engine:
    """A context on a fresh database, a principal in it, and optionally a running executor."""

    def __init__(self, settings: Settings) -> None:
        self.ctx: AppContext = build_context(settings)
        workspace = workspaces.create_workspace(self.ctx, "engine-test")
        key = keys.create_key(self.ctx, workspace.id, Role.ADMIN, "engine")
        self.principal: Principal = keys.authenticate_token(self.ctx, key.token)
        self.executor: LocalExecutor | None = None

    def start(self) -> "Engine":
        self.executor = LocalExecutor(self.ctx)
        self.executor.start()
        return self

    def close(self) -> None:
        if self.executor:
            self.executor.shutdown()
        self.ctx.db.dispose()


@pytest.fixture
def make_engine(tmp_path: Path) -> Iterator[Callable[..., Engine]]:
    made: list[Engine] = []

    def make(**overrides: Any) -> Engine:
        engine = Engine(make_settings(tmp_path / "data", fresh_database_url(tmp_path), **overrides))
        made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.close()
