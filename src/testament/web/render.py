"""Rendering: one Jinja2 environment (autoescape on for every template), its filters and globals,
and `render()`, the one way a page answers.

    return render(request, "runs.html", page=page)             # 200, in the layout
    return render(request, "error.html", status_code=404, title="Not found", message="...")

`render` adds to the context: `request`, `user` (the WebUser that `Viewer` resolved, or None on
pages without a session) and answers with the UI's security headers (web/security.py).

Filters (registered here, nowhere else):
    {{ dt | reltime }}       <time datetime="ISO" title="ISO">3 min ago</time> (None: an em dash)
    {{ ms | duration }}      1.2 s, 3 min 4 s, 2 h 5 min (None: an em dash)
    {{ 0.873 | percent }}    87%
Globals:
    static_url("testament.css")  /static/testament.css?v=<hash of the file>
    can("stop")                  the signed-in role allows it (web/session.py ACTIONS); False signed out
    status_info(s)               (tone, glyph, word) of any status word (see STATUSES)
"""

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.responses import HTMLResponse

from testament.web.security import UI_HEADERS
from testament.web.session import WebUser

__all__ = [
    "STATIC_DIR",
    "STATUSES",
    "TEMPLATES_DIR",
    "duration",
    "reltime",
    "render",
    "status_info",
    "templates",
]

HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"

# One vocabulary of status for every page: a status word (any enum of the domain: executions,
# records, manual steps and runs, test instances) -> (tone, glyph, word). The tone is a CSS
# class (`st-<tone>`) with one colour per tone; the glyph is beside the word, so colour is never
# the only signal. Tones `running` spin (unless the reader prefers reduced motion).
STATUSES: dict[str, tuple[str, str, str]] = {
    "QUEUED": ("queued", "◷", "Queued"),
    "RUNNING": ("running", "◌", "Running"),
    "IN_PROGRESS": ("running", "◌", "In progress"),
    "STARTED": ("running", "◌", "Started"),
    "PASSED": ("passed", "✓", "Passed"),
    "COMPLETE": ("passed", "✓", "Complete"),
    "FAILED": ("failed", "✗", "Failed"),
    "ERROR": ("error", "!", "Error"),
    "STOPPED": ("stopped", "■", "Stopped"),
    "TIMED_OUT": ("error", "⌛", "Timed out"),
    "BLOCKED": ("blocked", "⊘", "Blocked"),
    "UNDETERMINED": ("undetermined", "?", "Undetermined"),
    "NOT_RUN": ("neutral", "○", "Not run"),
    "SKIPPED": ("neutral", "»", "Skipped"),
    "INFO": ("neutral", "i", "Info"),
    "RESETUP": ("queued", "↻", "Reset"),
    # a worker's liveness (services/workers.py)
    "ALIVE": ("passed", "●", "Alive"),
    "DRAINING": ("queued", "◐", "Draining"),
    "DEAD": ("failed", "†", "Dead"),
}
_UNKNOWN = ("neutral", "•", "")


def _status_key(value: object) -> str:
    """`Not Run`, `NotRun`, `not_run`, `NOT_RUN` -> `NOT_RUN`; enums by their value."""
    text = str(getattr(value, "value", value)).strip()
    if " " not in text and "_" not in text and not text.isupper():
        text = "".join("_" + c if c.isupper() and i else c for i, c in enumerate(text))  # NotRun
    return text.replace(" ", "_").upper()


def status_info(value: object) -> tuple[str, str, str]:
    """(tone, glyph, word) of a status; an unknown one is neutral with its own word."""
    tone, glyph, word = STATUSES.get(_status_key(value), _UNKNOWN)
    return tone, glyph, word or str(getattr(value, "value", value))


def _ago(seconds: float) -> str:
    if seconds < 0:
        return "in the future"
    if seconds < 45:
        return "just now"
    for size, unit in ((86400 * 365, "y"), (86400 * 30, "mo"), (86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now"


def reltime(moment: datetime | None, now: datetime | None = None) -> Markup:
    """A relative time in a <time> element with the exact ISO time as its datetime and title."""
    if moment is None:
        return Markup("—")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    exact = moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    text = _ago(((now or datetime.now(UTC)) - moment).total_seconds())
    return Markup('<time datetime="{0}" title="{0}">{1}</time>').format(exact, text)


def duration(ms: float | None) -> str:
    """Milliseconds in human units: 350 ms, 1.2 s, 3 min 4 s, 2 h 5 min."""
    if ms is None:
        return "—"
    if ms < 1000:
        return f"{round(ms)} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def percent(ratio: float | None) -> str:
    return "—" if ratio is None else f"{round(ratio * 100)}%"


@cache
def _static_version(name: str) -> str:
    path = STATIC_DIR / name
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.is_file() else "0"


def static_url(name: str) -> str:
    """A static file's URL with its content's hash as version (so it may be cached for a year)."""
    return f"/static/{name}?v={_static_version(name)}"


@pass_context
def _can(context: Context, action: str) -> bool:
    user = context.get("user")
    return isinstance(user, WebUser) and user.can(action)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True, trim_blocks=True, lstrip_blocks=True
    )
    env.filters.update(reltime=reltime, duration=duration, percent=percent)
    env.globals.update(static_url=static_url, can=_can, status_info=status_info)
    return env


templates = Jinja2Templates(env=_environment())


def render(
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render a template of web/templates as the answer (see the module's docstring)."""
    context.setdefault("user", getattr(request.state, "web_user", None))
    response = templates.TemplateResponse(
        request, template, context, status_code=status_code, headers={**UI_HEADERS, **(headers or {})}
    )
    assert isinstance(response, HTMLResponse)
    return response
