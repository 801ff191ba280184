"""TestInvite's integration API: tasks, candidates and test instances, plus what the vendor
does in its own UI (a candidate starting a step, an admin re-setting up or ignoring an
instance) as endpoints beside them. Served under both spellings the vendor's pages use,
`/api/integration/rest/v1/...` and `/api/integration/rest/...`."""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, Request, Response

from testament.compat.errors import SurfaceErrors, first_problem, install_error_handlers
from testament.compat.testinvite import translate
from testament.compat.testinvite.errors import TiError, error_response, from_domain
from testament.compat.testinvite.schemas import (
    CandidateChanges,
    CandidateInput,
    CandidateList,
    CandidateWire,
    CursorPagination,
    FilterAnswer,
    InfoFilter,
    InstanceFilterInput,
    InstanceList,
    InstanceUpdate,
    TaskList,
    TaskWire,
    TestInstanceWire,
    TiErrorBody,
)
from testament.compat.wire import install_surface_docs, sent
from testament.domain import errors as e
from testament.domain import filters as tree
from testament.domain.access import Principal
from testament.domain.filters import Comparison, Constant, Field, Kind, Node, all_of, equals
from testament.domain.tasks import InstanceStatus
from testament.kit.sentinels import UNSET
from testament.services import callbacks, candidates, keys, read_side, tasks, test_instances
from testament.services.context import AppContext

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

    def page_window(self) -> tuple[int, int]:
        """`limit` (default 10) and the 1-based `page`."""
        return self.whole("limit", 10, MAX_LIMIT), self.whole("page", 1, 1_000_000)


def caller(request: Request) -> Caller:
    ctx: AppContext = request.app.state.ctx
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TiError(401, "Send an API key as 'Authorization: Bearer <key>'")
    try:
        principal = keys.authenticate_token(ctx, token.strip())
    except e.Unauthenticated:
        raise TiError(401, "The API key is not valid") from None
    return Caller(ctx, principal, dict(request.query_params))


Call = Annotated[Caller, Depends(caller)]

# the instance list's query parameters, as the read side's instance view names them
_INSTANCE_FIELDS = {"ticketId": "ticket_id", "candidateId": "candidate_id", "externalId": "external_id"}


def _selection(where: Node | None, limit: int, page: int) -> read_side.Selection:
    return read_side.Selection(where, limit=limit, offset=(page - 1) * limit)


def _contains_ignoring_case(name: str, text: str) -> Node:
    needle = Constant(text.lower(), Kind.STRING)
    return tree.Call("substringof", (needle, tree.Call("tolower", (Field(name),))))


# ---------------------------------------------------------------------------------- tasks


@router.get("/tasks", responses={200: {"model": TaskList}})
def list_tasks(call: Call) -> dict[str, Any]:
    """Tasks, newest first; `title` matches a part of the title, ignoring case."""
    limit, page = call.page_window()
    title = call.params.get("title")
    where = _contains_ignoring_case("title", title) if title else None
    found, total = tasks.query_tasks(call.ctx, call.principal, _selection(where, limit, page))
    filters = [("title", title)] if title else []
    return sent(
        TaskList(
            tasks=[translate.task_wire(t, call.detailed) for t in found],
            pagination=translate.pagination(total, page, limit, call.mode, filters),
        )
    )


@router.get("/tasks/{task_id}", responses={200: {"model": TaskWire}})
def get_task(task_id: str, call: Call) -> dict[str, Any]:
    return sent(translate.task_wire(tasks.get_task(call.ctx, call.principal, task_id), call.detailed))


# ---------------------------------------------------------------------------------- candidates


def _candidate(call: Caller, candidate: Any) -> dict[str, Any]:
    started = test_instances.candidates_with_instances(call.ctx, call.principal, [candidate.id])
    return sent(translate.candidate_wire(candidate, call.detailed, candidate.id in started))


