"""What boto3 reads back from finished runs and listings agrees with itself and with AWS's model:
summaries count observations, records of a finished run are final, every enum is checked,
the contact's instance ARN is the instance's, and a published test case names a real flow."""

import datetime as dt
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.client import BaseClient

from tests.conftest import LiveServer, Workspace
from tests.e2e.test_aws_connect_test_cases import REGION, connect_client, error_of

FINAL = ("PASSED", "FAILED", "STOPPED")


@pytest.fixture
def connect(live: LiveServer, workspace: Workspace) -> Iterator[BaseClient]:
    client = connect_client(live, workspace)
    yield client
    client.close()


def say(identifier: str, text: str, then: str) -> dict[str, Any]:
    return {
        "Identifier": identifier,
        "Type": "MessageParticipant",
        "Parameters": {"Text": text},
        "Transitions": {"NextAction": then},
    }


def bye() -> dict[str, Any]:
    return {"Identifier": "bye", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}


def a_flow(connect: BaseClient, workspace: Workspace, *actions: dict[str, Any]) -> str:
    content = json.dumps(
        {"Version": "2019-10-30", "StartAction": actions[0]["Identifier"], "Actions": list(actions)}
    )
    created = connect.create_contact_flow(
        InstanceId=workspace.id, Name=f"flow-{time.monotonic_ns()}", Type="CONTACT_FLOW", Content=content
    )
    flow_id: str = created["ContactFlowId"]
    return flow_id


def observation(
    identifier: str, event: dict[str, Any], *actions: dict[str, Any], **usage: Any
) -> dict[str, Any]:
    found: dict[str, Any] = {"Identifier": identifier, "Event": event, "Actions": list(actions)}
    if usage:
        found["Usage"] = usage
    return found


def heard(text: str) -> dict[str, Any]:
    return {"Type": "MessageReceived", "Properties": {"Text": text}}


def entry(flow_id: str) -> dict[str, Any]:
    return {"Type": "VOICE_CALL", "VoiceCallEntryPointParameters": {"FlowId": flow_id}}


def run_to_the_end(
    connect: BaseClient, workspace: Workspace, flow_id: str, *observations: dict[str, Any]
) -> dict[str, str]:
    content = json.dumps({"Version": "2019-10-30", "Observations": list(observations)})
    case = connect.create_test_case(
        InstanceId=workspace.id,
        Name=f"case-{time.monotonic_ns()}",
        Content=content,
        EntryPoint=entry(flow_id),
        Status="PUBLISHED",
    )["TestCaseId"]
    started = connect.start_test_case_execution(InstanceId=workspace.id, TestCaseId=case)
    ids = {
        "InstanceId": workspace.id,
        "TestCaseId": case,
        "TestCaseExecutionId": started["TestCaseExecutionId"],
    }
    deadline = time.monotonic() + 30
    while connect.get_test_case_execution_summary(**ids)["Status"] not in FINAL:
        assert time.monotonic() < deadline, "the execution did not finish"
        time.sleep(0.05)
    return ids


# --- item: the summary counts observations --------------------------------------------------


def test_an_observation_matched_three_times_counts_once_and_the_summary_agrees_with_completion(
    connect: BaseClient, workspace: Workspace
) -> None:
    flow = a_flow(
        connect,
        workspace,
        say("one", "hello", "two"),
        say("two", "hello", "three"),
        say("three", "hello", "bye"),
        bye(),
    )
    ids = run_to_the_end(
        connect,
        workspace,
        flow,
        observation("start", {"Type": "TestInitiated"}),
        observation("thrice", heard("hello"), Type="EXACTLY", Times=3),
    )

    summary = connect.get_test_case_execution_summary(**ids)
    records = connect.list_test_case_execution_records(**ids)["ExecutionRecords"]
    completion = json.loads(records[-1]["Record"])

    assert summary["Status"] == "PASSED", records
    assert [r["ObservationId"] for r in records].count("thrice") == 3
    assert summary["ObservationSummary"] == {
        "TotalObservations": 2,
        "ObservationsPassed": 2,
        "ObservationsFailed": 0,
    }
    assert completion["ObservationSummary"] == summary["ObservationSummary"]


