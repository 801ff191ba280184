"""Connect test-case operations: Create, Update, Describe, Delete, List and Search."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from testament.compat.aws_connect import translate
from testament.compat.aws_connect.calls import KIND, AwsCall, Call, Input, empty
from testament.compat.aws_connect.errors import AwsError
from testament.compat.aws_connect.schemas import (
    CreateTestCaseInput,
    CreateTestCaseOutput,
    DescribeTestCaseOutput,
    EmptyOutput,
    ListTestCasesOutput,
    SearchTestCasesInput,
    SearchTestCasesOutput,
    UpdateTestCaseInput,
)
from testament.compat.wire import sent
from testament.domain import errors as e
from testament.domain.filters import all_of
from testament.domain.model import TestCaseStatus
from testament.runners.connect.entry import entry_point
from testament.services import resources, test_cases
from testament.services.test_cases import search

router = APIRouter()
FLOW = "connect.flow"
CreateBody = Annotated[CreateTestCaseInput, Depends(Input("CreateTestCase", CreateTestCaseInput))]
UpdateBody = Annotated[UpdateTestCaseInput, Depends(Input("UpdateTestCase", UpdateTestCaseInput))]
SearchBody = Annotated[SearchTestCasesInput, Depends(Input("SearchTestCases", SearchTestCasesInput))]


def _view_for(call: AwsCall, test_case_id: str, status: str | None) -> tuple[test_cases.TestCaseView, str]:
    latest = test_cases.get_test_case(call.ctx, call.principal, test_case_id)
    case = latest.test_case
    if case.kind != KIND:
        raise e.NotFound("test case", test_case_id)
    published = case.published_version
    if status == "PUBLISHED" or (status is None and published is not None):
        if published is None:
            raise e.NotFound("published version of test case", test_case_id)
        view = test_cases.get_test_case(call.ctx, call.principal, test_case_id, version=published)
        return view, "PUBLISHED"
    return latest, "PUBLISHED" if published == case.version else "SAVED"


def _refuse_a_missing_flow(call: AwsCall, content: dict[str, Any]) -> None:
    """A test case is published to run against its entry point's flow, which must exist
    (AWS lists ResourceNotFoundException for it). Problems of the content itself come first,
    all of them, as publishing reports them."""
    if problems := test_cases.content_problems(KIND, content):
        raise e.InvalidInput.of(problems)
    flow_id = entry_point(content)[1].get("FlowId")
    if flow_id and resources.find_resource(call.ctx, call.principal.workspace_id, FLOW, str(flow_id)) is None:
        raise AwsError("ResourceNotFoundException", f"Flow {flow_id} was not found in this instance")


@router.put("/test-cases/{InstanceId}", responses={200: {"model": CreateTestCaseOutput}})
def create_test_case(InstanceId: str, call: Call, body: CreateBody) -> dict[str, Any]:
    content = translate.content_of(
        None,
        Content=body.Content,
        EntryPoint=body.EntryPoint.model_dump(exclude_none=True) if body.EntryPoint else None,
        InitializationData=body.InitializationData,
    )
    if body.Status == "PUBLISHED":
        _refuse_a_missing_flow(call, content)
    view = test_cases.create_test_case(
        call.ctx,
        call.principal,
        kind=KIND,
        name=body.Name,
        content=content,
        description=body.Description or "",
        tags=body.Tags or {},
        publish=body.Status == "PUBLISHED",
    )
    case_id = view.test_case.id
    return {
        "TestCaseId": case_id,
        "TestCaseArn": translate.test_case_arn(call.region, view.test_case.workspace_id, case_id),
    }


@router.post("/test-cases/{InstanceId}/{TestCaseId}", responses={200: {"model": EmptyOutput}})
def update_test_case(InstanceId: str, TestCaseId: str, call: Call, body: UpdateBody) -> Response:
    current = _view_for(call, TestCaseId, "SAVED")[0]
    changes = {
        "Content": body.Content,
        "EntryPoint": body.EntryPoint.model_dump(exclude_none=True) if body.EntryPoint else None,
        "InitializationData": body.InitializationData,
    }
    content = translate.content_of(current.content, **changes)
    if body.Status == "PUBLISHED":
        _refuse_a_missing_flow(call, content)
    test_cases.update_test_case(
        call.ctx,
        call.principal,
        TestCaseId,
        name=body.Name,
        description=body.Description,
        content=content if any(v is not None for v in changes.values()) else test_cases.UNSET,
        publish=body.Status == "PUBLISHED",
    )
    return empty()


@router.get("/test-cases/{InstanceId}/{TestCaseId}", responses={200: {"model": DescribeTestCaseOutput}})
def describe_test_case(
    InstanceId: str, TestCaseId: str, call: Call, status: Annotated[str | None, Query()] = None
) -> dict[str, Any]:
    call.check("DescribeTestCase", InstanceId=InstanceId, TestCaseId=TestCaseId)
    call.workspace(InstanceId)
    view, version_status = _view_for(call, TestCaseId, status)
    return sent(DescribeTestCaseOutput(TestCase=translate.test_case_wire(view, call.region, version_status)))


@router.delete("/test-cases/{InstanceId}/{TestCaseId}", responses={200: {"model": EmptyOutput}})
def delete_test_case(InstanceId: str, TestCaseId: str, call: Call) -> Response:
    call.check("DeleteTestCase", InstanceId=InstanceId, TestCaseId=TestCaseId)
    call.workspace(InstanceId)
    _view_for(call, TestCaseId, "SAVED")
    test_cases.delete_test_case(call.ctx, call.principal, TestCaseId)
    return empty()


@router.get("/test-cases-summary/{InstanceId}", responses={200: {"model": ListTestCasesOutput}})
def list_test_cases(
    InstanceId: str,
    call: Call,
    nextToken: Annotated[str | None, Query()] = None,
    maxResults: int = 100,
) -> dict[str, Any]:
    call.check("ListTestCases", InstanceId=InstanceId)
    call.workspace(InstanceId)
    page = test_cases.list_test_cases(
        call.ctx,
        call.principal,
        kind=KIND,
        limit=maxResults,
        cursor=call.cursor_of("ListTestCases", nextToken),
    )
    answer: dict[str, Any] = {
        "TestCaseSummaryList": [sent(translate.test_case_summary(c, call.region)) for c in page.items]
    }
    if token := call.next_token("ListTestCases", page.next_cursor):
        answer["NextToken"] = token
    return answer


@router.post("/search-test-cases", responses={200: {"model": SearchTestCasesOutput}})
def search_test_cases(call: Call, body: SearchBody) -> dict[str, Any]:
    call.workspace(body.InstanceId)
    filters = body.model_dump(include={"SearchFilter", "SearchCriteria"}, exclude_none=True)
    after = call.cursor_of("SearchTestCases", body.NextToken, **filters)
    where = all_of(
        translate.criteria_filter(body.SearchCriteria),
        translate.tag_filter(body.SearchFilter.TagFilter if body.SearchFilter else None),
    )
    found = search.search_test_cases(
        call.ctx, call.principal, kind=KIND, where=where, limit=body.MaxResults, after=after
    )
    answer: dict[str, Any] = {
        "TestCases": [
            sent(
                translate.test_case_wire(
                    v, call.region, "PUBLISHED" if v.test_case.status == TestCaseStatus.PUBLISHED else "SAVED"
                )
            )
            for v in found.views
        ],
        "ApproximateTotalCount": found.total,
    }
    if found.more:
        answer["NextToken"] = call.next_token("SearchTestCases", found.views[-1].test_case.id, **filters)
    return answer
