"""AWS's worked example, run end to end through boto3 against flows stored in the workspace:
one flow it should pass, one it should fail, with records and summaries checked."""

import json
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.client import BaseClient

from testament.domain.access import Role
from tests.conftest import LiveServer, Workspace
from tests.e2e.processes import CLI
from tests.e2e.test_aws_connect_test_cases import VOICE, connect_client, error_of, official_example

PROMPT = "Press 1 to be connected to an agent"
ANNOUNCEMENT = (
    "Thank you for calling. Your call is very important to us"
    " and will be answered in the order it was received."
)
ALL_DAY = [
    {"Day": day, "StartTime": {"Hours": 0, "Minutes": 0}, "EndTime": {"Hours": 0, "Minutes": 0}}
    for day in ("SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY")
]


def ivr_flow(queue_id: str) -> str:
    """The flow AWS's example tests: menu, working queue, hours check, announcement, transfer.

    Its CheckHoursOfOperation names hours by an ARN ending in `BasicHours`, which the test
    case substitutes with `AlwaysOnHours`.
    """
    actions = [
        {
            "Identifier": "menu",
            "Type": "GetParticipantInput",
            "Parameters": {"Text": PROMPT, "StoreInput": "False", "InputTimeLimitSeconds": "5"},
            "Transitions": {
                "NextAction": "bye",
                "Conditions": [
                    {"NextAction": "set-queue", "Condition": {"Operator": "Equals", "Operands": ["1"]}}
                ],
                "Errors": [
                    {"NextAction": "bye", "ErrorType": "InputTimeLimitExceeded"},
                    {"NextAction": "bye", "ErrorType": "NoMatchingCondition"},
                    {"NextAction": "bye", "ErrorType": "NoMatchingError"},
                ],
            },
        },
        {
            "Identifier": "set-queue",
            "Type": "UpdateContactTargetQueue",
            "Parameters": {"QueueId": queue_id},
            "Transitions": {
                "NextAction": "hours",
                "Errors": [{"NextAction": "bye", "ErrorType": "NoMatchingError"}],
            },
        },
        {
            "Identifier": "hours",
            "Type": "CheckHoursOfOperation",
            "Parameters": {
                "HoursOfOperationId": "arn:aws:connect:us-west-2:123456789012:instance/abc123/flow/BasicHours"
            },
            "Transitions": {
                "NextAction": "closed",
                "Conditions": [
                    {"NextAction": "announce", "Condition": {"Operator": "Equals", "Operands": ["True"]}},
                    {"NextAction": "closed", "Condition": {"Operator": "Equals", "Operands": ["False"]}},
                ],
                "Errors": [{"NextAction": "closed", "ErrorType": "NoMatchingError"}],
            },
        },
        {
            "Identifier": "announce",
            "Type": "MessageParticipant",
            "Parameters": {"Text": ANNOUNCEMENT},
            "Transitions": {
                "NextAction": "transfer",
                "Errors": [{"NextAction": "bye", "ErrorType": "NoMatchingError"}],
            },
        },
        {
            "Identifier": "transfer",
            "Type": "TransferContactToQueue",
            "Parameters": {},
            "Transitions": {
                "NextAction": "bye",
                "Errors": [{"NextAction": "bye", "ErrorType": "NoMatchingError"}],
            },
        },
        {
            "Identifier": "closed",
            "Type": "MessageParticipant",
            "Parameters": {"Text": "We are closed."},
            "Transitions": {"NextAction": "bye"},
        },
        {"Identifier": "bye", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}},
    ]
    return json.dumps({"Version": "2019-10-30", "StartAction": "menu", "Actions": actions})


@pytest.fixture
def connect(live: LiveServer, workspace: Workspace) -> Iterator[BaseClient]:
    client = connect_client(live, workspace)
    yield client
    client.close()


def contact_centre(connect: BaseClient, instance: str) -> dict[str, str]:
    """Hours, queues and the two flows: one that routes to Basic Queue, one to another queue."""
    closed = connect.create_hours_of_operation(
        InstanceId=instance, Name="BasicHours", TimeZone="UTC", Config=[]
    )
    connect.create_hours_of_operation(
        InstanceId=instance, Name="AlwaysOnHours", TimeZone="UTC", Config=ALL_DAY
    )
    basic = connect.create_queue(
        InstanceId=instance, Name="Basic Queue", HoursOfOperationId=closed["HoursOfOperationId"]
    )
    other = connect.create_queue(
        InstanceId=instance, Name="Other Queue", HoursOfOperationId=closed["HoursOfOperationId"]
    )
    flows = {}
    for name, queue in (("good", basic), ("wrong-queue", other)):
        created = connect.create_contact_flow(
            InstanceId=instance, Name=name, Type="CONTACT_FLOW", Content=ivr_flow(queue["QueueArn"])
        )
        flows[name] = created["ContactFlowId"]
    return flows


