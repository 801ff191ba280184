"""Contact flows, queues and hours of operation through boto3's `connect` client."""

import json
from collections.abc import Iterator

import pytest
from botocore.client import BaseClient

from tests.conftest import LiveServer, Workspace
from tests.e2e.test_aws_connect_test_cases import EXAMPLES, connect_client, error_of

FLOW = (EXAMPLES / "flow_official_example.fixed.json").read_text()
WEEKDAYS = [
    {"Day": day, "StartTime": {"Hours": 9, "Minutes": 0}, "EndTime": {"Hours": 17, "Minutes": 30}}
    for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")
]


@pytest.fixture
def connect(live: LiveServer, workspace: Workspace) -> Iterator[BaseClient]:
    client = connect_client(live, workspace)
    yield client
    client.close()


def test_a_flow_is_created_described_updated_listed_and_deleted(
    connect: BaseClient, workspace: Workspace
) -> None:
    created = connect.create_contact_flow(
        InstanceId=workspace.id, Name="Main IVR", Type="CONTACT_FLOW", Content=FLOW, Tags={"team": "ivr"}
    )
    described = connect.describe_contact_flow(InstanceId=workspace.id, ContactFlowId=created["ContactFlowId"])

    flow = described["ContactFlow"]
    assert (flow["Name"], flow["Type"], flow["Content"], flow["Version"]) == (
        "Main IVR",
        "CONTACT_FLOW",
        FLOW,
        1,
    )
    assert flow["FlowContentSha256"] == created["FlowContentSha256"]
    assert flow["Arn"] == created["ContactFlowArn"]

    changed = json.dumps({**json.loads(FLOW), "Metadata": {"note": "v2"}})
    connect.update_contact_flow_content(InstanceId=workspace.id, ContactFlowId=flow["Id"], Content=changed)
    again = connect.describe_contact_flow(InstanceId=workspace.id, ContactFlowId=flow["Id"])["ContactFlow"]
    assert (again["Content"], again["Version"]) == (changed, 2)

    listed = connect.list_contact_flows(InstanceId=workspace.id, ContactFlowTypes=["CONTACT_FLOW"])
    assert [f["Name"] for f in listed["ContactFlowSummaryList"]] == ["Main IVR"]
    connect.delete_contact_flow(InstanceId=workspace.id, ContactFlowId=flow["Id"])
    gone = error_of(lambda: connect.describe_contact_flow(InstanceId=workspace.id, ContactFlowId=flow["Id"]))
    assert gone["Error"]["Code"] == "ResourceNotFoundException"


def test_a_flow_is_found_by_its_arn_and_by_its_name(connect: BaseClient, workspace: Workspace) -> None:
    created = connect.create_contact_flow(
        InstanceId=workspace.id, Name="by-ref", Type="CONTACT_FLOW", Content=FLOW
    )
    by_name = connect.describe_contact_flow(InstanceId=workspace.id, ContactFlowId="by-ref")
    assert by_name["ContactFlow"]["Id"] == created["ContactFlowId"]
    assert created["ContactFlowArn"].endswith(f"/contact-flow/{created['ContactFlowId']}")


def test_invalid_flow_content_is_refused_with_its_problems(connect: BaseClient, workspace: Workspace) -> None:
    bad = json.dumps({"Version": "2019-10-30", "StartAction": "nowhere", "Actions": [{"Identifier": "a"}]})
    refused = error_of(
        lambda: connect.create_contact_flow(
            InstanceId=workspace.id, Name="bad", Type="CONTACT_FLOW", Content=bad
        )
    )
    assert refused["Error"]["Code"] == "InvalidContactFlowException"
    assert "nowhere" in json.dumps(refused["problems"])
    assert connect.list_contact_flows(InstanceId=workspace.id)["ContactFlowSummaryList"] == []


def test_hours_and_a_queue_that_uses_them(connect: BaseClient, workspace: Workspace) -> None:
    hours = connect.create_hours_of_operation(
        InstanceId=workspace.id, Name="Office", TimeZone="Europe/London", Config=WEEKDAYS
    )
    queue = connect.create_queue(
        InstanceId=workspace.id,
        Name="Basic Queue",
        HoursOfOperationId=hours["HoursOfOperationId"],
        MaxContacts=10,
    )

    described_hours = connect.describe_hours_of_operation(
        InstanceId=workspace.id, HoursOfOperationId=hours["HoursOfOperationId"]
    )["HoursOfOperation"]
    described_queue = connect.describe_queue(InstanceId=workspace.id, QueueId=queue["QueueId"])["Queue"]

    assert described_hours["TimeZone"] == "Europe/London"
    assert described_hours["Config"][0]["EndTime"] == {"Hours": 17, "Minutes": 30}
    assert (described_queue["Name"], described_queue["HoursOfOperationId"]) == (
        "Basic Queue",
        hours["HoursOfOperationId"],
    )
    assert described_queue["Status"] == "ENABLED"
    assert [q["Name"] for q in connect.list_queues(InstanceId=workspace.id)["QueueSummaryList"]] == [
        "Basic Queue"
    ]
    listed_hours = connect.list_hours_of_operations(InstanceId=workspace.id)["HoursOfOperationSummaryList"]
    assert [h["Name"] for h in listed_hours] == ["Office"]


def test_a_queue_needs_existing_hours_and_hours_a_real_time_zone(
    connect: BaseClient, workspace: Workspace
) -> None:
    no_hours = error_of(
        lambda: connect.create_queue(InstanceId=workspace.id, Name="q", HoursOfOperationId="nope")
    )
    bad_zone = error_of(
        lambda: connect.create_hours_of_operation(
            InstanceId=workspace.id, Name="h", TimeZone="Mars/Base", Config=[]
        )
    )
    assert no_hours["Error"]["Code"] == "ResourceNotFoundException"
    assert bad_zone["Error"]["Code"] == "InvalidParameterException"


def test_a_duplicate_flow_name_is_a_duplicate_resource(connect: BaseClient, workspace: Workspace) -> None:
    connect.create_contact_flow(InstanceId=workspace.id, Name="same", Type="CONTACT_FLOW", Content=FLOW)
    refused = error_of(
        lambda: connect.create_contact_flow(
            InstanceId=workspace.id, Name="same", Type="CONTACT_FLOW", Content=FLOW
        )
    )
    assert refused["Error"]["Code"] == "DuplicateResourceException"


def test_flows_list_pages_with_next_tokens(connect: BaseClient, workspace: Workspace) -> None:
    for i in range(3):
        connect.create_contact_flow(InstanceId=workspace.id, Name=f"f{i}", Type="CONTACT_FLOW", Content=FLOW)
    pages = connect.get_paginator("list_contact_flows").paginate(
        InstanceId=workspace.id, PaginationConfig={"PageSize": 2}
    )
    assert sorted(f["Name"] for p in pages for f in p["ContactFlowSummaryList"]) == ["f0", "f1", "f2"]