@router.get("/tasks/{task_id}/candidates", responses={200: {"model": CandidateList}})
def list_candidates(task_id: str, call: Call) -> dict[str, Any]:
    """A task's candidates; `fullname`, `email` and `code` match exactly."""
    limit, page = call.page_window()
    exact: dict[str, str] = {k: call.params[k] for k in ("fullname", "email", "code") if k in call.params}
    where = all_of(*(equals(name, value) for name, value in exact.items()))
    found, total = candidates.query_candidates(
        call.ctx, call.principal, task_id, _selection(where, limit, page)
    )
    started = test_instances.candidates_with_instances(call.ctx, call.principal, [c.id for c in found])
    return sent(
        CandidateList(
            candidates=[translate.candidate_wire(c, call.detailed, c.id in started) for c in found],
            pagination=translate.pagination(total, page, limit, call.mode, list(exact.items())),
        )
    )


def _callback(body: CandidateInput) -> dict[str, Any]:
    if body.callback is None:
        return {}
    return {
        "callback_url": body.callback.url,
        "callback_params": body.callback.params or {},
        "callback_resource": body.callback.resource,
    }


@dataclass(frozen=True)
class NewCandidate:
    kind: str
    external_id: str | None
    user_name: str | None = None


def _new_candidate_kind(body: CandidateInput) -> NewCandidate:
    """`temporary-candidate` (a `temp` one, tracked by `externalId` or `tracking.uniqId`) or
    `internal-candidate` (a `user`: `id` is the user's name). Either keeps the `externalId`
    the client sent, to filter instances by."""
    if body.kind == "internal-candidate":
        if body.id is None:
            raise TiError(400, "an internal-candidate needs the user's id")
        return NewCandidate("user", body.externalId, user_name=body.id)
    if body.kind == "temporary-candidate":
        return NewCandidate("temp", body.externalId or (body.tracking.uniqId if body.tracking else None))
    raise TiError(400, "kind must be 'temporary-candidate' or 'internal-candidate'")


@router.post("/tasks/{task_id}/candidates", responses={200: {"model": CandidateWire}})
def create_candidate(
    task_id: str, call: Call, body: Annotated[CandidateInput | None, Body()] = None
) -> dict[str, Any]:
    """Give the task to a candidate (the ticket); `callback` receives each completed instance."""
    data = body or CandidateInput()
    new = _new_candidate_kind(data)
    fields = candidates.CandidateFields(
        fullname=data.fullname,
        email=data.email,
        group=data.group or "",
        labels=data.labels or [],
        tags=data.tags or {},
        **_callback(data),
    )
    candidate = candidates.add_candidate(
        call.ctx,
        call.principal,
        task_id,
        kind=new.kind,
        external_id=new.external_id,
        user_name=new.user_name,
        fields=fields,
    )
    return sent(translate.candidate_wire(candidate, call.detailed, False))


@router.get("/tasks/{task_id}/candidates/{candidate_id}", responses={200: {"model": CandidateWire}})
def get_candidate(task_id: str, candidate_id: str, call: Call) -> dict[str, Any]:
    return _candidate(call, candidates.get_candidate(call.ctx, call.principal, task_id, candidate_id))


@router.patch("/tasks/{task_id}/candidates/{candidate_id}", responses={200: {"model": CandidateWire}})
def update_candidate(
    task_id: str, candidate_id: str, call: Call, body: Annotated[CandidateChanges | None, Body()] = None
) -> dict[str, Any]:
    """`{fields: {fullname, email, group, labels: {add, remove}, active}}`; answers detailed."""
    changes = body.fields if body and body.fields else None
    given = changes.model_fields_set if changes else set()
    labels = changes.labels if changes else None
    candidate = candidates.update_candidate(
        call.ctx,
        call.principal,
        task_id,
        candidate_id,
        candidates.CandidateFields(
            **{
                k: getattr(changes, k) if k in given else UNSET
                for k in ("fullname", "email", "group", "active")
            }
        ),
        add_labels=labels.add if labels else None,
        remove_labels=labels.remove if labels else None,
    )
    started = test_instances.candidates_with_instances(call.ctx, call.principal, [candidate.id])
    return sent(translate.candidate_wire(candidate, True, candidate.id in started))


