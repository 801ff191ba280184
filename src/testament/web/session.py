"""Who is looking at a page: the signed-in browser's session, its CSRF check and its role.

Every page route takes `user: Viewer`:

    @router.get("/runs")
    def runs(request: Request, user: Viewer) -> HTMLResponse:
        page = executions.list_executions(user.ctx, user.principal, limit=50)
        return render(request, "runs.html", page=page)

`current_user` resumes the session from the `testament_session` cookie (no session, an ended or
expired one, or one whose key was revoked: the browser is sent to `/sign-in?next=<path>`), and,
for every unsafe method (POST, PUT, PATCH, DELETE), checks the CSRF token, sent as the form field
`csrf` or the header `X-CSRF-Token` (htmx sends the header: base.html sets it on <body>); a
missing or wrong token is a 403 page and the route does not run.

Roles: `user.can("stop")` (also the template global `can("stop")`) says whether the key's role
allows an action, and `user.require("stop")` refuses it with a 403 page. Actions are the domain's
permissions (domain/access.py: read, write, execute, delete, administer, run_any_assignment,
read_deliveries) or the UI's names for them in ACTIONS (start, stop, rerun, record, edit, ...).
"""

import hmac
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from testament.domain.access import Permission, Principal, Role
from testament.domain.errors import Unauthenticated
from testament.services import ui_sessions, workspaces
from testament.services.context import AppContext

__all__ = [
    "ACTIONS",
    "COOKIE",
    "BadCsrf",
    "SignInRequired",
    "Viewer",
    "WebUser",
    "current_user",
    "optional_user",
    "permission_for",
    "safe_next",
]

COOKIE = "testament_session"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# The UI's words for what a button does -> the domain permission it needs (the one table of who
# may do what stays domain/access.py's).
ACTIONS: dict[str, Permission] = {
    "view": Permission.READ,
    "start": Permission.EXECUTE,
    "stop": Permission.EXECUTE,
    "rerun": Permission.EXECUTE,
    "record": Permission.EXECUTE,
    "create": Permission.WRITE,
    "edit": Permission.WRITE,
    "publish": Permission.WRITE,
    "manage_keys": Permission.ADMINISTER,
    "manage_settings": Permission.ADMINISTER,
}


def permission_for(action: str | Permission) -> Permission:
    """The permission an action needs: a Permission, its value (`"delete"`), or a name in ACTIONS."""
    if isinstance(action, Permission):
        return action
    if action in ACTIONS:
        return ACTIONS[action]
    try:
        return Permission(action)
    except ValueError:
        raise KeyError(f"unknown UI action {action!r}: add it to web.session.ACTIONS") from None


class SignInRequired(Exception):
    """No usable session: answered with a redirect to the sign-in page (web/errors.py)."""

    def __init__(self, next_path: str, reason: str = "") -> None:
        super().__init__(reason or "sign in")
        self.next_path = next_path
        self.reason = reason


class BadCsrf(Exception):
    """An unsafe request without the session's CSRF token: answered with a 403 page."""


@dataclass(frozen=True)
class WebUser:
    """The signed-in key, as pages see it: `ctx` for the services, `principal` for their
    checks, and what the layout shows (workspace name, role, user name)."""

    ctx: AppContext
    principal: Principal
    workspace_name: str
    csrf_token: str

    @property
    def role(self) -> Role:
        return self.principal.role

    @property
    def user_name(self) -> str:
        return self.principal.user_name

    @property
    def workspace_id(self) -> str:
        return self.principal.workspace_id

    def can(self, action: str | Permission) -> bool:
        """Whether the key's role allows `action` (see ACTIONS); hide buttons with it."""
        return self.principal.can(permission_for(action))

    def require(self, action: str | Permission) -> None:
        """Refuse the request (a 403 page) unless the key's role allows `action`."""
        self.principal.require(permission_for(action))


def safe_next(value: str | None) -> str:
    """A same-site path to go back to after signing in, or `/`: only a relative path that starts
    with one `/` (never `//host`, `/\\host`, `http://…` or control characters)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    if any(ord(c) < 32 or c == "\\" for c in value):
        return "/"
    return value


def _wanted_path(request: Request) -> str:
    path = request.url.path
    if request.url.query:
        path += "?" + request.url.query
    return path


def sign_in_url(next_path: str) -> str:
    return "/sign-in" if next_path == "/" else "/sign-in?next=" + quote(next_path, safe="/")


async def _sent_csrf(request: Request) -> str:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()  # cached on the request: the route's Form(...) fields still read it
        value = form.get("csrf")
        return value if isinstance(value, str) else ""
    return ""


def _resume(ctx: AppContext, cookie: str) -> WebUser:
    """The session and its workspace's name: database reads, run off the event loop."""
    session = ui_sessions.resume(ctx, cookie)
    workspace = workspaces.get_workspace(ctx, session.principal.workspace_id)
    return WebUser(ctx, session.principal, workspace.name, session.csrf_token)


async def current_user(request: Request) -> WebUser:
    """The dependency behind `Viewer` (see the module's docstring)."""
    ctx: AppContext = request.app.state.ctx
    back_to = _wanted_path(request) if request.method in ("GET", "HEAD") else "/"
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        raise SignInRequired(back_to)
    try:
        user = await run_in_threadpool(_resume, ctx, cookie)
    except Unauthenticated as exc:
        raise SignInRequired(back_to, exc.message) from None
    if request.method in UNSAFE_METHODS:
        sent = await _sent_csrf(request)
        if not sent or not hmac.compare_digest(sent, user.csrf_token):
            raise BadCsrf("the form's CSRF token is missing or wrong: reload the page and try again")
    request.state.web_user = user
    return user


async def optional_user(request: Request) -> WebUser | None:
    """The signed-in user if the request has a good session, else None; never redirects and
    checks no CSRF token (for pages that show either way, such as error pages)."""
    known = getattr(request.state, "web_user", None)
    if isinstance(known, WebUser):
        return known
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    try:
        user = await run_in_threadpool(_resume, request.app.state.ctx, cookie)
    except Unauthenticated:
        return None
    request.state.web_user = user
    return user


Viewer = Annotated[WebUser, Depends(current_user)]
