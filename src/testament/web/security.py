"""The UI's security headers, on every answer of a UI path (pages, errors, redirects, static).

No inline script anywhere (so htmx is configured by a <meta name="htmx-config"> tag and
attributes; its indicator styles are in testament.css, not injected), styles from this origin
only, images from this origin or data: URLs, never framed, forms post only to this origin.
"""

from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CSP", "UI_HEADERS", "UiHeaders"]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)
UI_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class UiHeaders:
    """ASGI middleware: adds UI_HEADERS (where not set) to answers of paths outside `api_paths`
    (the native API, the surfaces and /healthz keep their own headers)."""

    def __init__(self, app: ASGIApp, api_paths: Iterable[str]) -> None:
        self.app = app
        self.api_paths = tuple(api_paths)

    def is_ui(self, path: str) -> bool:
        return not any(path == p or path.startswith(p.rstrip("/") + "/") for p in self.api_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.is_ui(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in UI_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
