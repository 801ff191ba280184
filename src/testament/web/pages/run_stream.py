"""A run followed live: server-sent events for /runs/{execution_id}/stream.

Workers are other processes, so the stream polls the execution and its records through the
services (every POLL_S, by seq) and sends:

- `record`: one record as its <li id="record-<seq>"> (the event's id is its seq; the page's
  script drops one it already holds, and carries the last seq into the stream's URL, so a
  reconnect resumes after it: htmx's SSE extension does not resend Last-Event-ID);
- `banner`: the status banner again, when the execution changed (status, attempt, counts);
- `end`: once the execution has finished and every record was sent (the page closes the stream).

A comment line every KEEPALIVE_S keeps proxies from closing an idle stream.
"""

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from testament.domain.execution import Execution
from testament.services.executions import read as runs_read
from testament.web.pages.run_view import steps_of
from testament.web.render import templates
from testament.web.session import WebUser

__all__ = ["POLL_S", "events", "fragment"]

POLL_S = 0.4
KEEPALIVE_S = 15.0
BATCH = 100


def fragment(template: str, user: WebUser, **context: Any) -> str:
    """A template rendered outside a response (for an event), with the page's globals."""
    return templates.env.get_template(template).render(user=user, **context)


def message(event: str, data: str, ident: int | None = None) -> str:
    lines = [f"event: {event}"]
    if ident is not None:
        lines.append(f"id: {ident}")
    lines += [f"data: {line}" for line in (data.splitlines() or [""])]
    return "\n".join(lines) + "\n\n"


def _banner_key(execution: Execution) -> tuple[Any, ...]:
    return (
        execution.status,
        execution.attempt,
        execution.stop_requested,
        execution.records_total,
        execution.records_failed,
        execution.override_status,
    )


async def events(request: Request, user: WebUser, execution_id: str, after: int) -> AsyncIterator[str]:
    last = after
    shown: tuple[Any, ...] | None = None
    quiet_since = time.monotonic()
    yield "retry: 1000\n\n"
    while True:
        if await request.is_disconnected():
            return
        execution, records, found = await run_in_threadpool(
            runs_read.follow_run, user.ctx, user.principal, execution_id, last, limit=BATCH
        )
        for step in steps_of(records, found):
            yield message("record", fragment("runs/step.html", user, step=step), step.seq)
            last = step.seq
        finished = execution.status.is_terminal and len(records) < BATCH
        key = _banner_key(execution)
        if key != shown:
            banner = fragment("runs/banner.html", user, execution=execution, live=not finished)
            yield message("banner", banner)
            shown = key
        if finished:
            yield message("end", "finished")
            return
        if records:
            quiet_since = time.monotonic()
            continue
        if time.monotonic() - quiet_since > KEEPALIVE_S:
            yield ": keep-alive\n\n"
            quiet_since = time.monotonic()
        await asyncio.sleep(POLL_S)
