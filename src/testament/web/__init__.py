"""The web UI: server-rendered pages (Jinja2 + htmx) at the root of the server, over the
services' read side. It never imports the store (an import contract says so).

- `install_web(app, ctx, api_paths)` (called by api/app.py) adds the pages, `/static/`, the
  security headers and the HTML error pages to the root app.
- `session.py`: `Viewer`, the dependency of every page (the signed-in key, CSRF, roles).
- `render.py`: `render(request, template, **context)`, filters and globals of the templates.
- `pages/`: one module per page group, each an APIRouter; `pages.ROUTERS` lists them.
- `templates/`: `base.html` (the layout), `macros.html` (status, empty states, pager, history
  strips, sparklines), one template per page under `pages/`.
- `static/`: `testament.css`, and `vendor/` (htmx, its SSE extension; `make vendor`).
"""

from collections.abc import Iterable

from fastapi import FastAPI
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from testament.services.context import AppContext
from testament.web.errors import install_error_pages
from testament.web.pages import ROUTERS
from testament.web.render import STATIC_DIR
from testament.web.security import UiHeaders

__all__ = ["install_web"]


class CachedStatic(StaticFiles):
    """Static files cached for a year: their URLs carry their content's hash (render.static_url)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def install_web(app: FastAPI, ctx: AppContext, api_paths: Iterable[str]) -> None:
    """Serve the UI from `app`'s root: every path outside `api_paths` (the prefixes of the APIs,
    the surfaces and /healthz) is the UI's, with its security headers and HTML error pages."""
    del ctx  # pages read app.state.ctx through Viewer; kept for a UI that needs wiring of its own
    paths = tuple(api_paths)
    ui = UiHeaders(app, paths)  # its is_ui() decides which errors are pages; the middleware is added below
    install_error_pages(app, ui)
    app.mount("/static", CachedStatic(directory=STATIC_DIR), name="static")
    for router in ROUTERS:
        app.include_router(router, include_in_schema=False)
    app.add_middleware(UiHeaders, api_paths=paths)
