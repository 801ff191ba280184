"""/api/v1/users: the workspace's users (the people its keys act for, runs are recorded by and
incidents are assigned to). Anyone reads them; administrators create, change and delete them."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from testament.api.deps import Ctx, CurrentPrincipal
from testament.api.schemas import Page, Strict
from testament.domain.users import MAX_EMAIL, MAX_NAME, User
from testament.services import users as svc

router = APIRouter(tags=["users"])


class UserPublic(BaseModel):
    id: str = Field(description="the same for a name in a workspace, every time")
    name: str = Field(description="the user name keys act as; it does not change")
    display_name: str
    email: str | None
    enabled: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, user: User) -> "UserPublic":
        return cls(
            id=user.id,
            name=user.name,
            display_name=user.display_name,
            email=user.email,
            enabled=user.enabled,
            created_at=user.created_at,
            updated_at=user.updated_at,
        )


class UserCreate(Strict):
    name: str = Field(min_length=1, max_length=MAX_NAME)
    display_name: str | None = Field(default=None, max_length=MAX_NAME, description="the name, if not given")
    email: str | None = Field(default=None, max_length=MAX_EMAIL)


class UserUpdate(Strict):
    display_name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME)
    email: str | None = Field(default=None, max_length=MAX_EMAIL, description="null clears it")
    enabled: bool | None = None


@router.get("/users", operation_id="listUsers", summary="List users")
def list_users(
    ctx: Ctx,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    cursor: str | None = None,
) -> Page[UserPublic]:
    """The workspace's users in name order. Any role may call it."""
    page = svc.list_users(ctx, principal, limit=limit, cursor=cursor)
    return Page(items=[UserPublic.of(u) for u in page.items], next_cursor=page.next_cursor)


@router.post("/users", status_code=201, operation_id="createUser", summary="Create a user")
def create_user(body: UserCreate, ctx: Ctx, principal: CurrentPrincipal) -> UserPublic:
    """A user of the workspace; 409 when the name is taken. Admins only."""
    user = svc.create_user(ctx, principal, name=body.name, display_name=body.display_name, email=body.email)
    return UserPublic.of(user)


@router.get("/users/{user_id}", operation_id="getUser", summary="Get a user")
def get_user(user_id: str, ctx: Ctx, principal: CurrentPrincipal) -> UserPublic:
    """One user of the workspace. Any role may call it."""
    return UserPublic.of(svc.get_user(ctx, principal, user_id))


@router.patch("/users/{user_id}", operation_id="updateUser", summary="Change a user")
def update_user(user_id: str, body: UserUpdate, ctx: Ctx, principal: CurrentPrincipal) -> UserPublic:
    """Change the display name, e-mail (null clears it) or whether the user is enabled; the
    name does not change. Admins only."""
    given = body.model_fields_set
    user = svc.update_user(
        ctx,
        principal,
        user_id,
        display_name=body.display_name,
        email=body.email if "email" in given else svc.UNCHANGED,
        enabled=body.enabled,
    )
    return UserPublic.of(user)


@router.delete("/users/{user_id}", status_code=204, operation_id="deleteUser", summary="Delete a user")
def delete_user(user_id: str, ctx: Ctx, principal: CurrentPrincipal) -> Response:
    """Delete a user who has no keys, assignments or runs (409 otherwise). Admins only."""
    svc.delete_user(ctx, principal, user_id)
    return Response(status_code=204)
