"""Runs: the list of executions and plan runs (/runs), starting one (/runs/new), and a run live
(/runs/{execution_id}, its records streamed by /runs/{execution_id}/stream: run_stream.py).

The list has two tabs, executions and plan runs: each is paged by its own cursor over its own
table (an execution of a plan run is also in the executions tab), so a shared link names one.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from testament.domain.errors import Conflict, InvalidInput, NotFound, QuotaExceeded
from testament.domain.execution import ExecutionStatus
from testament.services import environments, plans, references
from testament.services.blobs import download_headers
from testament.services.executions import artifacts as artifact_svc
from testament.services.executions import read as runs_read
from testament.services.executions import start as starting
from testament.services.executions.lifecycle import stop_execution
from testament.services.paging import Page
from testament.services.plan_runs import read as plan_runs_read
from testament.services.test_cases import write as test_cases
from testament.web.pages import run_stream
from testament.web.pages.run_view import INLINE_IMAGES, score_view, shown_variables, steps_of
from testament.web.render import render
from testament.web.security import UI_HEADERS
from testament.web.session import Viewer

__all__ = ["router"]

router = APIRouter()

PAGE_SIZE = 50
WINDOW = 100  # records a run's page holds at first; earlier ones load on demand
FILTERS = ("status", "test_case", "plan", "tag", "environment", "started_by", "since", "until")


# --- the list --------------------------------------------------------------------------------


def _moment(field: str, value: str) -> datetime | None:
    """A date (`2026-11-30`) or a date and time (`2026-11-30T10:00`), taken as UTC."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            field, "is not a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _status(value: str) -> ExecutionStatus | None:
    if not value:
        return None
    try:
        return ExecutionStatus(value.strip().upper())
    except ValueError:
        known = ", ".join(s.value for s in ExecutionStatus)
        raise InvalidInput("status", f"is not a status (one of {known})") from None


def _list_url(view: str, filters: dict[str, str], cursor: str | None) -> str | None:
    if cursor is None:
        return None
    query = {k: v for k, v in filters.items() if v}
    if view != "executions":
        query["view"] = view
    query["cursor"] = cursor
    return "/runs?" + urlencode(query)


@router.get("/runs", response_class=HTMLResponse)
def runs_page(
    request: Request,
    user: Viewer,
    view: str = "executions",
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = PAGE_SIZE,
    status: str = "",
    test_case: str = "",
    plan: str = "",
    tag: str = "",
    environment: str = "",
    started_by: str = "",
    since: str = "",
    until: str = "",
) -> HTMLResponse:
    view = "plan-runs" if view == "plan-runs" else "executions"
    filters = {
        "status": status,
        "test_case": test_case,
        "plan": plan,
        "tag": tag,
        "environment": environment,
        "started_by": started_by,
        "since": since,
        "until": until,
    }
    error = None
    page: Page[Any] = Page([], None)
    try:
        ctx, who = user.ctx, user.principal
        plan_id = references.resolve_filter(ctx, who, references.PLAN, plan, field="plan")
        if view == "plan-runs":
            page = plan_runs_read.list_plan_run_rows(ctx, who, plan_id=plan_id, limit=limit, cursor=cursor)
        else:
            page = runs_read.list_runs(
                ctx,
                who,
                limit=limit,
                cursor=cursor,
                status=_status(status),
                test_case_id=references.resolve_filter(
                    ctx, who, references.TEST_CASE, test_case, field="test_case"
                ),
                plan_id=plan_id,
                tag=tag.strip() or None,
                environment_id=references.resolve_filter(
                    ctx, who, references.ENVIRONMENT, environment, field="environment"
                ),
                started_by=started_by.strip() or None,
                since=_moment("since", since),
                until=_moment("until", until),
            )
    except InvalidInput as exc:
        error = exc
    filtered = any(filters.values())
    return render(
        request,
        "runs/list.html",
        status_code=400 if error else 200,
        title="Runs",
        nav="/runs",
        view=view,
        filters=filters,
        filtered=filtered,
        error=error,
        page=page,
        statuses=[s.value for s in ExecutionStatus],
        next_url=_list_url(
            view, {**filters, "limit": "" if limit == PAGE_SIZE else str(limit)}, page.next_cursor
        ),
        tab_url=lambda v: "/runs?" + urlencode({**{k: x for k, x in filters.items() if x}, "view": v}),
    )