@router.delete("/tasks/{task_id}/candidates/{candidate_id}")
def delete_candidate(task_id: str, candidate_id: str, call: Call) -> dict[str, Any]:
    """Refused (403) once the candidate has a test instance."""
    candidates.delete_candidate(call.ctx, call.principal, task_id, candidate_id)
    return {}


@router.post(
    "/tasks/{task_id}/candidates/{candidate_id}/steps/{step_id}/start",
    responses={200: {"model": TestInstanceWire}, 201: {"model": TestInstanceWire}},
)
def start_step(
    task_id: str, candidate_id: str, step_id: str, call: Call, response: Response
) -> dict[str, Any]:
    """The candidate starts a step: a new test instance (201), or their open one (200)."""
    view, created = test_instances.start_step(call.ctx, call.principal, task_id, candidate_id, step_id)
    response.status_code = 201 if created else 200
    return sent(translate.instance_wire(view, call.detailed))


# ---------------------------------------------------------------------------------- test instances


@router.get("/tasks/{task_id}/test-instances", responses={200: {"model": InstanceList}})
def list_instances(task_id: str, call: Call) -> dict[str, Any]:
    """Filters `ticketId`, `candidateId`, `externalId` (not the last two together)."""
    limit, page = call.page_window()
    filters = [(k, call.params[k]) for k in ("ticketId", "candidateId", "externalId") if k in call.params]
    given = dict(filters)
    if "candidateId" in given and "externalId" in given:
        raise TiError(400, "Either candidateId or externalId can be used in one request, not both")
    where = all_of(*(equals(_INSTANCE_FIELDS[name], value) for name, value in filters))
    found, total = test_instances.query_instances(
        call.ctx, call.principal, task_id, _selection(where, limit, page)
    )
    return sent(
        InstanceList(
            testInstances=[translate.instance_wire(v, call.detailed) for v in found],
            pagination=translate.pagination(total, page, limit, call.mode, filters),
        )
    )


def _filter_of(body: InstanceFilterInput, after_id: str | None) -> Node | None:
    """Every condition the body gives, and (cursor paging) instances after `after_id`."""
    after = None if after_id is None else Comparison("gt", Field("id"), Constant(after_id, Kind.STRING))
    if isinstance(body, InfoFilter):
        given = {
            "fullname": body.displayName,
            "email": body.email,
            "code": body.code or body.credential1,
            "external_id": body.uniqId,
        }
        return all_of(*(equals(name, value) for name, value in given.items() if value is not None), after)
    status = InstanceStatus(body.status).value if body.status else None
    given = {"group": body.group, "step_id": body.stepId, "status": status}
    return all_of(
        *(equals(name, value) for name, value in given.items() if value is not None),
        _created("ge", body.created_from),
        _created("le", body.created_to),
        after,
    )


def _created(op: str, moment: datetime | None) -> Node | None:
    return None if moment is None else Comparison(op, Field("created_at"), Constant(moment, Kind.DATETIME))


def _last_doc_id(call: Caller, task_id: str) -> str | None:
    """Where the previous page ended: an instance of this task, as its `pagination.lastDocId`
    named it (anything else would silently answer an empty page)."""
    last = call.params.get("lastDocId") or None
    if last is not None:
        try:
            test_instances.get_instance(call.ctx, call.principal, task_id, last)
        except e.NotFound:
            raise TiError(
                400, f"lastDocId must be a testInstanceId of this task's instances, not {last!r}"
            ) from None
    return last


