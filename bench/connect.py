"""Figure 4: Amazon Connect test executions completed per second, end to end, through boto3.

One flow (a menu that takes DTMF, sets a queue, checks hours, announces and transfers) and
AWS's worked test case against it, published once; then N StartTestCaseExecution calls
from 8 threads, and the clock stops when ListTestCaseExecutions shows all N finished.
The server keeps AWS's documented limit of 5 executions running per instance, so the
figure compares like with like: AWS also runs five at a time, each against a live call.
"""

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.client import BaseClient
from botocore.config import Config

from bench.server import Server

__all__ = ["ConnectConfig", "measure_connect"]

EXAMPLES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "connect"
ALL_DAY = [
    {"Day": d, "StartTime": {"Hours": 0, "Minutes": 0}, "EndTime": {"Hours": 0, "Minutes": 0}}
    for d in ("SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY")
]


@dataclass(frozen=True)
class ConnectConfig:
    executions: int = 200
    clients: int = 8


def client(server: Server) -> BaseClient:
    return boto3.client(
        "connect",
        endpoint_url=f"http://{server.host}:{server.port}/aws/connect",
        region_name="eu-west-2",
        aws_access_key_id=server.access_key_id,
        aws_secret_access_key=server.secret_access_key,
        config=Config(retries={"max_attempts": 10, "mode": "standard"}, max_pool_connections=32),
    )


def _flow(queue_arn: str) -> str:
    prompt = "Press 1 to be connected to an agent"
    announcement = (
        "Thank you for calling. Your call is very important to us"
        " and will be answered in the order it was received."
    )
    equals = {"Operator": "Equals"}
    actions = [
        {
            "Identifier": "menu",
            "Type": "GetParticipantInput",
            "Parameters": {"Text": prompt, "StoreInput": "False", "InputTimeLimitSeconds": "5"},
            "Transitions": {
                "NextAction": "bye",
                "Conditions": [{"NextAction": "queue", "Condition": {**equals, "Operands": ["1"]}}],
                "Errors": [{"NextAction": "bye", "ErrorType": "NoMatchingError"}],
            },
        },
        {
            "Identifier": "queue",
            "Type": "UpdateContactTargetQueue",
            "Parameters": {"QueueId": queue_arn},
            "Transitions": {"NextAction": "hours"},
        },
        {
            "Identifier": "hours",
            "Type": "CheckHoursOfOperation",
            "Parameters": {
                "HoursOfOperationId": "arn:aws:connect:us-west-2:123456789012:instance/abc123/flow/BasicHours"
            },
            "Transitions": {
                "NextAction": "bye",
                "Conditions": [
                    {"NextAction": "announce", "Condition": {**equals, "Operands": ["True"]}},
                    {"NextAction": "bye", "Condition": {**equals, "Operands": ["False"]}},
                ],
            },
        },
        {
            "Identifier": "announce",
            "Type": "MessageParticipant",
            "Parameters": {"Text": announcement},
            "Transitions": {"NextAction": "transfer"},
        },
        {
            "Identifier": "transfer",
            "Type": "TransferContactToQueue",
            "Parameters": {},
            "Transitions": {"NextAction": "bye"},
        },
        {"Identifier": "bye", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}},
    ]
    return json.dumps({"Version": "2019-10-30", "StartAction": "menu", "Actions": actions})


def _prepare(connect: BaseClient, instance: str) -> str:
    closed = connect.create_hours_of_operation(
        InstanceId=instance, Name="BasicHours", TimeZone="UTC", Config=[]
    )
    connect.create_hours_of_operation(
        InstanceId=instance, Name="AlwaysOnHours", TimeZone="UTC", Config=ALL_DAY
    )
    queue = connect.create_queue(
        InstanceId=instance, Name="Basic Queue", HoursOfOperationId=closed["HoursOfOperationId"]
    )
    flow = connect.create_contact_flow(
        InstanceId=instance, Name="ivr", Type="CONTACT_FLOW", Content=_flow(queue["QueueArn"])
    )
    case = connect.create_test_case(
        InstanceId=instance,
        Name="worked-example",
        Content=(EXAMPLES / "testcase_official_example.fixed.json").read_text(),
        EntryPoint={"Type": "VOICE_CALL", "VoiceCallEntryPointParameters": {"FlowId": flow["ContactFlowId"]}},
        Status="PUBLISHED",
    )
    test_case_id: str = case["TestCaseId"]
    return test_case_id


def _statuses(connect: BaseClient, instance: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    token: dict[str, str] = {}
    while True:  # botocore has no paginator for this operation: follow NextToken by hand
        page = connect.list_test_case_executions(InstanceId=instance, MaxResults=100, **token)
        for execution in page["TestCaseExecutions"]:
            status = execution["TestCaseExecutionStatus"]
            counts[status] = counts.get(status, 0) + 1
        if "NextToken" not in page:
            return counts
        token = {"NextToken": page["NextToken"]}


def measure_connect(server: Server, config: ConnectConfig) -> dict[str, Any]:
    connect = client(server)
    instance = server.workspace_id
    case = _prepare(connect, instance)
    began = time.perf_counter()
    with ThreadPoolExecutor(config.clients) as pool:
        list(
            pool.map(
                lambda _: connect.start_test_case_execution(InstanceId=instance, TestCaseId=case),
                range(config.executions),
            )
        )
    started = time.perf_counter() - began
    while True:
        counts = _statuses(connect, instance)
        if counts.get("INITIATED", 0) + counts.get("IN_PROGRESS", 0) == 0:
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - began
    return {
        "executions": config.executions,
        "clients": config.clients,
        "running_limit": 5,
        "starts_answered_s": started,
        "total_s": elapsed,
        "executions_per_s": config.executions / elapsed,
        "outcomes": counts,
    }
