"""Settings (/settings): the workspace's environments (secrets shown as set, never their values)
and, for admins, its keys: create one (its token shown once, on the answer), revoke one.

Every key action is the admin's (`manage_keys`): the controls are hidden from other roles and
the server refuses them (403) all the same. Revoking the key of the current session ends it.
"""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from testament.domain.access import Role
from testament.domain.errors import InvalidInput, NotFound
from testament.domain.model import ApiKey
from testament.services import environments, keys, ui_sessions
from testament.web.render import render
from testament.web.session import COOKIE, Viewer, WebUser

__all__ = ["router"]

router = APIRouter()

ENVIRONMENTS_SHOWN = 100
NO_STORE = {"Cache-Control": "no-store"}  # a page with a new key's token is never cached


def shown_value(value: Any) -> str:
    """A plain variable's value as text (JSON for anything but a string)."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _keys(user: WebUser) -> list[ApiKey]:
    if not user.can("manage_keys"):
        return []
    found = keys.list_keys(user.ctx, user.workspace_id, principal=user.principal)
    return sorted(found, key=lambda k: (k.revoked_at is not None, k.created_at), reverse=False)


@router.get("/settings", response_class=HTMLResponse)
def settings_page(
    request: Request, user: Viewer, cursor: str | None = None, revoked: str | None = None
) -> HTMLResponse:
    page = environments.list_environments(user.ctx, user.principal, limit=ENVIRONMENTS_SHOWN, cursor=cursor)
    key_list = _keys(user)
    return render(
        request,
        "settings/index.html",
        title="Settings",
        nav="/settings",
        environments=page.items,
        next_url=f"/settings?cursor={page.next_cursor}" if page.next_cursor else None,
        shown_value=shown_value,
        keys=key_list,
        revoked=next((k for k in key_list if k.id == revoked), None),
        roles=list(Role),
    )


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput("role", f"is one of {', '.join(r.value for r in Role)}") from None


@router.post("/settings/keys", response_class=HTMLResponse)
def create_key(
    request: Request,
    user: Viewer,
    role: Annotated[str, Form()] = "",
    user_name: Annotated[str, Form()] = "",
) -> HTMLResponse:
    user.require("manage_keys")
    issued = keys.create_key(
        user.ctx, user.workspace_id, _role(role), user_name.strip(), principal=user.principal
    )
    return render(
        request,
        "settings/key_created.html",
        status_code=201,
        headers=NO_STORE,
        title="New key",
        nav="/settings",
        issued=issued,
    )


def _key(user: WebUser, key_id: str) -> ApiKey:
    found = next((k for k in _keys(user) if k.id == key_id), None)
    if found is None:
        raise NotFound("key", key_id)
    return found


@router.get("/settings/keys/{key_id}/revoke", response_class=HTMLResponse)
def confirm_revoke(request: Request, user: Viewer, key_id: str) -> HTMLResponse:
    user.require("manage_keys")
    return render(
        request,
        "settings/revoke.html",
        title="Revoke a key",
        nav="/settings",
        key=_key(user, key_id),
        own=key_id == user.principal.key_id,
    )


@router.post("/settings/keys/{key_id}/revoke")
def revoke_key(request: Request, user: Viewer, key_id: str) -> Response:
    user.require("manage_keys")
    keys.revoke_key(user.ctx, key_id, principal=user.principal)
    if key_id != user.principal.key_id:
        return RedirectResponse(f"/settings?revoked={key_id}#keys", status_code=303)
    # the session's own key: the session ends with it (and the browser forgets its cookie)
    ui_sessions.end_session(user.ctx, request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )
    return response
