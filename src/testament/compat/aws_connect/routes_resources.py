"""Connect resources a test needs: contact flows, queues and hours of operation.

They are core workspace resources of kinds `connect.flow`, `connect.queue` and
`connect.hours`, whose bodies are the AWS shapes; the connect runner reads them.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from testament.compat.aws_connect import translate
from testament.compat.aws_connect.calls import AwsCall, Call, Input, empty
from testament.compat.aws_connect.schemas import (
    CreateContactFlowInput,
    CreateContactFlowOutput,
    CreateHoursOfOperationInput,
    CreateHoursOfOperationOutput,
    CreateQueueInput,
    CreateQueueOutput,
    DescribeContactFlowOutput,
    DescribeHoursOfOperationOutput,
    DescribeQueueOutput,
    EmptyOutput,
    ListContactFlowsOutput,
    ListHoursOfOperationsOutput,
    ListQueuesOutput,
    UpdateContactFlowContentInput,
)
from testament.compat.wire import sent
from testament.domain import errors as e
from testament.domain.model import Resource
from testament.services import resources

router = APIRouter()

FLOW, QUEUE, HOURS = "connect.flow", "connect.queue", "connect.hours"
MaxResults = int  # its range is checked with the rest of the model (call.check)
CreateFlowBody = Annotated[
    CreateContactFlowInput, Depends(Input("CreateContactFlow", CreateContactFlowInput))
]
FlowContentBody = Annotated[
    UpdateContactFlowContentInput,
    Depends(Input("UpdateContactFlowContent", UpdateContactFlowContentInput)),
]
CreateQueueBody = Annotated[CreateQueueInput, Depends(Input("CreateQueue", CreateQueueInput))]
CreateHoursBody = Annotated[
    CreateHoursOfOperationInput, Depends(Input("CreateHoursOfOperation", CreateHoursOfOperationInput))
]


def _find(call: AwsCall, kind: str, reference: str) -> Resource:
    found = resources.find_resource(call.ctx, call.principal.workspace_id, kind, reference)
    if found is None:
        raise e.NotFound(kind.removeprefix("connect."), reference)
    return found


def _page(
    call: AwsCall, kind: str, token: str | None, limit: int, item: Any, member: str, **filters: Any
) -> dict[str, Any]:
    """One page of a listing; its NextToken holds the `filters` the route applies to the page."""
    cursor = call.cursor_of(member, token, **filters)
    page = resources.list_resources(call.ctx, call.principal, kind, limit=limit, cursor=cursor)
    answer: dict[str, Any] = {member: [sent(item(r)) for r in page.items]}
    if next_token := call.next_token(member, page.next_cursor, **filters):
        answer["NextToken"] = next_token
    return answer


# ------------------------------------------------------------------ contact flows


@router.put("/contact-flows/{InstanceId}", responses={200: {"model": CreateContactFlowOutput}})
def create_contact_flow(InstanceId: str, call: Call, body: CreateFlowBody) -> dict[str, Any]:
    workspace_id = call.workspace(InstanceId)
    translate.check_flow_content(body.Content)
    flow = resources.create_resource(
        call.ctx,
        call.principal,
        kind=FLOW,
        name=body.Name,
        description=body.Description or "",
        body=translate.flow_body(body.Type, body.Content, body.Status or "PUBLISHED", version=1),
        tags=body.Tags or {},
    )
    return {
        "ContactFlowId": flow.id,
        "ContactFlowArn": translate.resource_arn(call.region, workspace_id, "contact-flow", flow.id),
        "FlowContentSha256": translate.sha256_of(body.Content),
    }


@router.get(
    "/contact-flows/{InstanceId}/{ContactFlowId}", responses={200: {"model": DescribeContactFlowOutput}}
)
def describe_contact_flow(InstanceId: str, ContactFlowId: str, call: Call) -> dict[str, Any]:
    call.check("DescribeContactFlow", InstanceId=InstanceId, ContactFlowId=ContactFlowId)
    workspace_id = call.workspace(InstanceId)
    flow = _find(call, FLOW, ContactFlowId)
    return sent(DescribeContactFlowOutput(ContactFlow=translate.flow_wire(flow, call.region, workspace_id)))


@router.post("/contact-flows/{InstanceId}/{ContactFlowId}/content", responses={200: {"model": EmptyOutput}})
def update_contact_flow_content(
    InstanceId: str, ContactFlowId: str, call: Call, body: FlowContentBody
) -> Response:
    translate.check_flow_content(body.Content)
    flow = _find(call, FLOW, ContactFlowId)
    new_body = {**flow.body, "Content": body.Content, "Version": int(flow.body.get("Version", 1)) + 1}
    resources.update_resource(call.ctx, call.principal, FLOW, flow.id, body=new_body)
    return empty()


@router.get("/contact-flows-summary/{InstanceId}", responses={200: {"model": ListContactFlowsOutput}})
def list_contact_flows(
    InstanceId: str,
    call: Call,
    nextToken: str | None = None,
    maxResults: MaxResults = 100,
    contactFlowTypes: Annotated[list[str] | None, Query()] = None,
) -> dict[str, Any]:
    call.check("ListContactFlows", InstanceId=InstanceId)
    workspace_id = call.workspace(InstanceId)
    answer = _page(
        call,
        FLOW,
        nextToken,
        maxResults,
        lambda r: translate.flow_summary(r, call.region, workspace_id),
        "ContactFlowSummaryList",
        ContactFlowTypes=contactFlowTypes,
    )
    if contactFlowTypes:
        answer["ContactFlowSummaryList"] = [
            f for f in answer["ContactFlowSummaryList"] if f["ContactFlowType"] in contactFlowTypes
        ]
    return answer


@router.delete("/contact-flows/{InstanceId}/{ContactFlowId}", responses={200: {"model": EmptyOutput}})
def delete_contact_flow(InstanceId: str, ContactFlowId: str, call: Call) -> Response:
    call.check("DeleteContactFlow", InstanceId=InstanceId, ContactFlowId=ContactFlowId)
    call.workspace(InstanceId)
    resources.delete_resource(call.ctx, call.principal, FLOW, _find(call, FLOW, ContactFlowId).id)
    return empty()


# ------------------------------------------------------------------ queues


@router.put("/queues/{InstanceId}", responses={200: {"model": CreateQueueOutput}})
def create_queue(InstanceId: str, call: Call, body: CreateQueueBody) -> dict[str, Any]:
    workspace_id = call.workspace(InstanceId)
    hours = _find(call, HOURS, body.HoursOfOperationId)
    queue = resources.create_resource(
        call.ctx,
        call.principal,
        kind=QUEUE,
        name=body.Name,
        description=body.Description or "",
        body={**body.model_dump(exclude_none=True, exclude={"Tags"}), "HoursOfOperationId": hours.id},
        tags=body.Tags or {},
    )
    return {
        "QueueId": queue.id,
        "QueueArn": translate.resource_arn(call.region, workspace_id, "queue", queue.id),
    }


@router.get("/queues/{InstanceId}/{QueueId}", responses={200: {"model": DescribeQueueOutput}})
def describe_queue(InstanceId: str, QueueId: str, call: Call) -> dict[str, Any]:
    call.check("DescribeQueue", InstanceId=InstanceId, QueueId=QueueId)
    workspace_id = call.workspace(InstanceId)
    queue = _find(call, QUEUE, QueueId)
    return sent(DescribeQueueOutput(Queue=translate.queue_wire(queue, call.region, workspace_id)))


@router.get("/queues-summary/{InstanceId}", responses={200: {"model": ListQueuesOutput}})
def list_queues(
    InstanceId: str,
    call: Call,
    nextToken: str | None = None,
    maxResults: MaxResults = 100,
    queueTypes: Annotated[list[str] | None, Query()] = None,
) -> dict[str, Any]:
    call.check("ListQueues", InstanceId=InstanceId)
    workspace_id = call.workspace(InstanceId)
    answer = _page(
        call,
        QUEUE,
        nextToken,
        maxResults,
        lambda r: translate.queue_summary(r, call.region, workspace_id),
        "QueueSummaryList",
        QueueTypes=queueTypes,
    )
    if queueTypes:
        answer["QueueSummaryList"] = [q for q in answer["QueueSummaryList"] if q["QueueType"] in queueTypes]
    return answer


# ------------------------------------------------------------------ hours of operation


@router.put("/hours-of-operations/{InstanceId}", responses={200: {"model": CreateHoursOfOperationOutput}})
def create_hours_of_operation(InstanceId: str, call: Call, body: CreateHoursBody) -> dict[str, Any]:
    workspace_id = call.workspace(InstanceId)
    translate.check_time_zone(body.TimeZone)
    hours = resources.create_resource(
        call.ctx,
        call.principal,
        kind=HOURS,
        name=body.Name,
        description=body.Description or "",
        body=body.model_dump(exclude_none=True, exclude={"Tags"}, by_alias=True),
        tags=body.Tags or {},
    )
    arn = translate.resource_arn(call.region, workspace_id, "operating-hours", hours.id)
    return {"HoursOfOperationId": hours.id, "HoursOfOperationArn": arn}


@router.get(
    "/hours-of-operations/{InstanceId}/{HoursOfOperationId}",
    responses={200: {"model": DescribeHoursOfOperationOutput}},
)
def describe_hours_of_operation(InstanceId: str, HoursOfOperationId: str, call: Call) -> dict[str, Any]:
    call.check("DescribeHoursOfOperation", InstanceId=InstanceId, HoursOfOperationId=HoursOfOperationId)
    workspace_id = call.workspace(InstanceId)
    hours = _find(call, HOURS, HoursOfOperationId)
    wire = translate.hours_wire(hours, call.region, workspace_id)
    return sent(DescribeHoursOfOperationOutput(HoursOfOperation=wire))


@router.get(
    "/hours-of-operations-summary/{InstanceId}", responses={200: {"model": ListHoursOfOperationsOutput}}
)
def list_hours_of_operations(
    InstanceId: str, call: Call, nextToken: str | None = None, maxResults: MaxResults = 100
) -> dict[str, Any]:
    call.check("ListHoursOfOperations", InstanceId=InstanceId)
    workspace_id = call.workspace(InstanceId)
    return _page(
        call,
        HOURS,
        nextToken,
        maxResults,
        lambda r: translate.hours_summary(r, call.region, workspace_id),
        "HoursOfOperationSummaryList",
    )
