"""Typed dependencies: route signatures read `ctx: Ctx, principal: CurrentPrincipal`."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from testament.domain.access import Principal
from testament.domain.errors import Unauthenticated
from testament.services.context import AppContext
from testament.services.keys import authenticate_token

__all__ = ["Ctx", "CurrentPrincipal", "get_context"]

_bearer = HTTPBearer(auto_error=False, description="an API key from `testament key create`")


async def get_context(request: Request) -> AppContext:
    """Async so that FastAPI calls it on the event loop: it only reads an attribute, and a sync
    dependency would cost every request a hop through the thread pool."""
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_context)]


def get_principal(
    ctx: Ctx, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthenticated("send an API key as 'Authorization: Bearer <token>'")
    return authenticate_token(ctx, credentials.credentials)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
