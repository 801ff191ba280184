"""The composition root: settings → store → app context → engine (executor and callback deliverer),
or a worker process (`build_worker`).

Nothing here imports the web framework or a surface, so a worker process builds its engine
from these pieces alone. The web app takes the same pieces and adds the surfaces
(`testament.surfaces`) beside them.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from testament.config import Settings
from testament.engine.callbacks import CallbackDeliverer, Render
from testament.engine.executor import Executor, load_executor
from testament.engine.worker_process import WorkerProcess
from testament.services import deployment, surface_ids, wakeups
from testament.services.context import AppContext
from testament.store.db import Database, migrate

__all__ = [
    "API_CONNECTIONS",
    "CONNECTIONS_PER_RUN",
    "ENGINE_CONNECTIONS",
    "Engine",
    "build_context",
    "build_deliverer",
    "build_engine",
    "build_executor",
    "build_worker",
    "pool_limits",
]

# The connection budget (README, "Scaling out"), one rule for every process: an API holds one
# connection per request it serves at once (its thread pool) and its callback deliverer's, and may
# overflow by as many again in a burst; a process that runs executions holds one per run (a run
# reads and writes one transaction at a time), plus its reaper's, its heartbeat's and the one its
# lease renewals share, and never more (its threads are all there is). A listener on PostgreSQL
# connects outside the pool (engine/listen.py).
API_CONNECTIONS = 10
CONNECTIONS_PER_RUN = 1  # a run's reads and writes, one at a time
ENGINE_CONNECTIONS = 3  # the reaper, the worker's heartbeat, the lease renewals of every run


def pool_limits(*, serves_api: bool, concurrency: int) -> tuple[int, int]:
    """A process's pool: its size and how far it may overflow."""
    api = API_CONNECTIONS if serves_api else 0
    engine = CONNECTIONS_PER_RUN * concurrency + ENGINE_CONNECTIONS if concurrency else 0
    return api + engine, api


@dataclass(frozen=True)
class Engine:
    """What works in the background: the executor runs executions (none when worker processes
    run them), the deliverer posts callbacks."""

    executor: Executor | None
    deliverer: CallbackDeliverer

    def start(self) -> None:
        if self.executor is not None:
            self.executor.start()
        self.deliverer.start()

    def shutdown(self) -> None:
        self.deliverer.shutdown()
        if self.executor is not None:
            self.executor.shutdown()


def build_context(
    settings: Settings,
    *,
    run_migrations: bool = True,
    serves_api: bool = True,
    concurrency: int | None = None,
) -> AppContext:
    """`concurrency`: how many executions this process runs at once (default: `settings.workers`,
    a server's own pool; 0: none, an API alone); `serves_api=False`: a worker process. Its pool is
    sized from these, never from another process's worker count."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if run_migrations:
        migrate(settings.database_url)
    runs = settings.workers if concurrency is None else concurrency
    size, overflow = pool_limits(serves_api=serves_api, concurrency=runs)
    db = Database(settings.database_url, pool_size=size, max_overflow=overflow, dead_link_s=settings.lease_s)
    surface_ids.number_on_write(db)  # ids a surface shows exist from the entity's first commit
    ctx = AppContext(settings=settings, db=db)
    if (doorbells := wakeups.doorbell_dir(settings.database_url)) is not None:
        wakeups.ring_after_commits(ctx.bus, doorbells)  # SQLite's worker processes hear commits
    try:
        deployment.confirm_secret_key(ctx)
    except deployment.WrongSecretKey:  # this process must not start
        db.dispose()
        raise
    return ctx


def build_executor(ctx: AppContext) -> Executor:
    return load_executor(ctx.settings.executor, ctx)


def build_deliverer(ctx: AppContext, render: Render) -> CallbackDeliverer:
    """`render` shapes a callback's body; the surface that took the callback gives it."""
    return CallbackDeliverer(ctx, render=render)


def build_engine(ctx: AppContext, render: Render, *, run_executions: bool = True) -> Engine:
    """`run_executions=False`: the server runs none itself (`serve --no-workers`). Its deliverer
    still posts callbacks: a callback's body is a surface's to shape, and a worker imports no surface."""
    executor = build_executor(ctx) if run_executions else None
    return Engine(executor=executor, deliverer=build_deliverer(ctx, render))


def build_worker(
    ctx: AppContext, *, concurrency: int, kinds: Iterable[str], labels: Mapping[str, str]
) -> WorkerProcess:
    """A `testament worker`: claims executions of `kinds` only, `concurrency` at a time."""
    return WorkerProcess(ctx, concurrency=concurrency, kinds=kinds, labels=labels)