def test_an_observation_short_of_its_times_fails_once_in_the_summary(
    connect: BaseClient, workspace: Workspace
) -> None:
    flow = a_flow(connect, workspace, say("one", "hello", "two"), say("two", "hello", "bye"), bye())
    ids = run_to_the_end(
        connect, workspace, flow, observation("thrice", heard("hello"), Type="EXACTLY", Times=3)
    )

    summary = connect.get_test_case_execution_summary(**ids)

    assert summary["Status"] == "FAILED"
    assert summary["ObservationSummary"] == {
        "TotalObservations": 1,
        "ObservationsPassed": 0,
        "ObservationsFailed": 1,
    }


# --- items: record status filters, enums -----------------------------------------------------


def test_records_filtered_by_initiated_are_none_for_no_record_is_ever_initiated(
    connect: BaseClient, workspace: Workspace
) -> None:
    flow = a_flow(connect, workspace, say("hi", "hello", "bye"), bye())
    ids = run_to_the_end(connect, workspace, flow, observation("greeting", heard("hello")))

    initiated = connect.list_test_case_execution_records(**ids, Status="INITIATED")

    assert initiated["ExecutionRecords"] == []
    assert connect.list_test_case_execution_records(**ids)["ExecutionRecords"]


def test_a_status_outside_the_models_enum_is_an_invalid_parameter_on_every_operation(
    connect: BaseClient, workspace: Workspace
) -> None:
    flow = a_flow(connect, workspace, say("hi", "hello", "bye"), bye())
    ids = run_to_the_end(connect, workspace, flow, observation("greeting", heard("hello")))

    refusals = [
        error_of(lambda: connect.list_test_case_execution_records(**ids, Status="DONE")),
        error_of(lambda: connect.list_test_case_executions(InstanceId=workspace.id, Status="DONE")),
        error_of(
            lambda: connect.describe_test_case(
                InstanceId=workspace.id, TestCaseId=ids["TestCaseId"], Status="DONE"
            )
        ),
        error_of(
            lambda: connect.list_contact_flows(InstanceId=workspace.id, ContactFlowTypes=["NO_SUCH_TYPE"])
        ),
    ]

    for refused in refusals:
        assert refused["ResponseMetadata"]["HTTPStatusCode"] == 400, refused
        assert refused["Error"]["Code"] == "InvalidParameterException"
        assert "enum value set" in refused["Error"]["Message"]


# --- item: a finished run's records are final ------------------------------------------------


def test_a_finished_execution_has_no_record_in_progress(connect: BaseClient, workspace: Workspace) -> None:
    flow = a_flow(connect, workspace, say("hi", "hello", "bye"), bye())
    ids = run_to_the_end(connect, workspace, flow, observation("greeting", heard("hello")))

    records = connect.list_test_case_execution_records(**ids)["ExecutionRecords"]
    in_progress = connect.list_test_case_execution_records(**ids, Status="IN_PROGRESS")["ExecutionRecords"]

    assert connect.get_test_case_execution_summary(**ids)["Status"] == "PASSED"
    assert "flow" in [r["ObservationId"] for r in records]
    assert {r["Status"] for r in records} == {"PASSED"}
    assert in_progress == []


# --- item: the instance ARN --------------------------------------------------------------------


def test_the_contact_sees_the_instance_arn_of_its_workspace_in_the_clients_region(
    connect: BaseClient, workspace: Workspace
) -> None:
    expected = f"arn:aws:connect:{REGION}:000000000000:instance/{workspace.id}"
    check = {
        "Identifier": "arn",
        "Type": "Assert",
        "Parameters": {"Namespace": "$.InstanceARN", "Operator": "Equals", "Operand": expected},
    }
    flow = a_flow(connect, workspace, say("hi", "hello", "bye"), bye())
    ids = run_to_the_end(connect, workspace, flow, observation("greeting", heard("hello"), check))

    [record] = [
        json.loads(r["Record"])
        for r in connect.list_test_case_execution_records(**ids)["ExecutionRecords"]
        if r["ObservationId"] == "greeting"
    ]

    assert record["Actions"][0]["Actual"] == expected
    assert connect.get_test_case_execution_summary(**ids)["Status"] == "PASSED"
    # the ARN is one the surface takes for the InstanceId
    assert connect.list_test_cases(InstanceId=expected)["TestCaseSummaryList"]


