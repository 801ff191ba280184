"""The dashboard (/): for now, the workspace's last runs counted by status and the newest ones."""

from collections import Counter

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from testament.services import executions
from testament.web.render import render
from testament.web.session import Viewer

__all__ = ["router"]

router = APIRouter()

LAST_RUNS = 100


@router.get("/", response_class=HTMLResponse)
def dashboard_page(request: Request, user: Viewer) -> HTMLResponse:
    page = executions.list_executions(user.ctx, user.principal, limit=LAST_RUNS)
    counts = Counter(str(e.status.value) for e in page.items)
    return render(
        request,
        "pages/dashboard.html",
        title="Dashboard",
        nav="/",
        counts=sorted(counts.items()),
        total=len(page.items),
        recent=page.items[:10],
    )
