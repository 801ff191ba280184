"""Limits on what a request body may be, checked before any route reads it.

`RequestLimits` is an ASGI middleware: it reads the body (up to the limit that applies), and
answers at once when the body is larger than its limit (413) or is JSON nested deeper than
`MAX_JSON_DEPTH` levels or escapes a lone surrogate (400, as any body that cannot be parsed:
neither is text the app could store or answer with). Otherwise the app receives
the body as sent. What the refusal says, and in which shape, is the app's (`refuse`): each
surface answers in its vendor's error format.

Files (uploads, attachments) have their own, larger limits and are not read as JSON.
"""

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from testament.kit.raw_json import MAX_JSON_DEPTH, has_lone_surrogate, nests_deeper_than

__all__ = ["JSON_BODY_BYTES", "FileRoute", "Refuse", "RequestLimits"]

JSON_BODY_BYTES = 1024 * 1024  # 1 MiB: any request body that is not a file

# (status, message) -> an ASGI app that answers the refusal in the surface's own shape
Refuse = Callable[[int, str], ASGIApp]


@dataclass(frozen=True)
class FileRoute:
    """Requests whose body is a file: a path pattern (searched in the request path) or a
    media type prefix, and how many bytes such a body may have."""

    max_bytes: int
    path: str | None = None
    media_type: str | None = None

    def matches(self, path: str, media_type: str) -> bool:
        return (self.path is not None and re.search(self.path, path) is not None) or (
            self.media_type is not None and media_type.startswith(self.media_type)
        )


class _TooLarge(Exception):
    pass


class RequestLimits:
    def __init__(self, app: ASGIApp, *, refuse: Refuse, files: Sequence[FileRoute] = ()) -> None:
        self.app, self.refuse, self.files = app, refuse, tuple(files)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        file = next((f for f in self.files if f.matches(scope["path"], media_type)), None)
        limit = file.max_bytes if file else JSON_BODY_BYTES
        what = "a file" if file else "a request body"
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse_size(scope, receive, send, what, limit)
            return
        try:
            body, more_body_messages = await _read_body(receive, limit)
        except _TooLarge:
            await self._refuse_size(scope, receive, send, what, limit)
            return
        problem = None if file is not None or not _is_json(media_type) else _json_problem(body)
        if problem is not None:
            await self.refuse(400, problem)(scope, receive, send)
            return
        await self.app(scope, _replay(body, more_body_messages, receive), send)

    async def _refuse_size(self, scope: Scope, receive: Receive, send: Send, what: str, limit: int) -> None:
        message = f"{what} may be at most {_size(limit)} ({limit} bytes)"
        await self.refuse(413, message)(scope, receive, send)


def _json_problem(body: bytes) -> str | None:
    if nests_deeper_than(body, MAX_JSON_DEPTH):
        return f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels of arrays and objects"
    if has_lone_surrogate(body):
        return "the JSON body holds a lone surrogate (such as \\ud800), which is not Unicode text"
    return None


def _is_json(media_type: str) -> bool:
    """Bodies a route may parse as JSON: sent as JSON (any `+json` or AWS's `x-amz-json`), or
    sent without a media type (parsed as JSON by the routes that take JSON)."""
    return media_type == "" or "json" in media_type


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit % (1024 * 1024) == 0 else f"{limit} bytes"


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, list[Message]]:
    """The whole body, or _TooLarge once it passes `limit`; and any non-body message met."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), [message]  # the client went away: let the app see it
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), []


def _replay(body: bytes, pending: list[Message], receive: Receive) -> Callable[[], Awaitable[Message]]:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
