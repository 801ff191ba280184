"""Connect test-case executions: Start, Stop, GetTestCaseExecutionSummary,
ListTestCaseExecutions and ListTestCaseExecutionRecords, over the core's executions."""

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from testament.compat.aws_connect import translate
from testament.compat.aws_connect.calls import KIND, AwsCall, Call, Input, empty
from testament.compat.aws_connect.schemas import (
    EmptyOutput,
    GetTestCaseExecutionSummaryOutput,
    ListTestCaseExecutionRecordsOutput,
    ListTestCaseExecutionsOutput,
    StartTestCaseExecutionInput,
    StartTestCaseExecutionOutput,
    StopTestCaseExecutionInput,
)
from testament.compat.wire import sent
from testament.domain import errors as e
from testament.domain.execution import Execution
from testament.runners.connect.arns import REGION_VARIABLE
from testament.services import executions, test_cases
from testament.services.paging import all_items

router = APIRouter()
MaxResults = int  # its range is checked with the rest of the model (call.check)
StatusFilter = str | None  # an enum of the model, checked by call.check
StartBody = Annotated[
    StartTestCaseExecutionInput, Depends(Input("StartTestCaseExecution", StartTestCaseExecutionInput))
]
StopBody = Annotated[
    StopTestCaseExecutionInput, Depends(Input("StopTestCaseExecution", StopTestCaseExecutionInput))
]


def _case(call: AwsCall, test_case_id: str) -> test_cases.TestCaseView:
    view = test_cases.get_test_case(call.ctx, call.principal, test_case_id)
    if view.test_case.kind != KIND:
        raise e.NotFound("test case", test_case_id)
    return view


def _execution(call: AwsCall, test_case_id: str, execution_id: str) -> Execution:
    execution = executions.get_execution(call.ctx, call.principal, execution_id)
    if execution.test_case_id != test_case_id:
        raise e.NotFound("test case execution", execution_id)
    return execution


@router.put(
    "/test-cases/{InstanceId}/{TestCaseId}/start-execution",
    responses={200: {"model": StartTestCaseExecutionOutput}},
)
def start_test_case_execution(
    InstanceId: str, TestCaseId: str, call: Call, body: StartBody
) -> dict[str, Any]:
    _case(call, TestCaseId)
    started = executions.start_execution(
        call.ctx,
        call.principal,
        test_case_id=TestCaseId,
        client_token=body.ClientToken,
        variables={REGION_VARIABLE: call.region},  # the run's ARNs name the client's region
    )
    execution = started.executions[0]
    return {
        "TestCaseExecutionId": execution.id,
        "TestCaseId": TestCaseId,
        "Status": translate.EXECUTION_STATUS[execution.status],
    }


@router.post(
    "/test-cases/{InstanceId}/{TestCaseId}/{TestCaseExecutionId}/stop-execution",
    responses={200: {"model": EmptyOutput}},
)
def stop_test_case_execution(
    InstanceId: str, TestCaseId: str, TestCaseExecutionId: str, call: Call, _body: StopBody
) -> Response:
    execution = _execution(call, TestCaseId, TestCaseExecutionId)
    executions.stop_execution(call.ctx, call.principal, execution.id, already_stopped_ok=True)
    return empty()


@router.get(
    "/test-cases/{InstanceId}/{TestCaseId}/{TestCaseExecutionId}/summary",
    responses={200: {"model": GetTestCaseExecutionSummaryOutput}},
)
def get_test_case_execution_summary(
    InstanceId: str, TestCaseId: str, TestCaseExecutionId: str, call: Call
) -> dict[str, Any]:
    call.check(
        "GetTestCaseExecutionSummary",
        InstanceId=InstanceId,
        TestCaseId=TestCaseId,
        TestCaseExecutionId=TestCaseExecutionId,
    )
    call.workspace(InstanceId)
    execution = _execution(call, TestCaseId, TestCaseExecutionId)
    pinned = test_cases.get_test_case(
        call.ctx, call.principal, TestCaseId, version=execution.test_case_version, retired=True
    )
    records = _all_records(call, execution.id)
    total = translate.observation_count(pinned.content)
    return sent(translate.execution_summary(execution, total, records))


