"""An app's docs page: Swagger UI over the app's own OpenAPI document, its files served by this
server (nothing from a CDN), and without an OAuth2 redirect page (no key here needs one).

The native API and each compatibility surface serve theirs with it, under their own mount
(`root_path`), so one page cannot point at another's document.
"""

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["SWAGGER_FILES", "install_docs_page"]

SWAGGER_FILES = Path(fastapi_offline.__file__).parent / "static"


def install_docs_page(api: FastAPI, *, docs_url: str = "/docs", files_url: str = "/docs-static") -> None:
    api.mount(files_url, StaticFiles(directory=SWAGGER_FILES), name="docs-files")

    @api.get(docs_url, include_in_schema=False)
    def docs_page(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{api.openapi_url}",
            title=f"{api.title} API",
            swagger_js_url=f"{root}{files_url}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{files_url}/swagger-ui.css",
            swagger_favicon_url=f"{root}{files_url}/favicon.png",
            oauth2_redirect_url=None,
            swagger_ui_parameters=api.swagger_ui_parameters,
        )
