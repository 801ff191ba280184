"""/api/v1/workers: the worker processes that run executions, for any key. Every key sees every
worker (what the deployment can run, and whether it lives); the executions on each are only the
caller's workspace's."""

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from testament.api.deps import Ctx, CurrentPrincipal
from testament.api.schemas import Items
from testament.services import workers as svc

router = APIRouter(tags=["workers"])


class WorkerExecution(BaseModel):
    id: str
    test_case_id: str
    test_case_name: str


class WorkerPublic(BaseModel):
    id: str
    host: str
    pid: int
    kinds: list[str] = Field(description="the test kinds it claims")
    labels: dict[str, str] = Field(description="what it offers, as given with --labels")
    concurrency: int = Field(description="executions it runs at once")
    version: str = Field(description="the Testament version it runs")
    state: str = Field(description="running, draining (claims nothing more) or stopped, as it last said")
    liveness: str = Field(
        description="alive; dead after five missed heartbeats (a beat a second, or every "
        "TESTAMENT_HEARTBEAT_S if shorter: 5 s by default); or stopped (drained and signed off)"
    )
    started_at: datetime
    last_heartbeat_at: datetime
    stopped_at: datetime | None
    executions: list[WorkerExecution] = Field(
        description="the executions of your workspace it runs now (other workspaces' are not shown)"
    )

    @classmethod
    def of(cls, w: svc.WorkerView) -> "WorkerPublic":
        return cls(
            id=w.id,
            host=w.host,
            pid=w.pid,
            kinds=w.kinds,
            labels=w.labels,
            concurrency=w.concurrency,
            version=w.version,
            state=w.state,
            liveness=w.liveness,
            started_at=w.started_at,
            last_heartbeat_at=w.last_heartbeat_at,
            stopped_at=w.stopped_at,
            executions=[
                WorkerExecution(id=x.id, test_case_id=x.test_case_id, test_case_name=x.test_case_name)
                for x in w.executions
            ],
        )


@router.get("/workers", operation_id="listWorkers", summary="List the workers")
def list_workers(ctx: Ctx, principal: CurrentPrincipal) -> Items[WorkerPublic]:
    """The worker processes (`testament worker`), oldest first: host, kinds, labels, version,
    heartbeat and liveness, and the executions of your workspace each runs now. A worker that
    stopped or died more than a day ago is not listed. `testament serve`'s worker children are
    workers like any other. Any role may call it."""
    return Items(items=[WorkerPublic.of(w) for w in svc.list_workers(ctx, principal)])
