"""Settings (/settings). A stub until its page is built: the layout with a placeholder."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from testament.web.render import render
from testament.web.session import Viewer

__all__ = ["router"]

router = APIRouter()


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, user: Viewer) -> HTMLResponse:
    return render(
        request,
        "pages/placeholder.html",
        title="Settings",
        nav="/settings",
        about="Environments (secrets shown as set or unset) and keys.",
    )
