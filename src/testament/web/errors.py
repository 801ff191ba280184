"""Error pages: on UI paths an error is an HTML page in the layout (or a redirect to sign in),
never the APIs' JSON; the APIs' paths keep their own wire formats.

`install_error_pages` wraps the app's handlers for HTTP and domain errors: a UI path gets a page,
any other path goes to the handler the app had before (api/errors.py's problem+json).
"""

import logging
from collections.abc import Awaitable, Callable
from inspect import isawaitable

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from testament.domain import errors as e
from testament.web.render import render
from testament.web.security import UI_HEADERS, UiHeaders
from testament.web.session import BadCsrf, SignInRequired, optional_user, sign_in_url

__all__ = ["error_page", "install_error_pages"]

log = logging.getLogger(__name__)

Handler = Callable[[Request, Exception], Response | Awaitable[Response]]

_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "Conflict",
    500: "Server error",
}
_DOMAIN_STATUS: tuple[tuple[type[e.TestamentError], int], ...] = (
    (e.Forbidden, 403),
    (e.NotFound, 404),
    (e.Conflict, 409),
    (e.InvalidInput, 400),
)


def error_page(request: Request, status: int, message: str) -> Response:
    """An error as a page in the layout (signed-in or not)."""
    title = _TITLES.get(status, "Error")
    return render(request, "error.html", status_code=status, title=title, status=status, message=message)


def _to_sign_in(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    target = sign_in_url(exc.next_path)
    if request.headers.get("hx-request"):  # htmx follows this header, not a redirect of its fragment
        return Response(status_code=204, headers={"HX-Redirect": target, **UI_HEADERS})
    return RedirectResponse(target, status_code=303, headers=UI_HEADERS)


def _bad_csrf(request: Request, exc: Exception) -> Response:
    return error_page(request, 403, str(exc))


def install_error_pages(app: FastAPI, ui: UiHeaders) -> None:
    previous_http: Handler | None = app.exception_handlers.get(StarletteHTTPException)
    previous_domain: Handler | None = app.exception_handlers.get(e.TestamentError)
    previous_unexpected: Handler | None = app.exception_handlers.get(Exception)

    async def fallback(previous: Handler | None, request: Request, exc: Exception) -> Response:
        if previous is None:
            raise exc
        answer = previous(request, exc)
        return await answer if isawaitable(answer) else answer

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if not ui.is_ui(request.url.path):
            return await fallback(previous_http, request, exc)
        message = "There is no page here." if exc.status_code == 404 else str(exc.detail)
        await optional_user(request)  # the layout with its navigation, when signed in
        return error_page(request, exc.status_code, message)

    async def domain_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, e.TestamentError)
        if not ui.is_ui(request.url.path):
            return await fallback(previous_domain, request, exc)
        if isinstance(exc, e.Unauthenticated):
            return _to_sign_in(request, SignInRequired(request.url.path, exc.message))
        status = next((code for cls, code in _DOMAIN_STATUS if isinstance(exc, cls)), 400)
        await optional_user(request)
        return error_page(request, status, exc.message)

    async def unexpected(request: Request, exc: Exception) -> Response:
        if not ui.is_ui(request.url.path):
            return await fallback(previous_unexpected, request, exc)
        log.exception("unexpected error on a web UI page", exc_info=exc)
        return error_page(request, 500, "The server failed to answer; the error is in its log.")

    app.add_exception_handler(Exception, unexpected)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(e.TestamentError, domain_error)
    app.add_exception_handler(SignInRequired, _to_sign_in)
    app.add_exception_handler(BadCsrf, _bad_csrf)
