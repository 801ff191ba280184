"""Runs (/runs). A stub until its page is built: the layout with a placeholder."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from testament.web.render import render
from testament.web.session import Viewer

__all__ = ["router"]

router = APIRouter()


@router.get("/runs", response_class=HTMLResponse)
def runs_page(request: Request, user: Viewer) -> HTMLResponse:
    return render(
        request,
        "pages/placeholder.html",
        title="Runs",
        nav="/runs",
        about="Executions and plan runs, newest first, with filters; start a test case or plan; a run live.",
    )
