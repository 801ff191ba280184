"""boto3's real `connect` client against the server: signing, serialization and errors
exactly as AWS's, for the test-case operations."""

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.auth
import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.client import BaseClient
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from testament.domain.access import Role
from tests.conftest import LiveServer, Workspace, new_workspace
from tests.fixtures import CONNECT_EXAMPLES

EXAMPLES = CONNECT_EXAMPLES
REGION = "eu-west-2"
NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"})


def connect_client(
    live: LiveServer, workspace: Workspace, role: Role = Role.ADMIN, **overrides: str
) -> BaseClient:
    key = workspace.keys[role]
    return boto3.client(
        "connect",
        endpoint_url=f"{live.url}/aws/connect",
        region_name=REGION,
        aws_access_key_id=overrides.get("access_key_id", key.access_key_id),
        aws_secret_access_key=overrides.get("secret_access_key", key.secret_access_key),
        config=NO_RETRIES,
    )


@pytest.fixture
def connect(live: LiveServer, workspace: Workspace) -> Iterator[BaseClient]:
    client = connect_client(live, workspace)
    yield client
    client.close()


def official_example() -> str:
    return (EXAMPLES / "testcase_official_example.fixed.json").read_text()


def minimal_content() -> str:
    return json.dumps(
        {
            "Version": "2019-10-30",
            "Observations": [
                {"Identifier": "start", "Event": {"Type": "TestInitiated", "Properties": {}}, "Actions": []},
            ],
        }
    )


VOICE = {"Type": "VOICE_CALL", "VoiceCallEntryPointParameters": {"FlowId": "main-flow"}}


def main_flow(connect: BaseClient, instance: str) -> None:
    """The flow VOICE names (by name), which a published test case needs; made once per instance."""
    if any(
        f["Name"] == "main-flow"
        for f in connect.list_contact_flows(InstanceId=instance)["ContactFlowSummaryList"]
    ):
        return
    hang_up = {"Identifier": "bye", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}
    content = json.dumps({"Version": "2019-10-30", "StartAction": "bye", "Actions": [hang_up]})
    connect.create_contact_flow(InstanceId=instance, Name="main-flow", Type="CONTACT_FLOW", Content=content)


