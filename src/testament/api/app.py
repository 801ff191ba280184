"""The ASGI application: the root app serves /healthz and the web UI (at /), mounts the native API
at /api/v1 and the compatibility surfaces beside it (each a sub-app with its own OpenAPI document
and error handlers), and runs the engine for as long as it serves. The pieces come from the composition root.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Response

from testament import __version__
from testament.api.deps import Ctx, CurrentPrincipal
from testament.api.errors import install_error_handlers, refused_body
from testament.api.openapi import install_docs_page, install_openapi
from testament.api.routes import (
    assets,
    assignments,
    callback_deliveries,
    executions,
    incidents,
    resources,
    tasks,
    test_cases,
    uploads,
    users,
    workers,
)
from testament.api.schemas import Items, KeyPublic, WhoAmI
from testament.bootstrap import build_context, build_engine
from testament.config import Settings
from testament.kit.request_limits import FileRoute, RequestLimits
from testament.services import keys
from testament.services.context import AppContext
from testament.services.uploads import MAX_BYTES as MAX_UPLOAD_BYTES
from testament.surfaces import CALLBACK_BODY, build_surfaces
from testament.web import install_web

__all__ = ["create_app", "create_native_api"]


API_DESCRIPTION = """\
Store test cases, group them into suites and plans, start executions and read back every step.

Every call needs `Authorization: Bearer <key>`. A key acts in its own workspace only, with its
role: a **viewer** reads; a **tester** also creates and changes test assets and starts, stops
and records executions; a **manager** also deletes and runs assignments given to others; an
**admin** also manages keys. Each operation says which roles may call it.

Errors are `application/problem+json` (`Problem`); bad input is a 422 whose `errors` name each
refused field and its rule. Lists are cursor-paginated: `?limit=&cursor=` answer
`{"items": [...], "next_cursor": ...}`.
"""


def create_native_api(ctx: AppContext) -> FastAPI:
    api = FastAPI(
        title="Testament",
        version=__version__,
        summary="Store test cases, run them on workers, read back every step.",
        description=API_DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,  # served by install_docs_page, from this server and without an OAuth2 redirect
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    api.state.ctx = ctx
    install_error_handlers(api)
    upload_versions = FileRoute(MAX_UPLOAD_BYTES, path=r"/uploads/[^/]+/versions$")
    api.add_middleware(RequestLimits, refuse=refused_body, files=[upload_versions])
    install_openapi(api)
    install_docs_page(api)
    api.include_router(test_cases.router)
    api.include_router(test_cases.apply_router)
    api.include_router(assets.router)
    api.include_router(executions.router)
    api.include_router(resources.router)
    api.include_router(uploads.router)
    api.include_router(assignments.router)
    api.include_router(tasks.router)
    api.include_router(callback_deliveries.router)
    api.include_router(users.router)
    api.include_router(incidents.router)
    api.include_router(workers.router)
    me = APIRouter(tags=["keys"])

    @me.get("/whoami", operation_id="whoAmI", summary="Who am I")
    def whoami(principal: CurrentPrincipal) -> WhoAmI:
        """The workspace, user and role of the key you sent. Any role may call it."""
        return WhoAmI(
            workspace_id=principal.workspace_id,
            key_id=principal.key_id,
            user=principal.user_name,
            role=principal.role.value,
        )

    @me.get("/keys", operation_id="listKeys", summary="List the workspace's keys")
    def list_keys(ctx: Ctx, principal: CurrentPrincipal) -> Items[KeyPublic]:
        """The workspace's keys, oldest first, revoked ones included. Their tokens and secrets are
        never shown: they are printed once, when a key is created. Admins only."""
        issued = keys.list_keys(ctx, principal.workspace_id, principal=principal)
        return Items(items=[KeyPublic.of(k) for k in issued])

    @me.delete("/keys/{key_id}", status_code=204, operation_id="revokeKey", summary="Revoke a key")
    def revoke_key(key_id: str, ctx: Ctx, principal: CurrentPrincipal) -> Response:
        """Revoke a key of this workspace at once: calls made with it are refused from now on.
        Admins only."""
        keys.revoke_key(ctx, key_id, principal=principal)
        return Response(status_code=204)

    api.include_router(me)
    return api


def create_app(
    settings: Settings | None = None, *, start_engine: bool = True, run_executions: bool = True
) -> FastAPI:
    """`run_executions=False`: an API that runs no execution itself; worker processes do."""
    settings = settings or Settings()
    ctx = build_context(settings, concurrency=settings.workers if start_engine and run_executions else 0)
    engine = build_engine(ctx, render=CALLBACK_BODY, run_executions=run_executions) if start_engine else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if engine is not None:
            engine.start()
        try:
            yield
        finally:
            if engine is not None:
                engine.shutdown()
            ctx.db.dispose()

    root = FastAPI(
        title="Testament",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    root.state.ctx = ctx
    root.state.engine = engine
    # A path no mount takes (one with a newline escapes every mount's pattern) is a problem too.
    install_error_handlers(root)

    @root.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    root.mount("/api/v1", create_native_api(ctx))
    surfaces = build_surfaces(ctx)
    for path, surface in surfaces.items():
        root.mount(path, surface)
    # the web UI takes every other path: `/` and its pages, `/static/`
    install_web(root, ctx, api_paths=("/api/v1", "/healthz", *surfaces))
    return root