def _all_records(call: AwsCall, execution_id: str) -> list[executions.Record]:
    return all_items(partial(executions.list_records, call.ctx, call.principal, execution_id))


@router.get("/test-case-executions/{InstanceId}", responses={200: {"model": ListTestCaseExecutionsOutput}})
def list_test_case_executions(
    InstanceId: str,
    call: Call,
    testCaseId: str | None = None,
    testCaseName: str | None = None,
    startTime: int | None = None,
    endTime: int | None = None,
    status: StatusFilter = None,
    nextToken: str | None = None,
    maxResults: MaxResults = 100,
) -> dict[str, Any]:
    call.check("ListTestCaseExecutions", InstanceId=InstanceId)
    call.workspace(InstanceId)
    filters = {
        "TestCaseId": testCaseId,
        "TestCaseName": testCaseName,
        "StartTime": startTime,
        "EndTime": endTime,
        "Status": status,
    }
    cursor = call.cursor_of("ListTestCaseExecutions", nextToken, **filters)
    case_id = testCaseId
    if testCaseName is not None:
        try:
            case_id = test_cases.find_test_case_id(call.ctx, call.principal, testCaseName)
        except e.NotFound:
            return {"TestCaseExecutions": []}  # a filter that matches nothing
        if testCaseId is not None and testCaseId != case_id:
            return {"TestCaseExecutions": []}
    page = executions.list_executions(
        call.ctx,
        call.principal,
        kind=KIND,
        test_case_id=case_id,
        status=translate.CORE_STATUSES[status] if status else None,
        since=translate.from_epoch_ms("StartTime", startTime),
        until=translate.from_epoch_ms("EndTime", endTime),
        limit=maxResults,
        cursor=cursor,
    )
    tags = {
        cid: test_cases.get_test_case(call.ctx, call.principal, cid, retired=True).test_case.tags
        for cid in {x.test_case_id for x in page.items}
    }
    answer: dict[str, Any] = {
        "TestCaseExecutions": [
            sent(translate.execution_wire(x, tags.get(x.test_case_id, {}))) for x in page.items
        ]
    }
    if token := call.next_token("ListTestCaseExecutions", page.next_cursor, **filters):
        answer["NextToken"] = token
    return answer


@router.get(
    "/test-cases/{InstanceId}/{TestCaseId}/{TestCaseExecutionId}/records",
    responses={200: {"model": ListTestCaseExecutionRecordsOutput}},
)
def list_test_case_execution_records(
    InstanceId: str,
    TestCaseId: str,
    TestCaseExecutionId: str,
    call: Call,
    status: StatusFilter = None,
    nextToken: str | None = None,
    maxResults: MaxResults = 100,
) -> dict[str, Any]:
    call.check(
        "ListTestCaseExecutionRecords",
        InstanceId=InstanceId,
        TestCaseId=TestCaseId,
        TestCaseExecutionId=TestCaseExecutionId,
    )
    call.workspace(InstanceId)
    filters = {"TestCaseExecutionId": TestCaseExecutionId, "Status": status}
    cursor = call.cursor_of("ListTestCaseExecutionRecords", nextToken, **filters)
    execution = _execution(call, TestCaseId, TestCaseExecutionId)
    if status is not None and status not in translate.RECORD_STATUSES:
        return {"ExecutionRecords": []}  # a status no record shows
    page = executions.list_records(
        call.ctx,
        call.principal,
        execution.id,
        limit=maxResults,
        cursor=cursor,
        status=translate.RECORD_STATUSES[status] if status else None,
    )
    shown = [translate.record_wire(r, execution) for r in page.items]
    # a record's shown status depends on more than its core status: keep those shown as asked
    answer: dict[str, Any] = {
        "ExecutionRecords": [sent(r) for r in shown if status is None or r.Status == status]
    }
    if token := call.next_token("ListTestCaseExecutionRecords", page.next_cursor, **filters):
        answer["NextToken"] = token
    return answer
