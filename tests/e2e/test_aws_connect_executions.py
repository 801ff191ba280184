"""Connect test-case executions through boto3: starting, idempotency, quotas, throttling, stop."""

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient

from testament.domain.access import Role
from tests.conftest import LiveServer, Workspace, make_settings, new_workspace, start_server
from tests.e2e.test_aws_connect_test_cases import VOICE, connect_client, error_of, main_flow
from tests.integration.conftest import fresh_database_url

NEVER_ENDS = json.dumps(  # waits for a message no flow plays: an observation that never matches
    {
        "Version": "2019-10-30",
        "Observations": [
            {
                "Identifier": "never",
                "Event": {"Type": "MessageReceived", "Properties": {"Text": "a prompt nobody plays"}},
                "Actions": [],
            }
        ],
    }
)


@pytest.fixture
def idle_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server with no engine (starts stay queued), a small queue and a tight rate limit."""
    settings = make_settings(
        tmp_path / "idle", fresh_database_url(tmp_path), max_queued_executions=3, aws_rate_limit="30/minute"
    )
    server = start_server(settings, start_engine=False)
    yield server
    server.stop()


@pytest.fixture
def idle(idle_server: LiveServer) -> Iterator[tuple[BaseClient, Workspace]]:
    workspace = new_workspace(idle_server.ctx, idle_server.url)
    client = connect_client(idle_server, workspace)
    yield client, workspace
    client.close()


def published(client: BaseClient, workspace: Workspace, name: str = "") -> str:
    main_flow(client, workspace.id)
    created = client.create_test_case(
        InstanceId=workspace.id,
        Name=name or f"t-{uuid.uuid4().hex[:6]}",
        Content=NEVER_ENDS,
        EntryPoint=VOICE,
        Status="PUBLISHED",
    )
    test_case_id: str = created["TestCaseId"]
    return test_case_id


def test_a_saved_test_case_is_refused_at_start(idle: Any) -> None:
    client, workspace = idle
    saved = client.create_test_case(InstanceId=workspace.id, Name="draft", Content=NEVER_ENDS)["TestCaseId"]
    refused = error_of(lambda: client.start_test_case_execution(InstanceId=workspace.id, TestCaseId=saved))
    assert refused["Error"]["Code"] == "InvalidRequestException"
    assert "publish" in refused["Error"]["Message"]


def test_a_start_answers_initiated_and_the_same_client_token_starts_once(idle: Any) -> None:
    client, workspace = idle
    case = published(client, workspace)
    first = client.start_test_case_execution(InstanceId=workspace.id, TestCaseId=case, ClientToken="build-7")
    again = client.start_test_case_execution(InstanceId=workspace.id, TestCaseId=case, ClientToken="build-7")
    other = client.start_test_case_execution(
        InstanceId=workspace.id, TestCaseId=case
    )  # boto3 fills a new token

    assert first["Status"] == "INITIATED" and first["TestCaseId"] == case
    assert again["TestCaseExecutionId"] == first["TestCaseExecutionId"]
    assert other["TestCaseExecutionId"] != first["TestCaseExecutionId"]
    listed = client.list_test_case_executions(InstanceId=workspace.id, TestCaseId=case)["TestCaseExecutions"]
    assert len(listed) == 2 and {x["TestCaseExecutionStatus"] for x in listed} == {"INITIATED"}


def test_over_the_queue_limit_a_start_is_a_service_quota_error(idle: Any) -> None:
    client, workspace = idle
    case = published(client, workspace)
    for _ in range(3):
        client.start_test_case_execution(InstanceId=workspace.id, TestCaseId=case)
    refused = error_of(lambda: client.start_test_case_execution(InstanceId=workspace.id, TestCaseId=case))
    assert refused["Error"]["Code"] == "ServiceQuotaExceededException"
    assert refused["ResponseMetadata"]["HTTPStatusCode"] == 402


def test_a_stopped_execution_reports_stopped_and_a_second_stop_is_harmless(idle: Any) -> None:
    client, workspace = idle
    case = published(client, workspace)
    started = client.start_test_case_execution(InstanceId=workspace.id, TestCaseId=case)
    ids = {
        "InstanceId": workspace.id,
        "TestCaseId": case,
        "TestCaseExecutionId": started["TestCaseExecutionId"],
    }

    client.stop_test_case_execution(**ids)
    client.stop_test_case_execution(**ids)
    summary = client.get_test_case_execution_summary(**ids)

    assert summary["Status"] == "STOPPED"
    assert summary["ObservationSummary"] == {
        "TotalObservations": 1,
        "ObservationsPassed": 0,
        "ObservationsFailed": 1,
    }
    by_status = client.list_test_case_executions(InstanceId=workspace.id, Status="STOPPED")[
        "TestCaseExecutions"
    ]
    assert [x["TestCaseExecutionId"] for x in by_status] == [started["TestCaseExecutionId"]]

    # a deleted test case keeps its executions readable
    client.delete_test_case(InstanceId=workspace.id, TestCaseId=case)
    assert client.get_test_case_execution_summary(**ids)["Status"] == "STOPPED"
    assert client.list_test_case_execution_records(**ids)["ExecutionRecords"] == []  # stopped while queued
    gone = error_of(lambda: client.describe_test_case(InstanceId=workspace.id, TestCaseId=case))
    assert gone["Error"]["Code"] == "ResourceNotFoundException"


def test_an_execution_is_read_only_under_its_own_test_case(idle: Any) -> None:
    client, workspace = idle
    case, other = published(client, workspace), published(client, workspace)
    started = client.start_test_case_execution(InstanceId=workspace.id, TestCaseId=case)
    refused = error_of(
        lambda: client.get_test_case_execution_summary(
            InstanceId=workspace.id, TestCaseId=other, TestCaseExecutionId=started["TestCaseExecutionId"]
        )
    )
    assert refused["Error"]["Code"] == "ResourceNotFoundException"


def test_a_tester_may_start_but_a_viewer_may_not(idle_server: LiveServer) -> None:
    workspace = new_workspace(idle_server.ctx, idle_server.url)
    admin = connect_client(idle_server, workspace)
    case = published(admin, workspace)
    tester = connect_client(idle_server, workspace, Role.TESTER)
    viewer = connect_client(idle_server, workspace, Role.VIEWER)
    assert tester.start_test_case_execution(InstanceId=workspace.id, TestCaseId=case)["Status"] == "INITIATED"
    refused = error_of(lambda: viewer.start_test_case_execution(InstanceId=workspace.id, TestCaseId=case))
    assert refused["Error"]["Code"] == "AccessDeniedException"


def test_a_key_over_its_rate_limit_is_throttled(idle: Any) -> None:
    client, workspace = idle
    codes = []
    for _ in range(40):
        try:
            client.list_test_cases(InstanceId=workspace.id)
            codes.append("ok")
        except Exception as exc:
            codes.append(exc.response["Error"]["Code"])  # type: ignore[attr-defined]
    assert codes[:5] == ["ok"] * 5
    assert "ThrottlingException" in codes
    assert set(codes) <= {"ok", "ThrottlingException"}


def test_an_impossible_start_time_filter_is_an_invalid_parameter(idle: Any) -> None:
    client, workspace = idle
    refused = error_of(lambda: client.list_test_case_executions(InstanceId=workspace.id, StartTime=10**19))
    assert refused["Error"]["Code"] == "InvalidParameterException"
