"""/api/v1/test-cases"""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from testament.api.deps import Ctx, CurrentPrincipal
from testament.api.schemas import Page, TestCaseCreate, TestCasePublic, TestCaseSummary, TestCaseUpdate
from testament.domain.model import TestCaseStatus
from testament.services import apply as apply_svc
from testament.services import test_cases as svc

router = APIRouter(prefix="/test-cases", tags=["test cases"])


def _data_sets(items: list[Any] | None) -> list[svc.DataSetInput] | None:
    return None if items is None else [svc.DataSetInput(d.name, d.variables) for d in items]


@router.post("", status_code=status.HTTP_201_CREATED, operation_id="createTestCase")
def create_test_case(body: TestCaseCreate, ctx: Ctx, principal: CurrentPrincipal) -> TestCasePublic:
    view = svc.create_test_case(
        ctx,
        principal,
        kind=body.kind,
        name=body.name,
        content=body.content,
        description=body.description,
        tags=body.tags,
        retries=body.retries,
        data_sets=_data_sets(body.data_sets) or [],
        publish=body.publish,
    )
    return TestCasePublic.of_view(view)


@router.get("", operation_id="listTestCases")
def list_test_cases(
    ctx: Ctx,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    cursor: str | None = None,
    kind: str | None = None,
    status: TestCaseStatus | None = None,
    tag: Annotated[str | None, Query(description="`key` or `key=value`")] = None,
    name_contains: str | None = None,
) -> Page[TestCaseSummary]:
    page = svc.list_test_cases(
        ctx,
        principal,
        limit=limit,
        cursor=cursor,
        kind=kind,
        status=status,
        tag=tag,
        name_contains=name_contains,
    )
    return Page(items=[TestCaseSummary.of(c) for c in page.items], next_cursor=page.next_cursor)


@router.get("/{test_case_id}", operation_id="getTestCase")
def get_test_case(
    test_case_id: str,
    ctx: Ctx,
    principal: CurrentPrincipal,
    version: Annotated[int | None, Query(ge=1, description="default: the latest")] = None,
) -> TestCasePublic:
    case_id = svc.find_test_case_id(ctx, principal, test_case_id)
    return TestCasePublic.of_view(svc.get_test_case(ctx, principal, case_id, version=version))


@router.patch("/{test_case_id}", operation_id="updateTestCase")
def update_test_case(
    test_case_id: str, body: TestCaseUpdate, ctx: Ctx, principal: CurrentPrincipal
) -> TestCasePublic:
    view = svc.update_test_case(
        ctx,
        principal,
        test_case_id,
        name=body.name,
        description=body.description,
        tags=body.tags,
        retries=body.retries,
        content=body.content if "content" in body.model_fields_set else svc.UNSET,
        data_sets=_data_sets(body.data_sets),
        publish=body.publish,
    )
    return TestCasePublic.of_view(view)


@router.post("/{test_case_id}/publish", operation_id="publishTestCase")
def publish_test_case(test_case_id: str, ctx: Ctx, principal: CurrentPrincipal) -> TestCasePublic:
    return TestCasePublic.of_view(svc.publish_test_case(ctx, principal, test_case_id))


@router.delete("/{test_case_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="deleteTestCase")
def delete_test_case(test_case_id: str, ctx: Ctx, principal: CurrentPrincipal) -> Response:
    svc.delete_test_case(ctx, principal, test_case_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


apply_router = APIRouter(tags=["apply"])


@apply_router.post("/apply", operation_id="applyBundle")
def apply_bundle(
    body: dict[str, Any], ctx: Ctx, principal: CurrentPrincipal
) -> dict[str, list[dict[str, str]]]:
    """Create or update environments, test cases, suites and plans by name (what `testament apply` sends)."""
    return {"results": apply_svc.apply_bundle(ctx, principal, apply_svc.parse_bundle(body))}
