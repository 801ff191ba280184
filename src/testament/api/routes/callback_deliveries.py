"""/api/v1/callback-deliveries: how the completion callbacks of test instances fare, for
managers and admins (who may change where they go). A URL is shown without its query, user
info or fragment, and params are never shown: they may carry tokens."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from testament.api.deps import Ctx, CurrentPrincipal
from testament.api.schemas import Page
from testament.services import callbacks as svc

router = APIRouter(tags=["callbacks"])


class CallbackDeliveryPublic(BaseModel):
    id: str
    test_instance_id: str = Field(description="the completed test instance the callback reports")
    task_id: str
    url: str = Field(description="where it is posted, without the query, user info or fragment")
    status: str = Field(
        description="pending (to be tried, or tried again), delivered, or failed (given up after "
        "max_attempts)"
    )
    attempts: int = Field(description="posts tried so far")
    max_attempts: int
    last_error: str = Field(description="what went wrong the last time; empty once delivered")
    last_status_code: int | None = Field(description="what the receiver answered last, if it answered")
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None = Field(description="when it is tried next; null unless pending")
    created_at: datetime
    delivered_at: datetime | None

    @classmethod
    def of(cls, d: svc.Delivery) -> "CallbackDeliveryPublic":
        return cls(
            id=d.id,
            test_instance_id=d.test_instance_id,
            task_id=d.task_id,
            url=d.url,
            status=d.status,
            attempts=d.attempts,
            max_attempts=d.max_attempts,
            last_error=d.last_error,
            last_status_code=d.last_status_code,
            last_attempt_at=d.last_attempt_at,
            next_attempt_at=d.next_attempt_at,
            created_at=d.created_at,
            delivered_at=d.delivered_at,
        )


@router.get(
    "/callback-deliveries",
    operation_id="listCallbackDeliveries",
    summary="List callback deliveries",
)
def list_callback_deliveries(
    ctx: Ctx,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    cursor: str | None = None,
    status: Annotated[str | None, Query(description="pending, delivered or failed")] = None,
    test_instance_id: str | None = None,
) -> Page[CallbackDeliveryPublic]:
    """The workspace's completion callbacks, newest first: where each goes, how many posts were
    tried, the last error and status code, and when it is tried next. Managers and admins only."""
    page = svc.list_deliveries(
        ctx, principal, limit=limit, cursor=cursor, status=status, test_instance_id=test_instance_id
    )
    return Page(items=[CallbackDeliveryPublic.of(d) for d in page.items], next_cursor=page.next_cursor)


@router.get(
    "/callback-deliveries/{delivery_id}",
    operation_id="getCallbackDelivery",
    summary="Get a callback delivery",
)
def get_callback_delivery(delivery_id: str, ctx: Ctx, principal: CurrentPrincipal) -> CallbackDeliveryPublic:
    """One completion callback and how delivering it went. Managers and admins only."""
    return CallbackDeliveryPublic.of(svc.get_delivery(ctx, principal, delivery_id))
