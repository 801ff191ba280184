"""TestInvite's integration API: tasks, candidates and test instances, plus what the vendor
does in its own UI (a candidate starting a step, an admin re-setting up or ignoring an
instance) as endpoints beside them. Served under both spellings the vendor's pages use,
`/api/integration/rest/v1/...` and `/api/integration/rest/...`."""

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, Request, Response

from testament.compat.errors import SurfaceErrors, first_problem, install_error_handlers
from testament.compat.testinvite import translate
from testament.compat.testinvite.errors import TiError, error_response, from_domain
from testament.domain import errors as e
from testament.domain.access import Principal
from testament.domain.tasks import InstanceStatus
from testament.kit.sentinels import UNSET
from testament.services import admin, callbacks, tasks
from testament.services.context import AppContext
from testament.services.paging import Window

__all__ = ["callback_body", "create_testinvite_app"]

router = APIRouter()
MAX_LIMIT = 100


# ---------------------------------------------------------------------------------- the caller


@dataclass(frozen=True)
class Caller:
    ctx: AppContext
    principal: Principal
    params: dict[str, str]

    @property
    def detailed(self) -> bool:
        mode = self.params.get("mode", "basic")
        if mode not in ("basic", "detailed"):
            raise TiError(400, f"mode must be 'basic' or 'detailed', not {mode!r}")
        return mode == "detailed"

    @property
    def mode(self) -> str:
        return "detailed" if self.detailed else "basic"

    def whole(self, name: str, default: int, maximum: int) -> int:
        raw = self.params.get(name)
        if raw is None:
            return default
        if not re.fullmatch(r"[0-9]{1,9}", raw) or not 1 <= int(raw) <= maximum:
            raise TiError(400, f"{name} must be a whole number from 1 to {maximum}, not {raw!r}")
        return int(raw)

    def page_window(self) -> tuple[int, int, Window]:
        limit = self.whole("limit", 10, MAX_LIMIT)
        page = self.whole("page", 1, 1_000_000)
        return limit, page, Window(limit=limit, offset=(page - 1) * limit)


def caller(request: Request) -> Caller:
    ctx: AppContext = request.app.state.ctx
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TiError(401, "Send an API key as 'Authorization: Bearer <key>'")
    try:
        principal = admin.authenticate_token(ctx, token.strip())
    except e.Unauthenticated:
        raise TiError(401, "The API key is not valid") from None
    return Caller(ctx, principal, dict(request.query_params))


Call = Annotated[Caller, Depends(caller)]
JsonBody = Annotated[dict[str, Any] | None, Body()]