# --- starting --------------------------------------------------------------------------------


def _choices(user: Viewer) -> dict[str, Any]:
    ctx, who = user.ctx, user.principal
    return {
        "test_cases": [
            c
            for c in test_cases.list_test_cases(ctx, who, limit=1000).items
            if c.published_version is not None
        ],
        "plans": plans.list_plans(ctx, who, limit=1000).items,
        "environments": environments.list_environments(ctx, who, limit=1000).items,
    }


def _variables(text: str) -> dict[str, str]:
    """`key=value` lines (blank lines and `#` comments skipped) -> variables."""
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise InvalidInput("variables", f"line {number} is not key=value")
        found[key.strip()] = value.strip()
    return found


def _start_form(
    request: Request,
    user: Viewer,
    *,
    target: str = "",
    environment: str = "",
    variables: str = "",
    error: str | None = None,
    field: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "runs/new.html",
        status_code=status_code,
        title="Start a run",
        nav="/runs",
        target=target,
        environment=environment,
        variables=variables,
        error=error,
        field=field,
        **_choices(user),
    )


@router.get("/runs/new", response_class=HTMLResponse)
def new_run_page(
    request: Request, user: Viewer, test_case: str = "", plan: str = "", environment: str = ""
) -> HTMLResponse:
    user.require("start")
    target = f"plan:{plan}" if plan else f"test_case:{test_case}" if test_case else ""
    return _start_form(request, user, target=target, environment=environment)


@router.post("/runs/new", response_model=None)
def start_run(
    request: Request,
    user: Viewer,
    target: Annotated[str, Form()] = "",
    environment: Annotated[str, Form()] = "",
    variables: Annotated[str, Form()] = "",
) -> Response:
    user.require("start")
    again = {"target": target, "environment": environment, "variables": variables}
    try:
        kind, _, ident = target.partition(":")
        if kind not in ("test_case", "plan") or not ident:
            raise InvalidInput("target", "choose a test case or a plan to run")
        started = starting.start_execution(
            user.ctx,
            user.principal,
            test_case_id=ident if kind == "test_case" else None,
            plan_id=ident if kind == "plan" else None,
            environment_id=environment or None,
            variables=_variables(variables),
        )
    except InvalidInput as exc:
        return _start_form(request, user, **again, error=str(exc), field=exc.field, status_code=400)
    except NotFound as exc:
        return _start_form(request, user, **again, error=f"target: {exc}", field="target", status_code=404)
    except (Conflict, QuotaExceeded) as exc:
        return _start_form(request, user, **again, error=str(exc), status_code=409)
    if started.plan_run is not None:
        return RedirectResponse(f"/plan-runs/{started.plan_run.id}", status_code=303)
    if len(started.executions) > 1:  # one per data set
        return RedirectResponse(f"/runs?test_case={started.executions[0].test_case_id}", status_code=303)
    return RedirectResponse(f"/runs/{started.executions[0].id}", status_code=303)


# --- artifacts -------------------------------------------------------------------------------


@router.get("/runs/artifacts/{artifact_id}")
def artifact(user: Viewer, artifact_id: str, inline: bool = False) -> StreamingResponse:
    """An artifact's file: a download (attachment), or, for a raster image asked `inline`, the
    image; never rendered as HTML or SVG on the UI's origin (nosniff, attachment)."""
    found, chunks = artifact_svc.open_artifact(user.ctx, user.principal, artifact_id)
    headers = {**UI_HEADERS, **download_headers(found.name, found.size)}
    media_type = found.media_type
    if inline and media_type in INLINE_IMAGES:
        headers["content-disposition"] = headers["content-disposition"].replace("attachment", "inline", 1)
    elif media_type.split(";")[0].strip() not in INLINE_IMAGES:
        media_type = "application/octet-stream" if "html" in media_type or "svg" in media_type else media_type
    headers["Cache-Control"] = "private, no-store"
    return StreamingResponse(chunks, media_type=media_type, headers=headers)


