"""The composition root: settings → store → app context → engine (executor and callback deliverer).

Nothing here imports the web framework or a surface, so a worker process can build its engine
from these pieces alone. The web app takes the same pieces and adds the surfaces
(`testament.surfaces`) beside them.
"""

from dataclasses import dataclass

from testament.config import Settings
from testament.engine.callbacks import CallbackDeliverer, Render
from testament.engine.executor import Executor, load_executor
from testament.services import surface_ids
from testament.services.context import AppContext
from testament.store.db import Database, migrate

__all__ = ["Engine", "build_context", "build_deliverer", "build_engine", "build_executor"]


@dataclass(frozen=True)
class Engine:
    """What works in the background: the executor runs executions, the deliverer posts callbacks."""

    executor: Executor
    deliverer: CallbackDeliverer

    def start(self) -> None:
        self.executor.start()
        self.deliverer.start()

    def shutdown(self) -> None:
        self.deliverer.shutdown()
        self.executor.shutdown()


def build_context(settings: Settings, *, run_migrations: bool = True) -> AppContext:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if run_migrations:
        migrate(settings.database_url)
    db = Database(settings.database_url, pool_size=settings.workers + 10)
    surface_ids.number_on_write(db)  # ids a surface shows exist from the entity's first commit
    return AppContext(settings=settings, db=db)


def build_executor(ctx: AppContext) -> Executor:
    return load_executor(ctx.settings.executor, ctx)


def build_deliverer(ctx: AppContext, render: Render) -> CallbackDeliverer:
    """`render` shapes a callback's body; the surface that took the callback gives it."""
    return CallbackDeliverer(ctx, render=render)


def build_engine(ctx: AppContext, render: Render) -> Engine:
    return Engine(executor=build_executor(ctx), deliverer=build_deliverer(ctx, render))