def _body(body: dict[str, Any] | None) -> dict[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise TiError(400, "the body must be a JSON object")
    return body


# ---------------------------------------------------------------------------------- tasks


@router.get("/tasks")
def list_tasks(call: Call) -> dict[str, Any]:
    """Tasks, newest first; `title` matches a part of the title, ignoring case."""
    limit, page, window = call.page_window()
    title = call.params.get("title")
    found, total = tasks.query_tasks(call.ctx, call.principal, window, title_contains=title)
    filters = [("title", title)] if title else []
    return {
        "tasks": [translate.task_wire(t, call.detailed) for t in found],
        "pagination": translate.pagination(total, page, limit, call.mode, filters),
    }


@router.get("/tasks/{task_id}")
def get_task(task_id: str, call: Call) -> dict[str, Any]:
    return translate.task_wire(tasks.get_task(call.ctx, call.principal, task_id), call.detailed)


# ---------------------------------------------------------------------------------- candidates


def _candidate(call: Caller, candidate: Any) -> dict[str, Any]:
    started = tasks.candidates_with_instances(call.ctx, call.principal, [candidate.id])
    return translate.candidate_wire(candidate, call.detailed, candidate.id in started)


@router.get("/tasks/{task_id}/candidates")
def list_candidates(task_id: str, call: Call) -> dict[str, Any]:
    """A task's candidates; `fullname`, `email` and `code` match exactly."""
    limit, page, window = call.page_window()
    exact: dict[str, str] = {k: call.params[k] for k in ("fullname", "email", "code") if k in call.params}
    found, total = tasks.query_candidates(call.ctx, call.principal, task_id, window, exact=exact)
    started = tasks.candidates_with_instances(call.ctx, call.principal, [c.id for c in found])
    return {
        "candidates": [translate.candidate_wire(c, call.detailed, c.id in started) for c in found],
        "pagination": translate.pagination(total, page, limit, call.mode, list(exact.items())),
    }


def _callback(body: dict[str, Any]) -> dict[str, Any]:
    callback = body.get("callback")
    if callback is None:
        return {}
    if not isinstance(callback, dict) or "url" not in callback:
        raise TiError(400, "callback must be an object with a url (and optionally params and resource)")
    return {
        "callback_url": callback["url"],
        "callback_params": callback.get("params") or {},
        "callback_resource": callback.get("resource", "basic"),
    }


@dataclass(frozen=True)
class NewCandidate:
    kind: str
    external_id: str | None
    user_name: str | None = None


def _new_candidate_kind(body: dict[str, Any]) -> NewCandidate:
    """`temporary-candidate` (a `temp` one, tracked by `externalId` or `tracking.uniqId`) or
    `internal-candidate` (a `user`: `id` is the user's name). Either keeps the `externalId`
    the client sent, to filter instances by."""
    kind = body.get("kind")
    if kind == "internal-candidate":
        if not isinstance(body.get("id"), str):
            raise TiError(400, "an internal-candidate needs the user's id")
        return NewCandidate("user", body.get("externalId"), user_name=body["id"])
    if kind == "temporary-candidate":
        tracking = body.get("tracking")
        unique = tracking.get("uniqId") if isinstance(tracking, dict) else None
        return NewCandidate("temp", body.get("externalId") or unique)
    raise TiError(400, "kind must be 'temporary-candidate' or 'internal-candidate'")


@router.post("/tasks/{task_id}/candidates")
def create_candidate(task_id: str, call: Call, body: JsonBody = None) -> dict[str, Any]:
    """Give the task to a candidate (the ticket); `callback` receives each completed instance."""
    data = _body(body)
    new = _new_candidate_kind(data)
    fields = tasks.CandidateFields(
        fullname=data.get("fullname"),
        email=data.get("email"),
        group=data.get("group") or "",
        labels=data.get("labels") or [],
        tags=data.get("tags") or {},
        **_callback(data),
    )
    candidate = tasks.add_candidate(
        call.ctx,
        call.principal,
        task_id,
        kind=new.kind,
        external_id=new.external_id,
        user_name=new.user_name,
        fields=fields,
    )
    return translate.candidate_wire(candidate, call.detailed, False)


@router.get("/tasks/{task_id}/candidates/{candidate_id}")
def get_candidate(task_id: str, candidate_id: str, call: Call) -> dict[str, Any]:
    return _candidate(call, tasks.get_candidate(call.ctx, call.principal, task_id, candidate_id))


@router.patch("/tasks/{task_id}/candidates/{candidate_id}")
def update_candidate(task_id: str, candidate_id: str, call: Call, body: JsonBody = None) -> dict[str, Any]:
    """`{fields: {fullname, email, group, labels: {add, remove}, active}}`; answers detailed."""
    data = _body(body)
    changes = data.get("fields") or {}
    if not isinstance(changes, dict):
        raise TiError(400, "fields must be an object")
    labels = changes.get("labels") or {}
    if not isinstance(labels, dict):
        raise TiError(400, "fields.labels must be {add: [...], remove: [...]}")
    known = {k: changes[k] for k in ("fullname", "email", "group", "active") if k in changes}
    candidate = tasks.update_candidate(
        call.ctx,
        call.principal,
        task_id,
        candidate_id,
        tasks.CandidateFields(**{k: known.get(k, UNSET) for k in ("fullname", "email", "group", "active")}),
        add_labels=labels.get("add"),
        remove_labels=labels.get("remove"),
    )
    started = tasks.candidates_with_instances(call.ctx, call.principal, [candidate.id])
    return translate.candidate_wire(candidate, True, candidate.id in started)


@router.delete("/tasks/{task_id}/candidates/{candidate_id}")
def delete_candidate(task_id: str, candidate_id: str, call: Call) -> dict[str, Any]:
    """Refused (403) once the candidate has a test instance."""
    tasks.delete_candidate(call.ctx, call.principal, task_id, candidate_id)
    return {}


@router.post("/tasks/{task_id}/candidates/{candidate_id}/steps/{step_id}/start")
def start_step(
    task_id: str, candidate_id: str, step_id: str, call: Call, response: Response
) -> dict[str, Any]:
    """The candidate starts a step: a new test instance (201), or their open one (200)."""
    view, created = tasks.start_step(call.ctx, call.principal, task_id, candidate_id, step_id)
    response.status_code = 201 if created else 200
    return translate.instance_wire(view, call.detailed)


# ---------------------------------------------------------------------------------- test instances


@router.get("/tasks/{task_id}/test-instances")
def list_instances(task_id: str, call: Call) -> dict[str, Any]:
    """Filters `ticketId`, `candidateId`, `externalId` (not the last two together)."""
    limit, page, window = call.page_window()
    filters = [(k, call.params[k]) for k in ("ticketId", "candidateId", "externalId") if k in call.params]
    given = dict(filters)
    if "candidateId" in given and "externalId" in given:
        raise TiError(400, "Either candidateId or externalId can be used in one request, not both")
    where = tasks.InstanceFilter(
        ticket_id=given.get("ticketId"),
        candidate_id=given.get("candidateId"),
        external_id=given.get("externalId"),
    )
    found, total = tasks.query_instances(call.ctx, call.principal, task_id, where, window)
    return {
        "testInstances": [translate.instance_wire(v, call.detailed) for v in found],
        "pagination": translate.pagination(total, page, limit, call.mode, filters),
    }


def _epoch_ms(body: dict[str, Any], name: str) -> datetime | None:
    value = body.get(name)
    if value is None:
        return None
    rule = f"{name} must be a time in epoch milliseconds"
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        raise TiError(400, rule)
    try:
        return datetime.fromtimestamp(value / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        raise TiError(400, rule) from None


def _text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise TiError(400, f"{name} must be a text")
    return value


def _filter_of(body: dict[str, Any], after_id: str | None) -> tasks.InstanceFilter:
    kind = body.get("kind")
    if kind == "meta":
        status = body.get("status")
        if status is not None and status not in {s.value for s in InstanceStatus}:
            raise TiError(400, "status must be STARTED, COMPLETE or RESETUP")
        return tasks.InstanceFilter(
            group=_text(body, "group"),
            label=_text(body, "label"),
            step_id=_text(body, "stepId"),
            status=InstanceStatus(status) if status else None,
            created_from=_epoch_ms(body, "from"),
            created_to=_epoch_ms(body, "to"),
            after_id=after_id,
        )
    if kind == "info":
        return tasks.InstanceFilter(
            fullname=_text(body, "displayName"),
            email=_text(body, "email"),
            code=_text(body, "code") or _text(body, "credential1"),
            external_id=_text(body, "uniqId"),
            after_id=after_id,
        )
    raise TiError(400, "kind must be 'meta' or 'info'")


def _last_doc_id(call: Caller, task_id: str) -> str | None:
    """Where the previous page ended: an instance of this task, as its `pagination.lastDocId`
    named it (anything else would silently answer an empty page)."""
    last = call.params.get("lastDocId") or None
    if last is not None:
        try:
            tasks.get_instance(call.ctx, call.principal, task_id, last)
        except e.NotFound:
            raise TiError(
                400, f"lastDocId must be a testInstanceId of this task's instances, not {last!r}"
            ) from None
    return last


@router.post("/tasks/{task_id}/test-instances/filter")
def filter_instances(task_id: str, call: Call, body: JsonBody = None) -> dict[str, Any]:
    """A search with cursor paging: `lastDocId` continues after the last instance returned."""
    limit = call.whole("limit", 10, MAX_LIMIT)
    last = _last_doc_id(call, task_id)
    where = _filter_of(_body(body), last)
    found, _total = tasks.query_instances(call.ctx, call.principal, task_id, where, Window(limit=limit + 1))
    page, more = found[:limit], len(found) > limit
    last_id = page[-1].instance.id if page else None
    following = f"?limit={limit}&lastDocId={last_id}&mode={call.mode}" if more and last_id else None
    return {
        "testInstances": [translate.instance_wire(v, call.detailed) for v in page],
        "pagination": {"limit": limit, "lastDocId": last_id, "next": following},
    }


@router.get("/tasks/{task_id}/test-instances/{instance_id}")
def get_instance(task_id: str, instance_id: str, call: Call) -> dict[str, Any]:
    return translate.instance_wire(
        tasks.get_instance(call.ctx, call.principal, task_id, instance_id), call.detailed
    )


@router.patch("/tasks/{task_id}/test-instances/{instance_id}")
def update_instance(task_id: str, instance_id: str, call: Call, body: JsonBody = None) -> dict[str, Any]:
    """`{ignored: true|false}`: exclude the instance from reports, or include it again."""
    ignored = _body(body).get("ignored")
    if not isinstance(ignored, bool):
        raise TiError(400, "ignored must be true or false")
    view = tasks.set_ignored(call.ctx, call.principal, task_id, instance_id, ignored)
    return translate.instance_wire(view, call.detailed)


@router.post("/tasks/{task_id}/test-instances/{instance_id}/resetup")
def resetup_instance(task_id: str, instance_id: str, call: Call) -> dict[str, Any]:
    """Reopen a COMPLETE instance: its candidate's next start of the step resumes it."""
    view = tasks.resetup_instance(call.ctx, call.principal, task_id, instance_id)
    return translate.instance_wire(view, call.detailed)


# ---------------------------------------------------------------------------------- the app


ERRORS = SurfaceErrors(
    surface="the TestInvite surface",
    vendor=TiError,
    respond=error_response,
    from_domain=from_domain,
    invalid=lambda exc: TiError(400, first_problem(exc, "body")),
    http=lambda exc: TiError(exc.status_code, str(exc.detail)),
    internal=lambda: TiError(500, "Something went wrong on the server", "error"),
)


def create_testinvite_app(ctx: AppContext) -> FastAPI:
    app = FastAPI(
        title="TestInvite test instances (compatible)", openapi_url=None, docs_url=None, redoc_url=None
    )
    app.state.ctx = ctx
    install_error_handlers(app, ERRORS)
    app.include_router(router, prefix="/api/integration/rest/v1")
    app.include_router(router, prefix="/api/integration/rest")
    return app


def callback_body(ctx: AppContext, callback: callbacks.DueCallback) -> dict[str, Any]:
    """What a candidate's callback receives: the completed instance in its chosen mode, and the
    params given with the callback, echoed."""
    view = tasks.load_instance_view(ctx, callback.workspace_id, callback.instance_id)
    return {
        "testInstance": translate.instance_wire(view, callback.resource == "detailed"),
        "params": callback.params,
    }
