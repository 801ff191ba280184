"""Plans (/plans). A stub until its page is built: the layout with a placeholder."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from testament.web.render import render
from testament.web.session import Viewer

__all__ = ["router"]

router = APIRouter()


@router.get("/plans", response_class=HTMLResponse)
def plans_page(request: Request, user: Viewer) -> HTMLResponse:
    return render(
        request,
        "pages/placeholder.html",
        title="Plans",
        nav="/plans",
        about="Plans with their suites, machines and last runs; a plan run's grid.",
    )
