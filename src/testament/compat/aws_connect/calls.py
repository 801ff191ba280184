"""What every Connect operation shares: the authenticated call, its page tokens and the error
translation.

A NextToken wraps the core's cursor with the listing and the filters of the request that got
it, signed: sent again with other filters (or to another listing) it is refused as a token
that is not valid, as AWS refuses it, instead of paging through a listing it was not made for.
"""

import hashlib
import json
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from testament.compat.aws_connect import translate
from testament.compat.aws_connect.errors import AwsError
from testament.compat.aws_connect.model_check import operation_input
from testament.compat.aws_connect.schemas import parse
from testament.compat.aws_connect.sigv4 import SignedRequest, verify
from testament.compat.wire import ParsedBody
from testament.domain import errors as e
from testament.domain.access import Principal
from testament.kit.clock import utcnow
from testament.kit.cursors import InvalidCursor
from testament.services import keys
from testament.services.context import AppContext

__all__ = ["KIND", "AwsCall", "Call", "Input", "authenticated", "empty"]

KIND = "connect"


@dataclass(frozen=True)
class AwsCall:
    """An authenticated call: who signed it, in which region, and its raw body."""

    ctx: AppContext
    principal: Principal
    region: str
    body: bytes
    query: dict[str, list[str]]

    def check(self, operation: str, **path: str) -> dict[str, Any]:
        """Validate this call's input against the service model; returns the input members."""
        return operation_input(operation, self.body, path, self.query)

    def cursor_of(self, listing: str, token: str | None, **filters: Any) -> Any:
        """The core cursor a NextToken carries, or None for a first page."""
        if not token:
            return None
        try:
            return self.ctx.cursors.decode(_token_scope(listing, filters), token)
        except InvalidCursor:
            raise AwsError(
                "InvalidParameterException",
                "The NextToken is not valid: it was not issued for this listing with these filters",
            ) from None

    def next_token(self, listing: str, cursor: Any, **filters: Any) -> str | None:
        """The NextToken of a page whose listing goes on after `cursor` (None: the last page)."""
        if cursor is None:
            return None
        return self.ctx.cursors.encode(_token_scope(listing, filters), cursor)

    def workspace(self, instance_id: str) -> str:
        """The InstanceId's workspace, which must be the signing key's own."""
        workspace_id = translate.workspace_of(instance_id)
        if workspace_id != self.principal.workspace_id:
            raise AwsError("ResourceNotFoundException", f"Instance {instance_id} was not found")
        return workspace_id


def _token_scope(listing: str, filters: dict[str, Any]) -> str:
    canonical = json.dumps(filters, sort_keys=True, separators=(",", ":"), default=str)
    return f"aws-connect:{listing}:{hashlib.sha256(canonical.encode()).hexdigest()}"


async def authenticated(request: Request) -> AwsCall:
    ctx: AppContext = request.app.state.ctx
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    raw_path = request.scope.get("raw_path") or request.scope["path"].encode()
    query = request.scope.get("query_string", b"")
    url = f"{request.url.scheme}://{headers.get('host', '')}{raw_path.decode()}" + (
        f"?{query.decode()}" if query else ""
    )
    found: dict[str, Principal] = {}

    def secret_for(access_key_id: str) -> str:
        try:
            principal, secret = keys.authenticate_access_key(ctx, access_key_id)
        except e.Unauthenticated:
            raise AwsError(
                "UnrecognizedClientException", "The security token included in the request is invalid."
            ) from None
        found["principal"] = principal
        return secret

    def verified_and_counted() -> SignedRequest:
        signed = verify(request.method, url, headers, body, secret_for, utcnow())
        ctx.aws_rate.hit(found["principal"], "aws_connect")  # counted in the database: off the event loop
        return signed

    signed = await run_in_threadpool(verified_and_counted)
    principal = found["principal"]
    return AwsCall(ctx, principal, signed.region, body, parse_qs(query.decode(), keep_blank_values=True))


Call = Annotated[AwsCall, Depends(authenticated)]


class Input(ParsedBody):
    """An operation's body as its route takes it, in AWS's order: the signature over the raw
    bytes (`Call`), the input against the service model, the instance the path names, and
    only then the body parsed into the operation's wire model."""

    def __init__(self, operation: str, model: type[BaseModel]) -> None:
        super().__init__(model)
        self.operation = operation

    def __call__(self, request: Request, call: Call) -> Any:
        path = {name: str(value) for name, value in request.path_params.items()}
        call.check(self.operation, **path)
        if "InstanceId" in path:
            call.workspace(path["InstanceId"])
        return parse(self.model, call.body)


def empty() -> Response:
    """The answer of an operation whose output has no members."""
    return Response(status_code=200, content=b"{}", media_type="application/json")