# --- item: a published test case names a flow that exists ----------------------------------------


def test_publishing_a_test_case_whose_flow_does_not_exist_is_resource_not_found(
    connect: BaseClient, workspace: Workspace
) -> None:
    content = json.dumps({"Version": "2019-10-30", "Observations": [observation("greeting", heard("hello"))]})

    refused = error_of(
        lambda: connect.create_test_case(
            InstanceId=workspace.id,
            Name="lost",
            Content=content,
            EntryPoint=entry("no-such-flow"),
            Status="PUBLISHED",
        )
    )
    saved = connect.create_test_case(
        InstanceId=workspace.id, Name="draft", Content=content, EntryPoint=entry("no-such-flow")
    )
    refused_update = error_of(
        lambda: connect.update_test_case(
            InstanceId=workspace.id, TestCaseId=saved["TestCaseId"], Status="PUBLISHED"
        )
    )

    for answer in (refused, refused_update):
        assert answer["ResponseMetadata"]["HTTPStatusCode"] == 404
        assert answer["Error"]["Code"] == "ResourceNotFoundException"
        assert "no-such-flow" in answer["Error"]["Message"]
    assert connect.list_test_cases(InstanceId=workspace.id)["TestCaseSummaryList"][0]["Name"] == "draft"
    flow = a_flow(connect, workspace, say("hi", "hello", "bye"), bye())
    connect.update_test_case(
        InstanceId=workspace.id, TestCaseId=saved["TestCaseId"], EntryPoint=entry(flow), Status="PUBLISHED"
    )
    described = connect.describe_test_case(InstanceId=workspace.id, TestCaseId=saved["TestCaseId"])
    assert described["TestCase"]["Status"] == "PUBLISHED"


# --- item: messages, timestamps and page tokens ---------------------------------------------------


def test_problems_name_the_request_members_as_the_client_sent_them(
    connect: BaseClient, workspace: Workspace
) -> None:
    bad = json.dumps(
        {"Version": "2019-10-30", "Observations": [{"Identifier": "o", "Event": {"Type": "Nope"}}]}
    )

    content = error_of(
        lambda: connect.create_test_case(InstanceId=workspace.id, Name="bad", Content=bad, Status="PUBLISHED")
    )
    long_name = error_of(
        lambda: connect.create_test_case(InstanceId=workspace.id, Name="n" * 501, Content=bad)
    )
    token = error_of(lambda: connect.list_test_cases(InstanceId=workspace.id, NextToken="not-a-token"))

    messages = [p["message"] for p in content["Problems"]]
    assert any(m.startswith("Content.Observations[0].Event.Type") for m in messages), messages
    assert any(m.startswith("EntryPoint") for m in messages), messages
    assert not any(m.startswith("content") for m in messages), messages
    assert long_name["Error"]["Code"] == "InvalidParameterException"
    assert long_name["Error"]["Message"] == "Name: must be 1 to 500 characters"
    assert token["Error"]["Code"] == "InvalidParameterException"
    assert "NextToken" in token["Error"]["Message"]


def test_long_names_and_descriptions_that_the_model_allows_are_kept(
    connect: BaseClient, workspace: Workspace
) -> None:
    name = "é" * 300  # beyond the 200 Testament once set; the model sets no limit
    description = "d" * 20_000

    created = connect.create_test_case(
        InstanceId=workspace.id,
        Name=name,
        Description=description,
        Content=json.dumps({"Version": "2019-10-30"}),
    )
    described = connect.describe_test_case(InstanceId=workspace.id, TestCaseId=created["TestCaseId"])

    assert described["TestCase"]["Name"] == name
    assert described["TestCase"]["Description"] == description


