"""Enterprise Tester's users: the workspace's users, in the vendor's User shape.

The vendor answers 403 both for invalid data and for a change that conflicts with another
user (a taken UserName, deleting a user who still has data); so does this surface.
"""

from typing import Any

from fastapi import APIRouter, Response

from testament.compat.enterprise_tester.calls import Call, Caller, odata_query
from testament.compat.enterprise_tester.errors import EtError
from testament.compat.enterprise_tester.schemas import (
    QueryResults,
    UserInput,
    UserWire,
)
from testament.compat.enterprise_tester.translate import VendorFields
from testament.compat.wire import sent
from testament.domain.users import User
from testament.services import users

__all__ = ["USER_FIELDS", "router", "user_wire"]

router = APIRouter(prefix="/api")

# the user's properties an OData $filter and $orderby may name
USER_FIELDS = VendorFields(
    users.USERS,
    {"Id": "id", "UserName": "name", "DisplayName": "display_name", "Email": "email", "Enabled": "enabled"},
)


def user_wire(call: Caller, user: User) -> UserWire:
    return UserWire(
        Id=user.id,
        UserName=user.name,
        DisplayName=user.display_name,
        Email=user.email,
        FirstName=None,
        LastName=None,
        Phone=None,
        LastLogIn=None,
        Enabled=user.enabled,
        IsExternal=False,
        Expands=["Groups"],
        Self=f"{call.base}api/user/{user.id}",
    )


def _display_name(body: UserInput) -> object:
    """`DisplayName`, else the first and last names together, else unchanged (None)."""
    if body.DisplayName is not None:
        return body.DisplayName
    parts = [p for p in (body.FirstName, body.LastName) if isinstance(p, str) and p]
    return " ".join(parts) or None


@router.get("/users", responses={200: {"model": QueryResults[UserWire]}})
def list_users(call: Call) -> dict[str, Any]:
    """The workspace's users; OData options apply."""
    query = odata_query(call, USER_FIELDS)
    found, total = users.query_users(call.ctx, call.principal, query.selection)
    return query.envelope([user_wire(call, u) for u in found], total)


@router.post("/users", responses={200: {"model": UserWire}})
def create_user(call: Call, response: Response, body: UserInput) -> dict[str, Any]:
    """A user of the workspace (administrators): `UserName` and `Email` are required; the vendor
    answers 200."""
    if not body.Email:
        raise EtError(403, "Email must be an e-mail address such as ann@example.com")
    user = users.create_user(
        call.ctx,
        call.principal,
        name=body.UserName,
        display_name=_display_name(body),
        email=body.Email,
    )
    wire = user_wire(call, user)
    response.headers["Location"] = wire.Self
    return sent(wire)


@router.get("/user/{user_id}", responses={200: {"model": UserWire}})
def get_user(user_id: str, call: Call) -> dict[str, Any]:
    return sent(user_wire(call, users.get_user(call.ctx, call.principal, user_id)))


@router.put("/user/{user_id}", responses={200: {"model": UserWire}})
def update_user(user_id: str, call: Call, body: UserInput) -> dict[str, Any]:
    """Change the display name (`DisplayName`, or `FirstName` and `LastName`), `Email` or
    `Enabled` (administrators). The UserName is the user's identity and does not change."""
    user = users.get_user(call.ctx, call.principal, user_id)
    if body.UserName not in (None, user.name):
        raise EtError(403, "UserName cannot be changed: it names the user in runs and assignments")
    changed = users.update_user(
        call.ctx,
        call.principal,
        user.id,
        display_name=_display_name(body),
        email=body.Email if "Email" in body.model_fields_set else users.UNCHANGED,
        enabled=body.Enabled,
    )
    return sent(user_wire(call, changed))


@router.delete("/user/{user_id}")
def delete_user(user_id: str, call: Call) -> Response:
    """Delete a user who has no keys, assignments or runs (administrators); 403 otherwise."""
    users.delete_user(call.ctx, call.principal, user_id)
    return Response(status_code=200)