def run_example(connect: BaseClient, instance: str, flow_id: str, name: str) -> dict[str, str]:
    case = connect.create_test_case(
        InstanceId=instance,
        Name=name,
        Content=official_example(),
        EntryPoint={"Type": "VOICE_CALL", "VoiceCallEntryPointParameters": {"FlowId": flow_id}},
        Status="PUBLISHED",
    )["TestCaseId"]
    started = connect.start_test_case_execution(InstanceId=instance, TestCaseId=case)
    ids = {"InstanceId": instance, "TestCaseId": case, "TestCaseExecutionId": started["TestCaseExecutionId"]}
    deadline = time.monotonic() + 30
    while connect.get_test_case_execution_summary(**ids)["Status"] in ("INITIATED", "IN_PROGRESS"):
        assert time.monotonic() < deadline, "the execution did not finish"
        time.sleep(0.05)
    return ids


def records_one_at_a_time(connect: BaseClient, ids: dict[str, str]) -> list[dict[str, Any]]:
    records, token = [], None
    while True:
        page = connect.list_test_case_execution_records(
            **ids, MaxResults=1, **({"NextToken": token} if token else {})
        )
        assert len(page["ExecutionRecords"]) <= 1
        records += page["ExecutionRecords"]
        if not (token := page.get("NextToken")):
            return records


def test_the_worked_example_passes_against_the_flow_it_describes(
    connect: BaseClient, workspace: Workspace
) -> None:
    flows = contact_centre(connect, workspace.id)
    ids = run_example(connect, workspace.id, flows["good"], "example-pass")

    summary = connect.get_test_case_execution_summary(**ids)
    records = records_one_at_a_time(connect, ids)

    assert summary["Status"] == "PASSED", records
    assert summary["ObservationSummary"] == {
        "TotalObservations": 3,
        "ObservationsPassed": 3,
        "ObservationsFailed": 0,
    }
    assert summary["EndTime"] >= summary["StartTime"]
    observations = [json.loads(r["Record"]) for r in records if r["ObservationId"] != "COMPLETION"]
    assert [o["Identifier"] for o in observations if o.get("Type") == "OBSERVATION"] == [
        "TriggerHoursCheck",
        "Welcome Message",
        "Trigger Queue Announcement",
    ]
    completion = json.loads(records[-1]["Record"])
    assert (records[-1]["ObservationId"], completion["Type"], completion["Status"]) == (
        "COMPLETION",
        "COMPLETION",
        "PASSED",
    )


def test_the_worked_example_fails_when_the_flow_picks_another_queue(
    connect: BaseClient, workspace: Workspace
) -> None:
    flows = contact_centre(connect, workspace.id)
    ids = run_example(connect, workspace.id, flows["wrong-queue"], "example-fail")

    summary = connect.get_test_case_execution_summary(**ids)
    failed = connect.list_test_case_execution_records(**ids, Status="FAILED")["ExecutionRecords"]

    assert summary["Status"] == "FAILED"
    assert summary["ObservationSummary"]["ObservationsPassed"] == 2
    assert summary["ObservationSummary"]["ObservationsFailed"] == 1
    [record] = [json.loads(r["Record"]) for r in failed if r["ObservationId"] == "Trigger Queue Announcement"]
    [assertion] = [a for a in record["Actions"] if a.get("Type") == "Assert"]
    assert (assertion["Expected"], assertion["Actual"], assertion["Status"]) == (
        "Basic Queue",
        "Other Queue",
        "FAILED",
    )


def test_a_connect_test_case_is_a_core_test_case_the_native_api_runs(
    connect: BaseClient, workspace: Workspace, api: httpx.Client
) -> None:
    flows = contact_centre(connect, workspace.id)
    ids = run_example(connect, workspace.id, flows["good"], "seen-natively")

    native = api.get("/test-cases", params={"kind": "connect"}).json()["items"]
    execution = api.get(f"/executions/{ids['TestCaseExecutionId']}").json()
    records = api.get(f"/executions/{ids['TestCaseExecutionId']}/records").json()["items"]

    assert [c["name"] for c in native] == ["seen-natively"]
    assert (execution["kind"], execution["status"]) == ("connect", "PASSED")
    assert records[-1]["observation_id"] == "COMPLETION"


