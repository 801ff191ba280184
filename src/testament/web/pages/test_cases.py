"""Test cases (/test-cases). A stub until its page is built: the layout with a placeholder."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from testament.web.render import render
from testament.web.session import Viewer

__all__ = ["router"]

router = APIRouter()


@router.get("/test-cases", response_class=HTMLResponse)
def test_cases_page(request: Request, user: Viewer) -> HTMLResponse:
    return render(
        request,
        "pages/placeholder.html",
        title="Test cases",
        nav="/test-cases",
        about="Test cases with their last result and pass rate; one test case with its versions and history.",
    )