# --- a run -----------------------------------------------------------------------------------


def _run_context(user: Viewer, view: runs_read.RunView) -> dict[str, Any]:
    execution = view.execution
    return {
        "execution": execution,
        "test_case_name": view.test_case_name,
        "environment_name": view.environment_name,
        "steps": steps_of(view.records, view.artifacts),
        "earlier": view.earlier,
        "first_seq": view.records[0].seq if view.records else None,
        "last_seq": view.records[-1].seq if view.records else 0,
        "loose_artifacts": [a for a in view.artifacts if a.record_seq is None],
        "score": score_view(execution.scoreboard),
        "variables": shown_variables(execution.variables),
        "live": not execution.status.is_terminal,
    }


@router.get("/runs/{execution_id}", response_class=HTMLResponse)
def run_page(request: Request, user: Viewer, execution_id: str) -> HTMLResponse:
    view = runs_read.read_run(user.ctx, user.principal, execution_id, window=WINDOW)
    context = _run_context(user, view)
    return render(request, "runs/run.html", title=f"Run of {view.test_case_name}", nav="/runs", **context)


@router.get("/runs/{execution_id}/earlier", response_class=HTMLResponse)
def earlier_records(
    request: Request, user: Viewer, execution_id: str, before: Annotated[int, Query(ge=1)]
) -> HTMLResponse:
    """The records before `before`: a fragment for htmx (it replaces the "load earlier" link),
    or a page of its own without scripts."""
    records, more, found = runs_read.records_before(
        user.ctx, user.principal, execution_id, before, limit=WINDOW
    )
    context: dict[str, Any] = {
        "execution_id": execution_id,
        "steps": steps_of(records, found),
        "earlier": more,
        "first_seq": records[0].seq if records else None,
    }
    if request.headers.get("HX-Request"):
        return render(request, "runs/earlier.html", **context)
    return render(request, "runs/earlier_page.html", title="Earlier records", nav="/runs", **context)


@router.get("/runs/{execution_id}/stream")
def run_events(
    request: Request, user: Viewer, execution_id: str, after: Annotated[int, Query(ge=0)] = 0
) -> StreamingResponse:
    """Server-sent events: each record written after `after` (or after the Last-Event-ID a
    reconnecting browser sends) as an HTML fragment, the banner when the run changes, and `end`
    once it has finished."""
    runs_read.get_execution(user.ctx, user.principal, execution_id)  # 404 before the stream opens
    last_event = request.headers.get("last-event-id", "")
    if last_event.isdigit():
        after = max(after, int(last_event))
    return StreamingResponse(
        run_stream.events(request, user, execution_id, after),
        media_type="text/event-stream",
        headers={**UI_HEADERS, "Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _back_to_run(execution_id: str) -> RedirectResponse:
    return RedirectResponse(f"/runs/{execution_id}", status_code=303)


@router.post("/runs/{execution_id}/stop", response_model=None)
def stop_run(request: Request, user: Viewer, execution_id: str) -> Response:
    user.require("stop")
    stop_execution(user.ctx, user.principal, execution_id)
    return _back_to_run(execution_id)


@router.post("/runs/{execution_id}/rerun", response_model=None)
def rerun(request: Request, user: Viewer, execution_id: str) -> Response:
    """Run the same test case again (its published version), in the same environment, with
    the same data set."""
    user.require("rerun")
    execution = runs_read.get_execution(user.ctx, user.principal, execution_id)
    data_set = execution.data_set_name
    only: Callable[[starting.Slot, str | None], bool] = lambda _slot, name: name == data_set  # noqa: E731
    started = starting.start_execution(
        user.ctx,
        user.principal,
        test_case_id=execution.test_case_id,
        environment_id=execution.environment_id,
        run=starting.RunDetails(trigger="UI", select=only),
    )
    return _back_to_run(started.executions[0].id)
