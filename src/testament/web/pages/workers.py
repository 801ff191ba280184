"""Workers (/workers): the fleet, its liveness and last heartbeats, and what each runs of this
workspace (every key sees every worker; only its own workspace's runs on them)."""

from collections import Counter

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from testament.services import workers
from testament.services.workers import WorkerView
from testament.web.render import render
from testament.web.session import Viewer

__all__ = ["router", "shown_status"]

router = APIRouter()


def shown_status(worker: WorkerView) -> str:
    """The status word a worker shows: alive, draining (alive, finishing what it runs), dead or stopped."""
    if worker.liveness == "alive" and worker.state == "draining":
        return "DRAINING"
    return worker.liveness.upper()


@router.get("/workers", response_class=HTMLResponse)
def workers_page(request: Request, user: Viewer) -> HTMLResponse:
    fleet = workers.list_workers(user.ctx, user.principal)
    order = {"alive": 0, "dead": 1, "stopped": 2}
    fleet.sort(key=lambda w: (order.get(w.liveness, 3), w.host, w.started_at))
    counts = Counter(w.liveness for w in fleet)
    return render(
        request,
        "workers/index.html",
        title="Workers",
        nav="/workers",
        fleet=[(w, shown_status(w)) for w in fleet],
        counts=[(state, counts[state]) for state in workers.LIVENESS if counts[state]],
        running_here=sum(len(w.executions) for w in fleet),
        shown_for_h=int(workers.SHOWN_FOR.total_seconds() // 3600),
    )
