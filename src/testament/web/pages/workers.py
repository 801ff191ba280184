"""Workers (/workers). A stub until its page is built: the layout with a placeholder."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from testament.web.render import render
from testament.web.session import Viewer

__all__ = ["router"]

router = APIRouter()


@router.get("/workers", response_class=HTMLResponse)
def workers_page(request: Request, user: Viewer) -> HTMLResponse:
    return render(
        request,
        "pages/placeholder.html",
        title="Workers",
        nav="/workers",
        about="Workers: kinds, labels, liveness and what they run.",
    )
