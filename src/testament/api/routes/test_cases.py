"""/api/v1/test-cases"""

from typing import Annotated, Any, Self

from fastapi import APIRouter, Body, Query, Response, status
from pydantic import ModelWrapValidatorHandler, ValidationError, model_validator

from testament.api.deps import Ctx, CurrentPrincipal
from testament.api.openapi import examples_by_kind
from testament.api.schemas import (
    ApplyResults,
    Page,
    TestCaseCreate,
    TestCasePublic,
    TestCaseSummary,
    TestCaseUpdate,
)
from testament.domain.content import problems_from_validation
from testament.domain.errors import InvalidInput
from testament.domain.model import TestCaseStatus
from testament.services import apply as apply_svc
from testament.services import test_cases as svc

router = APIRouter(prefix="/test-cases", tags=["test cases"])


def _data_sets(items: list[Any] | None) -> list[svc.DataSetInput] | None:
    return None if items is None else [svc.DataSetInput(d.name, d.variables) for d in items]


@router.post(
    "", status_code=status.HTTP_201_CREATED, operation_id="createTestCase", summary="Create a test case"
)
def create_test_case(
    body: Annotated[TestCaseCreate, Body(openapi_examples=examples_by_kind())],
    ctx: Ctx,
    principal: CurrentPrincipal,
) -> TestCasePublic:
    """Create a test case at version 1. Its `content` follows the schema of its `kind` (HttpContent,
    ManualContent, NoopContent, ConnectContent) and is checked before anything is stored: in full for
    http, manual and noop; for its shape only for a connect draft, whose Testing language is checked when
    it is published. With `publish: true` the version is published at once, so executions can run it.
    Testers, managers and admins may call it."""
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
        requires=body.requires,
    )
    return TestCasePublic.of_view(view)


@router.get("", operation_id="listTestCases", summary="List test cases")
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
    """The workspace's test cases in creation order, without their content; filter by kind, status, tag
    (`key` or `key=value`) or a part of the name. Any role may call it."""
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


@router.get("/{test_case_id}", operation_id="getTestCase", summary="Get a test case")
def get_test_case(
    test_case_id: str,
    ctx: Ctx,
    principal: CurrentPrincipal,
    version: Annotated[int | None, Query(ge=1, description="default: the latest")] = None,
) -> TestCasePublic:
    """A test case with its content and data sets, by id or name; `version` reads an earlier version. Any
    role may call it."""
    case_id = svc.find_test_case_id(ctx, principal, test_case_id)
    return TestCasePublic.of_view(svc.get_test_case(ctx, principal, case_id, version=version))


@router.patch("/{test_case_id}", operation_id="updateTestCase", summary="Change a test case")
def update_test_case(
    test_case_id: str, body: TestCaseUpdate, ctx: Ctx, principal: CurrentPrincipal
) -> TestCasePublic:
    """Change the fields given. New content is checked as on create and makes a new SAVED version (the
    same content makes none); executions keep running the published version until `publish: true`
    publishes the latest. Testers, managers and admins may call it."""
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
        requires=body.requires,
    )
    return TestCasePublic.of_view(view)


@router.post("/{test_case_id}/publish", operation_id="publishTestCase", summary="Publish a test case")
def publish_test_case(test_case_id: str, ctx: Ctx, principal: CurrentPrincipal) -> TestCasePublic:
    """Check the latest version in full and make it the version executions run. Testers, managers and
    admins may call it."""
    return TestCasePublic.of_view(svc.publish_test_case(ctx, principal, test_case_id))


@router.delete(
    "/{test_case_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteTestCase",
    summary="Delete a test case",
)
def delete_test_case(test_case_id: str, ctx: Ctx, principal: CurrentPrincipal) -> Response:
    """A test case that never ran is deleted. One that ran is retired instead: hidden and its name freed,
    while its executions, records and scores stay readable. Either way it leaves every suite. Refused
    (409) while it has an execution in progress or a task step uses it. Managers and admins may call it."""
    svc.delete_test_case(ctx, principal, test_case_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


apply_router = APIRouter(tags=["apply"])


class BundleBody(apply_svc.Bundle):
    """A bundle as `POST /apply` takes it, refused as `testament apply` refuses one: each field
    named from `bundle` (`bundle.test_cases[0].colour`)."""

    @model_validator(mode="wrap")
    @classmethod
    def _refused_as_a_bundle(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        try:
            return handler(data)
        except ValidationError as exc:
            raise InvalidInput.of(problems_from_validation(exc, "bundle")) from None


@apply_router.post("/apply", operation_id="applyBundle", summary="Apply a bundle")
def apply_bundle(body: BundleBody, ctx: Ctx, principal: CurrentPrincipal) -> ApplyResults:
    """Create or update environments, test cases, suites and plans by name, as `testament apply` does;
    each result says `created`, `updated` or `unchanged`. It is one transaction: a refusal anywhere
    leaves the workspace as it was. Testers, managers and admins may call it."""
    results = apply_svc.apply_bundle(ctx, principal, body)
    return ApplyResults.model_validate({"results": results})
