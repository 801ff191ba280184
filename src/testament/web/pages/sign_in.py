"""Signing in with an API key (GET/POST /sign-in) and out (POST /sign-out).

The sign-in form carries a CSRF token of its own (signed, valid for an hour: there is no session
yet); a valid key starts a session (services/ui_sessions.py) whose signed id goes into the
`testament_session` cookie (HttpOnly, SameSite=Lax, Secure over HTTPS), and the browser goes on
to `next` (a same-site path only).
"""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.responses import RedirectResponse, Response

from testament.domain.errors import Unauthenticated
from testament.services import ui_sessions
from testament.services.context import AppContext
from testament.web.errors import error_page
from testament.web.render import render
from testament.web.session import COOKIE, Viewer, safe_next

__all__ = ["router"]

router = APIRouter()

_FORM_SALT = "testament.sign-in-form"
FORM_MAX_AGE_S = 3600


def _ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


def _form_token(ctx: AppContext) -> str:
    return URLSafeTimedSerializer(ctx.settings.resolved_secret_key(), salt=_FORM_SALT).dumps("sign-in")


def _form_token_ok(ctx: AppContext, token: str) -> bool:
    serializer = URLSafeTimedSerializer(ctx.settings.resolved_secret_key(), salt=_FORM_SALT)
    try:
        return bool(serializer.loads(token, max_age=FORM_MAX_AGE_S) == "sign-in")
    except BadSignature:
        return False


def _sign_in_page(
    request: Request, next_path: str, *, error: str = "", status_code: int = 200
) -> HTMLResponse:
    return render(
        request,
        "pages/sign_in.html",
        status_code=status_code,
        title="Sign in",
        next_path=next_path,
        error=error,
        form_csrf=_form_token(_ctx(request)),
    )


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, next: str = "/") -> HTMLResponse:
    return _sign_in_page(request, safe_next(next))


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(
    request: Request,
    api_key: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    ctx = _ctx(request)
    next_path = safe_next(next)
    if not _form_token_ok(ctx, csrf):
        return error_page(
            request, 403, "The sign-in form has expired or was not sent by this server: reload it."
        )
    if not api_key.strip():
        return _sign_in_page(request, next_path, error="Enter an API key.", status_code=400)
    try:
        cookie, session = ui_sessions.sign_in(ctx, api_key)
    except Unauthenticated:
        return _sign_in_page(
            request, next_path, error="That API key is not valid (unknown or revoked).", status_code=401
        )
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=int((session.expires_at - ctx.clock()).total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/sign-out")
def sign_out(request: Request, user: Viewer) -> Response:
    ui_sessions.end_session(user.ctx, request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )
    return response