def test_the_cli_runs_a_connect_test_case_and_prints_its_observations(
    connect: BaseClient, workspace: Workspace, live: LiveServer
) -> None:
    flows = contact_centre(connect, workspace.id)
    connect.create_test_case(
        InstanceId=workspace.id,
        Name="from-cli",
        Content=official_example(),
        EntryPoint={"Type": "VOICE_CALL", "VoiceCallEntryPointParameters": {"FlowId": flows["good"]}},
        Status="PUBLISHED",
    )
    token = workspace.keys[Role.ADMIN].token
    result = subprocess.run(
        [*CLI, "run", "from-cli", "--wait", "--server", live.url, "--key", token],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Welcome Message: PASSED" in result.stdout
    assert "COMPLETION" in result.stdout


def test_odd_flows_and_test_content_are_refused_or_fail_cleanly_never_a_500(
    connect: BaseClient, workspace: Workspace
) -> None:
    bad_flow = json.dumps({"Version": "2019-10-30", "StartAction": ["a"], "Actions": [{"Identifier": ["a"]}]})
    refused_flow = error_of(
        lambda: connect.create_contact_flow(
            InstanceId=workspace.id, Name="odd", Type="CONTACT_FLOW", Content=bad_flow
        )
    )
    odd_case = json.dumps(
        {
            "Version": "2019-10-30",
            "Observations": [
                {
                    "Identifier": ["x"],
                    "Event": {"Type": "TestInitiated"},
                    "Transitions": "next",
                    "Actions": [
                        {
                            "Identifier": "a",
                            "Type": "TestControl",
                            "Parameters": {"Command": {"Type": "LogData", "Properties": "x"}},
                        }
                    ],
                }
            ],
        }
    )
    refused_case = error_of(
        lambda: connect.create_test_case(
            InstanceId=workspace.id, Name="odd", Content=odd_case, EntryPoint=VOICE, Status="PUBLISHED"
        )
    )

    assert refused_flow["Error"]["Code"] == "InvalidContactFlowException"
    assert refused_case["Error"]["Code"] == "InvalidTestCaseException"
    assert refused_case["Problems"]


def test_the_summary_counts_observations_only(connect: BaseClient, workspace: Workspace) -> None:
    flow = json.dumps(
        {
            "Version": "2019-10-30",
            "StartAction": "hi",
            "Actions": [
                {
                    "Identifier": "hi",
                    "Type": "MessageParticipant",
                    "Parameters": {"Text": "hi"},
                    "Transitions": {"NextAction": "odd"},
                },
                {"Identifier": "odd", "Type": "SomethingNew", "Parameters": {}, "Transitions": {}},
            ],
        }
    )
    flow_id = connect.create_contact_flow(
        InstanceId=workspace.id, Name="f", Type="CONTACT_FLOW", Content=flow
    )
    content = json.dumps(
        {
            "Version": "2019-10-30",
            "Observations": [
                {
                    "Identifier": "greeting",
                    "Event": {"Type": "MessageReceived", "Properties": {"Text": "hi"}},
                    "Actions": [],
                }
            ],
        }
    )
    case = connect.create_test_case(
        InstanceId=workspace.id,
        Name="count",
        Content=content,
        Status="PUBLISHED",
        EntryPoint={
            "Type": "VOICE_CALL",
            "VoiceCallEntryPointParameters": {"FlowId": flow_id["ContactFlowId"]},
        },
    )["TestCaseId"]
    started = connect.start_test_case_execution(InstanceId=workspace.id, TestCaseId=case)
    ids = {
        "InstanceId": workspace.id,
        "TestCaseId": case,
        "TestCaseExecutionId": started["TestCaseExecutionId"],
    }
    deadline = time.monotonic() + 30
    while (summary := connect.get_test_case_execution_summary(**ids))["Status"] in (
        "INITIATED",
        "IN_PROGRESS",
    ):
        assert time.monotonic() < deadline
        time.sleep(0.05)

    assert summary["ObservationSummary"] == {
        "TotalObservations": 1,
        "ObservationsPassed": 1,
        "ObservationsFailed": 0,
    }
    failed = connect.list_test_case_execution_records(**ids, Status="FAILED")["ExecutionRecords"]
    assert all(r["Status"] == "FAILED" for r in failed)
    assert "COMPLETION" in [r["ObservationId"] for r in failed]