@router.post("/tasks/{task_id}/test-instances/filter", responses={200: {"model": FilterAnswer}})
def filter_instances(
    task_id: str, call: Call, body: Annotated[InstanceFilterInput | None, Body()] = None
) -> dict[str, Any]:
    """A search with cursor paging: `lastDocId` continues after the last instance returned."""
    limit = call.whole("limit", 10, MAX_LIMIT)
    last = _last_doc_id(call, task_id)
    if body is None:
        raise TiError(400, "kind must be 'meta' or 'info'")
    where = _filter_of(body, last)
    label = body.label if not isinstance(body, InfoFilter) else None
    selection = read_side.Selection(where, limit=limit + 1)
    found, _total = test_instances.query_instances(call.ctx, call.principal, task_id, selection, label=label)
    page, more = found[:limit], len(found) > limit
    last_id = page[-1].instance.id if page else None
    following = f"?limit={limit}&lastDocId={last_id}&mode={call.mode}" if more and last_id else None
    return sent(
        FilterAnswer(
            testInstances=[translate.instance_wire(v, call.detailed) for v in page],
            pagination=CursorPagination(limit=limit, lastDocId=last_id, next=following),
        )
    )


@router.get("/tasks/{task_id}/test-instances/{instance_id}", responses={200: {"model": TestInstanceWire}})
def get_instance(task_id: str, instance_id: str, call: Call) -> dict[str, Any]:
    view = test_instances.get_instance(call.ctx, call.principal, task_id, instance_id)
    return sent(translate.instance_wire(view, call.detailed))


@router.patch("/tasks/{task_id}/test-instances/{instance_id}", responses={200: {"model": TestInstanceWire}})
def update_instance(task_id: str, instance_id: str, call: Call, body: InstanceUpdate) -> dict[str, Any]:
    """`{ignored: true|false}`: exclude the instance from reports, or include it again."""
    view = test_instances.set_ignored(call.ctx, call.principal, task_id, instance_id, body.ignored)
    return sent(translate.instance_wire(view, call.detailed))


@router.post(
    "/tasks/{task_id}/test-instances/{instance_id}/resetup", responses={200: {"model": TestInstanceWire}}
)
def resetup_instance(task_id: str, instance_id: str, call: Call) -> dict[str, Any]:
    """Reopen a COMPLETE instance: its candidate's next start of the step resumes it."""
    view = test_instances.resetup_instance(call.ctx, call.principal, task_id, instance_id)
    return sent(translate.instance_wire(view, call.detailed))


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


DESCRIPTION = """TestInvite's integration API: tasks, their candidates and test instances, with
what the vendor does in its own pages (a candidate starting a step, re-setting up or ignoring an
instance) as operations beside them. Send `Authorization: Bearer <key>` (a Testament key); `mode`
(`basic` or `detailed`) chooses how much each answer says; lists page with `limit` and `page`.
Every path is served under `/api/integration/rest/` too. Errors are
`{"error": {"code", "message"}}`."""


def create_testinvite_app(ctx: AppContext) -> FastAPI:
    app = FastAPI(
        title="TestInvite test instances (compatible)",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,  # served by install_surface_docs, from this server
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.ctx = ctx
    install_error_handlers(app, ERRORS)
    install_surface_docs(app, error=TiErrorBody)
    app.include_router(router, prefix="/api/integration/rest/v1")
    # the same routes under the other spelling the vendor's pages use; documented once
    app.include_router(router, prefix="/api/integration/rest", include_in_schema=False)
    return app


def callback_body(ctx: AppContext, callback: callbacks.DueCallback) -> dict[str, Any]:
    """What a candidate's callback receives: the completed instance in its chosen mode, and the
    params given with the callback, echoed."""
    view = test_instances.load_instance_view(ctx, callback.workspace_id, callback.instance_id)
    return {
        "testInstance": sent(translate.instance_wire(view, callback.resource == "detailed")),
        "params": callback.params,
    }