def error_of(call: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as refused:
        call()
    return refused.value.response


def test_create_then_describe_returns_the_test_case_with_its_sha256(
    connect: BaseClient, workspace: Workspace
) -> None:
    content = official_example()
    created = connect.create_test_case(
        InstanceId=workspace.id,
        Name="welcome",
        Description="d",
        Content=content,
        EntryPoint=VOICE,
        InitializationData='{"Attributes": {"customerType": "VIP"}}',
        Tags={"team": "ivr"},
    )
    described = connect.describe_test_case(InstanceId=workspace.id, TestCaseId=created["TestCaseId"])[
        "TestCase"
    ]

    assert created["TestCaseArn"].startswith(f"arn:aws:connect:{REGION}:")
    assert created["TestCaseArn"].endswith(f"instance/{workspace.id}/test-case/{created['TestCaseId']}")
    assert described["Content"] == content
    assert described["Status"] == "SAVED"
    assert described["EntryPoint"] == VOICE
    assert described["Tags"] == {"team": "ivr"}
    assert described["TestCaseSha256"] == hashlib.sha256(content.encode()).hexdigest()
    assert described["LastModifiedTime"].year >= 2026


def test_an_instance_arn_works_as_the_instance_id(connect: BaseClient, workspace: Workspace) -> None:
    arn = f"arn:aws:connect:{REGION}:123456789012:instance/{workspace.id}"
    created = connect.create_test_case(InstanceId=arn, Name="by-arn", Content=minimal_content())
    listed = connect.list_test_cases(InstanceId=arn)["TestCaseSummaryList"]
    assert [c["Id"] for c in listed] == [created["TestCaseId"]]


def test_a_saved_draft_is_not_validated_but_publishing_lists_every_problem(
    connect: BaseClient, workspace: Workspace
) -> None:
    bad = json.dumps(
        {"Version": "2000-01-01", "Observations": [{"Identifier": "o", "Event": {"Type": "Nope"}}]}
    )
    saved = connect.create_test_case(InstanceId=workspace.id, Name="draft", Content=bad)

    refused = error_of(
        lambda: connect.update_test_case(
            InstanceId=workspace.id, TestCaseId=saved["TestCaseId"], Status="PUBLISHED", EntryPoint=VOICE
        )
    )

    assert refused["Error"]["Code"] == "InvalidTestCaseException"
    assert refused["ResponseMetadata"]["HTTPStatusCode"] == 400
    messages = [p["message"] for p in refused["Problems"]]
    assert any("Version" in m for m in messages) and any("Event.Type" in m for m in messages)
    still = connect.describe_test_case(InstanceId=workspace.id, TestCaseId=saved["TestCaseId"])["TestCase"]
    assert still["Status"] == "SAVED"


def test_the_official_example_publishes(connect: BaseClient, workspace: Workspace) -> None:
    main_flow(connect, workspace.id)
    created = connect.create_test_case(
        InstanceId=workspace.id,
        Name="official",
        Content=official_example(),
        EntryPoint=VOICE,
        Status="PUBLISHED",
    )
    described = connect.describe_test_case(InstanceId=workspace.id, TestCaseId=created["TestCaseId"])
    assert described["TestCase"]["Status"] == "PUBLISHED"


def test_describe_tells_the_published_version_from_a_newer_draft(
    connect: BaseClient, workspace: Workspace
) -> None:
    main_flow(connect, workspace.id)
    first = minimal_content()
    case = connect.create_test_case(
        InstanceId=workspace.id, Name="versions", Content=first, EntryPoint=VOICE, Status="PUBLISHED"
    )["TestCaseId"]
    draft = first.replace("start", "begin")
    connect.update_test_case(InstanceId=workspace.id, TestCaseId=case, Content=draft)

    default = connect.describe_test_case(InstanceId=workspace.id, TestCaseId=case)["TestCase"]
    saved = connect.describe_test_case(InstanceId=workspace.id, TestCaseId=case, Status="SAVED")["TestCase"]

    assert (default["Status"], default["Content"]) == ("PUBLISHED", first)
    assert (saved["Status"], saved["Content"]) == ("SAVED", draft)


def test_a_duplicate_name_is_a_duplicate_resource(connect: BaseClient, workspace: Workspace) -> None:
    connect.create_test_case(InstanceId=workspace.id, Name="twice", Content=minimal_content())
    refused = error_of(lambda: connect.create_test_case(InstanceId=workspace.id, Name="twice", Content="{}"))
    assert refused["Error"]["Code"] == "DuplicateResourceException"
    assert refused["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_list_pages_with_opaque_next_tokens(connect: BaseClient, workspace: Workspace) -> None:
    ids = {
        connect.create_test_case(InstanceId=workspace.id, Name=f"c{i}", Content="{}")["TestCaseId"]
        for i in range(5)
    }
    seen, token = [], None
    while True:
        page = connect.list_test_cases(
            InstanceId=workspace.id, MaxResults=2, **({"NextToken": token} if token else {})
        )
        seen += [c["Id"] for c in page["TestCaseSummaryList"]]
        if not (token := page.get("NextToken")):
            break
    assert sorted(seen) == sorted(ids)
    tampered = error_of(lambda: connect.list_test_cases(InstanceId=workspace.id, NextToken="forged"))
    assert tampered["Error"]["Code"] == "InvalidParameterException"


def test_paginators_walk_every_test_case(connect: BaseClient, workspace: Workspace) -> None:
    for i in range(3):
        connect.create_test_case(InstanceId=workspace.id, Name=f"p{i}", Content="{}")
    pages = connect.get_paginator("list_test_cases").paginate(
        InstanceId=workspace.id, PaginationConfig={"PageSize": 1}
    )
    assert sorted(c["Name"] for p in pages for c in p["TestCaseSummaryList"]) == ["p0", "p1", "p2"]


def test_search_filters_by_name_status_and_tags(connect: BaseClient, workspace: Workspace) -> None:
    main_flow(connect, workspace.id)
    connect.create_test_case(
        InstanceId=workspace.id,
        Name="billing-main",
        Content=minimal_content(),
        EntryPoint=VOICE,
        Status="PUBLISHED",
        Tags={"team": "billing"},
    )
    connect.create_test_case(
        InstanceId=workspace.id, Name="billing-draft", Content="{}", Tags={"team": "billing"}
    )
    connect.create_test_case(InstanceId=workspace.id, Name="support", Content="{}", Tags={"team": "support"})

    by_name = connect.search_test_cases(
        InstanceId=workspace.id,
        SearchCriteria={
            "StringCondition": {"FieldName": "name", "Value": "billing", "ComparisonType": "STARTS_WITH"}
        },
    )
    published_billing = connect.search_test_cases(
        InstanceId=workspace.id,
        SearchCriteria={"AndConditions": [{"StatusCondition": "PUBLISHED"}]},
        SearchFilter={"TagFilter": {"TagCondition": {"TagKey": "team", "TagValue": "billing"}}},
    )

    assert sorted(c["Name"] for c in by_name["TestCases"]) == ["billing-draft", "billing-main"]
    assert by_name["ApproximateTotalCount"] == 2
    assert [c["Name"] for c in published_billing["TestCases"]] == ["billing-main"]


def test_delete_removes_the_test_case(connect: BaseClient, workspace: Workspace) -> None:
    case = connect.create_test_case(InstanceId=workspace.id, Name="gone", Content="{}")["TestCaseId"]
    connect.delete_test_case(InstanceId=workspace.id, TestCaseId=case)
    refused = error_of(lambda: connect.describe_test_case(InstanceId=workspace.id, TestCaseId=case))
    assert refused["Error"]["Code"] == "ResourceNotFoundException"
    assert refused["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_a_wrong_secret_is_an_invalid_signature(live: LiveServer, workspace: Workspace) -> None:
    client = connect_client(live, workspace, secret_access_key="not-the-secret")
    refused = error_of(lambda: client.list_test_cases(InstanceId=workspace.id))
    assert refused["Error"]["Code"] == "InvalidSignatureException"
    assert refused["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_an_unknown_access_key_is_unrecognized(live: LiveServer, workspace: Workspace) -> None:
    client = connect_client(live, workspace, access_key_id="AKTSNOBODY0000000000")
    refused = error_of(lambda: client.list_test_cases(InstanceId=workspace.id))
    assert refused["Error"]["Code"] == "UnrecognizedClientException"


def test_a_key_never_opens_another_instance(connect: BaseClient, live: LiveServer) -> None:
    other = new_workspace(live.ctx, live.url)
    refused = error_of(lambda: connect.list_test_cases(InstanceId=other.id))
    assert refused["Error"]["Code"] == "ResourceNotFoundException"


def test_a_viewer_may_read_but_not_create(live: LiveServer, workspace: Workspace) -> None:
    viewer = connect_client(live, workspace, Role.VIEWER)
    assert viewer.list_test_cases(InstanceId=workspace.id)["TestCaseSummaryList"] == []
    refused = error_of(lambda: viewer.create_test_case(InstanceId=workspace.id, Name="x", Content="{}"))
    assert refused["Error"]["Code"] == "AccessDeniedException"
    assert refused["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_an_http_test_case_is_not_visible_as_a_connect_test_case(
    connect: BaseClient, workspace: Workspace, api: Any, target: Any
) -> None:
    from tests.e2e.test_smoke import http_case

    http_id = api.post("/test-cases", json=http_case(target.url, name="web")).json()["id"]
    assert connect.list_test_cases(InstanceId=workspace.id)["TestCaseSummaryList"] == []
    refused = error_of(lambda: connect.describe_test_case(InstanceId=workspace.id, TestCaseId=http_id))
    assert refused["Error"]["Code"] == "ResourceNotFoundException"


def test_constraints_of_the_service_model_are_enforced_on_the_server(
    live: LiveServer, workspace: Workspace
) -> None:
    """boto3 checks only some constraints itself; send what it would let through, as other clients might."""
    key = workspace.keys[Role.ADMIN]

    def send(method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        url = f"{live.url}/aws/connect{path}"
        data = json.dumps(body).encode() if body is not None else b""
        request = AWSRequest(method=method, url=url, data=data, headers={"Content-Type": "application/json"})
        SigV4Auth(Credentials(key.access_key_id, key.secret_access_key), "connect", REGION).add_auth(request)
        return httpx.request(method, url, content=data, headers=dict(request.headers))

    too_many = send("GET", f"/test-cases-summary/{workspace.id}?maxResults=5000")
    bad_phone = send(
        "PUT",
        f"/test-cases/{workspace.id}",
        {
            "Name": "p",
            "Content": "{}",
            "EntryPoint": {
                "Type": "VOICE_CALL",
                "VoiceCallEntryPointParameters": {"SourcePhoneNumber": "0123"},
            },
        },
    )
    no_tags = send("PUT", f"/test-cases/{workspace.id}", {"Name": "t", "Content": "{}", "Tags": {}})
    long_id = send("GET", f"/test-cases/{workspace.id}/{'x' * 501}")

    for response, member in (
        (too_many, "MaxResults"),
        (bad_phone, "SourcePhoneNumber"),
        (no_tags, "Tags"),
        (long_id, "TestCaseId"),
    ):
        assert response.status_code == 400, response.text
        assert response.headers["x-amzn-ErrorType"] == "InvalidParameterException"
        assert member in response.json()["Message"]


def test_a_request_signed_more_than_15_minutes_ago_is_refused(
    connect: BaseClient, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=16)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *args, **kwargs: stale)

    refused = error_of(lambda: connect.list_test_cases(InstanceId=workspace.id))

    assert refused["Error"]["Code"] == "InvalidSignatureException"
    assert refused["Error"]["Message"].startswith("Signature expired")