def test_every_record_is_stamped_between_the_executions_start_and_end_with_its_virtual_time_beside(
    connect: BaseClient, workspace: Workspace
) -> None:
    menu = {  # asks again and again, waiting 10 s (virtual) each time: until the 300 s limit
        "Identifier": "menu",
        "Type": "GetParticipantInput",
        "Parameters": {"Text": "Press 1.", "InputTimeLimitSeconds": "10"},
        "Transitions": {
            "NextAction": "menu",
            "Errors": [
                {"ErrorType": error, "NextAction": "menu"}
                for error in ("InputTimeLimitExceeded", "NoMatchingError", "NoMatchingCondition")
            ],
        },
    }
    flow = a_flow(connect, workspace, menu)
    ids = run_to_the_end(
        connect,
        workspace,
        flow,
        observation("start", {"Type": "TestInitiated"}),
        observation("never", heard("a prompt nobody plays")),
    )

    summary = connect.get_test_case_execution_summary(**ids)
    records = [
        json.loads(r["Record"]) for r in connect.list_test_case_execution_records(**ids)["ExecutionRecords"]
    ]
    start, end = summary["StartTime"].timestamp(), summary["EndTime"].timestamp()
    stamped = [dt.datetime.fromisoformat(r["Timestamp"]).timestamp() for r in records]
    virtual = [dt.datetime.fromisoformat(r["VirtualTime"]).timestamp() for r in records]

    assert summary["Status"] == "FAILED"
    assert end - start < 60  # nothing waited for the 300 virtual seconds
    assert all(start - 0.001 <= t <= end for t in stamped), (start, stamped, end)  # ISO keeps milliseconds
    assert virtual[-1] - virtual[0] >= 300


def test_a_next_token_works_only_with_the_filters_it_was_issued_for(
    connect: BaseClient, workspace: Workspace
) -> None:
    flow = a_flow(connect, workspace, say("hi", "hello", "bye"), bye())
    ids = run_to_the_end(connect, workspace, flow, observation("greeting", heard("hello")))
    connect.start_test_case_execution(InstanceId=workspace.id, TestCaseId=ids["TestCaseId"])
    run_filters = {"InstanceId": workspace.id, "TestCaseId": ids["TestCaseId"]}
    first = connect.list_test_case_executions(**run_filters, MaxResults=1)
    records = connect.list_test_case_execution_records(**ids, MaxResults=1)
    searched = connect.search_test_cases(
        InstanceId=workspace.id, MaxResults=1, SearchCriteria={"StringCondition": {"Value": "case"}}
    )
    a_flow(connect, workspace, bye())
    flows = connect.list_contact_flows(
        InstanceId=workspace.id, ContactFlowTypes=["CONTACT_FLOW"], MaxResults=1
    )

    second = connect.list_test_case_executions(**run_filters, MaxResults=1, NextToken=first["NextToken"])
    refusals = [
        error_of(
            lambda: connect.list_test_case_executions(
                **run_filters, Status="PASSED", MaxResults=1, NextToken=first["NextToken"]
            )
        ),
        error_of(
            lambda: connect.list_test_case_execution_records(
                **ids, Status="PASSED", NextToken=records["NextToken"]
            )
        ),
        error_of(
            lambda: connect.search_test_cases(
                InstanceId=workspace.id,
                NextToken=searched.get("NextToken", "x"),
                SearchCriteria={"StringCondition": {"Value": "other"}},
            )
        ),
        error_of(
            lambda: connect.list_contact_flows(
                InstanceId=workspace.id, ContactFlowTypes=["CUSTOMER_QUEUE"], NextToken=flows["NextToken"]
            )
        ),
        error_of(lambda: connect.list_test_cases(InstanceId=workspace.id, NextToken=first["NextToken"])),
    ]

    assert len(second["TestCaseExecutions"]) == 1
    assert second["TestCaseExecutions"] != first["TestCaseExecutions"]
    for refused in refusals:
        assert refused["ResponseMetadata"]["HTTPStatusCode"] == 400, refused
        assert refused["Error"]["Code"] == "InvalidParameterException"
        assert "NextToken" in refused["Error"]["Message"]
