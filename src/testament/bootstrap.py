"""The composition root: settings → database → app context → executor."""

from testament.config import Settings
from testament.engine.executor import Executor, load_executor
from testament.services.context import AppContext
from testament.store.db import Database, migrate

__all__ = ["build_context", "build_executor"]


def build_context(settings: Settings, *, run_migrations: bool = True) -> AppContext:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if run_migrations:
        migrate(settings.database_url)
    return AppContext(settings=settings, db=Database(settings.database_url, pool_size=settings.workers + 10))


def build_executor(app: AppContext) -> Executor:
    return load_executor(app.settings.executor, app)
