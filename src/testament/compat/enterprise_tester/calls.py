"""What the Enterprise Tester routes share: the authenticated caller, error translation,
and the run and assignment shapes."""

import base64
import binascii
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import BaseModel
from starlette.datastructures import UploadFile as StarletteUploadFile

from testament.compat.enterprise_tester import odata, tql, translate
from testament.compat.enterprise_tester.errors import EtError
from testament.compat.enterprise_tester.schemas import QueryResults, ScriptAssignmentWire, ScriptRunWire
from testament.compat.wire import sent
from testament.domain import errors as e
from testament.domain.access import Principal
from testament.domain.filters import Node, SortKey, all_of
from testament.domain.manual import RunStatus
from testament.domain.model import Assignment
from testament.services import assignments, keys, read_side, users
from testament.services.context import AppContext
from testament.services.executions import manual

__all__ = [
    "Call",
    "Caller",
    "Query",
    "UploadedFile",
    "assignment_wire",
    "odata_query",
    "run_wire_of",
    "tql_query",
    "uploaded_files",
    "user_name_of",
]


@dataclass(frozen=True)
class UploadedFile:
    name: str
    data: bytes
    media_type: str


async def uploaded_files(request: Request) -> list[UploadedFile]:
    """Every file part of a multipart body: the vendor's upload endpoints make one attachment of each."""
    form = await request.form()
    parts = [v for v in form.values() if isinstance(v, StarletteUploadFile)]
    if not parts:
        raise EtError(403, "Attach at least one file as multipart/form-data")
    return [
        UploadedFile(
            part.filename or "file", await part.read(), part.content_type or "application/octet-stream"
        )
        for part in parts
    ]


@dataclass(frozen=True)
class Caller:
    ctx: AppContext
    principal: Principal
    base: str  # the surface's base URL, for Self links
    params: dict[str, str]

    @property
    def expand(self) -> list[str]:
        return [p.strip() for p in self.params.get("$expand", "").split(",") if p.strip()]


def _principal(ctx: AppContext, authorization: str) -> Principal:
    """HTTP Basic with the key's access key id and secret, or a Bearer token."""
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return keys.authenticate_token(ctx, credentials.strip())
    if scheme.lower() == "basic" and credentials:
        try:
            user, _, password = base64.b64decode(credentials.strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise EtError(401, "Authorization has been denied for this request.") from None
        principal, secret = keys.authenticate_access_key(ctx, user)
        if hmac.compare_digest(secret, password):
            return principal
    raise EtError(401, "Authorization has been denied for this request.")


def caller(request: Request) -> Caller:
    ctx: AppContext = request.app.state.ctx
    try:
        principal = _principal(ctx, request.headers.get("authorization", ""))
    except e.Unauthenticated:
        raise EtError(401, "Authorization has been denied for this request.") from None
    return Caller(ctx, principal, _surface_base(request), dict(request.query_params))


def _surface_base(request: Request) -> str:
    """The surface's own base URL, mount prefix included (`…/enterprise-tester/`), so that
    `Self` links lead back here."""
    url, mounted = request.url, request.scope.get("root_path", "").rstrip("/")
    return f"{url.scheme}://{url.netloc}{mounted}/"


Call = Annotated[Caller, Depends(caller)]


def assignment_wire(
    call: Caller, assignment: Assignment, summary: assignments.AssignmentSummary | None = None
) -> ScriptAssignmentWire:
    """An assignment; `summary` (its script's name, its newest run's status) is looked up
    when not given: a list looks up its page's at once."""
    if summary is None:
        summary = assignments.summarize_assignments(call.ctx, call.principal, [assignment.id])[assignment.id]
    return ScriptAssignmentWire(
        Id=assignment.id,
        ScriptId=assignment.test_case_id,
        Name=summary.name,
        Status=translate.status_word(summary.status or RunStatus.NOT_RUN),
        PackageId=assignment.package_id,
        AssignedTo=assignment.assignee,
        AssignedToId=translate.user_id(assignment.workspace_id, assignment.assignee),
        Self=f"{call.base}api/scriptassignment/{assignment.id}",
    )


def run_wire_of(call: Caller, execution_id: str) -> ScriptRunWire:
    run = manual.get_manual_run(call.ctx, call.principal, execution_id)
    assignment = None
    if "Assignment" in call.expand and run.execution.assignment_id:
        assignment = assignment_wire(
            call, assignments.get_assignment(call.ctx, call.principal, run.execution.assignment_id)
        )
    return translate.run_wire(run, call.base, call.expand, assignment)


@dataclass(frozen=True)
class Query:
    """A collection request's filter tree, sort keys and paging options, in the vendor's
    property names (`fields`), for the read side to compile against its view."""

    where: Node | None
    order_by: list[SortKey]
    options: odata.QueryOptions
    fields: translate.VendorFields

    @property
    def selection(self) -> read_side.Selection:
        options, names = self.options, self.fields.names
        return read_side.Selection(self.where, self.order_by, options.top, options.skip, names)

    def narrowed(self, condition: Node) -> "Query":
        """The same request, keeping only the rows that also meet `condition`."""
        return replace(self, where=all_of(self.where, condition))

    def envelope(self, items: Sequence[BaseModel], total: int) -> dict[str, Any]:
        """A page of answer models as the vendor sends a collection (`Skip`, `Top` and `Total`
        only with `$inlinecount=allpages`)."""
        if self.options.inlinecount:
            return sent(QueryResults(Skip=self.options.skip, Top=self.options.top, Total=total, Items=items))
        return sent(QueryResults(Items=items))


def odata_query(call: Caller, fields: translate.VendorFields) -> Query:
    """`$filter`, `$orderby`, `$top`, `$skip` and `$inlinecount`; raises ODataError on bad ones
    (the read side too, on a property `fields` does not name)."""
    options = odata.QueryOptions.parse(call.params)
    text, order = call.params.get("$filter"), call.params.get("$orderby")
    where = odata.parse_filter(text) if text else None
    return Query(where, odata.parse_orderby(order) if order else [], options, fields)


def tql_query(call: Caller, fields: translate.VendorFields) -> Query:
    """`tql`, `$top`, `$skip` and `$inlinecount`, for the collections the vendor searches with
    TQL rather than OData; raises ODataError on bad ones."""
    if "$filter" in call.params or "$orderby" in call.params:
        raise odata.ODataError(
            "This collection is searched with tql (e.g. tql=Name ~ login), not $filter/$orderby"
        )
    options = odata.QueryOptions.parse(call.params)
    found = tql.parse_tql(call.params.get("tql", ""), fields.kinds)
    return Query(found.where, found.order_by, options, fields)


def user_name_of(call: Caller, user_id: Any) -> str:
    """The user name a vendor user GUID stands for in this workspace."""
    for name in users.user_names(call.ctx, call.principal):
        if translate.user_id(call.principal.workspace_id, name) == str(user_id).lower():
            return name
    raise EtError(403, f"You must specify a valid user: no user {user_id} in this project")
