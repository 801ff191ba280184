"""A fake RunContext and builders for Connect test cases and flows."""

import json
from collections.abc import Callable
from typing import Any

from testament.domain.execution import Outcome, RecordStatus
from testament.runners.base import ResourceView
from testament.runners.connect import ConnectRunner

# Sunday 2026-07-05 03:00 UTC: outside any office hours, in London and in New York.
SUNDAY_NIGHT = "2026-07-05T03:00:00Z"
INSTANCE = "arn:aws:connect:us-west-2:123456789012:instance/abc123"
WORKSPACE_ID = "0f1e2d3c-4b5a-4968-8778-695a4b3c2d1e"


class FakeContext:
    """Resources by kind, collected records, a settable `cancelled` and an after-record hook."""

    def __init__(self, variables: dict[str, Any] | None = None) -> None:
        self.execution_id = "execution-1"
        self.workspace_id = WORKSPACE_ID
        self.attempt = 1
        self.variables: dict[str, Any] = {"connect.start_time": SUNDAY_NIGHT, **(variables or {})}
        self.cancelled: str | None = None
        self.secret_names: frozenset[str] = frozenset()
        self.records: list[tuple[str, RecordStatus, dict[str, Any]]] = []
        self.resources: dict[str, list[ResourceView]] = {}
        self.after_record: Callable[[FakeContext], None] | None = None

    def add(self, kind: str, resource_id: str, body: dict[str, Any], name: str | None = None) -> None:
        view = ResourceView(resource_id, kind, name or resource_id, body)
        self.resources.setdefault(kind, []).append(view)

    def add_flow(self, flow_id: str, content: str, name: str | None = None) -> None:
        self.add("connect.flow", flow_id, {"Type": "CONTACT_FLOW", "Content": content}, name)

    def remaining_s(self) -> float:
        return 60.0

    def record(self, observation_id: str, status: RecordStatus, record: dict[str, Any]) -> int:
        json.dumps(record)  # a record must be storable as JSON
        self.records.append((observation_id, status, record))
        if self.after_record:
            self.after_record(self)
        return len(self.records)

    def add_artifact(self, name: str, data: bytes, media_type: str, record_seq: int | None = None) -> str:
        return "artifact-1"

    def resource(self, kind: str, reference: str) -> ResourceView | None:
        keys = {reference, reference.rsplit("/", 1)[-1], reference.rsplit(":", 1)[-1]} - {""}
        for view in self.resources.get(kind, []):
            if view.id in keys or view.name in keys:
                return view
        return None

    # --- reading records --------------------------------------------------------------------

    def observation(self, identifier: str) -> dict[str, Any]:
        found = [r for o, _, r in self.records if o == identifier and r.get("Type") == "OBSERVATION"]
        assert len(found) == 1, (identifier, self.records)
        return found[0]

    def completion(self) -> dict[str, Any]:
        assert self.records[-1][0] == "COMPLETION", self.records
        return self.records[-1][2]

    def flow_record(self) -> dict[str, Any]:
        found = [r for o, _, r in self.records if o == "flow"]
        assert len(found) == 1, self.records
        return found[0]

    def action(self, observation: str, identifier: str) -> dict[str, Any]:
        return next(a for a in self.observation(observation)["Actions"] if a["Identifier"] == identifier)


# --- Flow language ----------------------------------------------------------------------------


def action(
    identifier: str,
    kind: str,
    parameters: dict[str, Any] | None = None,
    next_action: str | None = None,
    errors: dict[str, str] | None = None,
    conditions: list[tuple[str, str, str]] | None = None,
) -> dict[str, Any]:
    """A flow action; `conditions` are (operator, operand, next action), `errors` map type -> next."""
    transitions: dict[str, Any] = {}
    if next_action:
        transitions["NextAction"] = next_action
    if errors:
        transitions["Errors"] = [{"ErrorType": t, "NextAction": n} for t, n in errors.items()]
    if conditions:
        transitions["Conditions"] = [
            {"NextAction": n, "Condition": {"Operator": op, "Operands": [value]}}
            for op, value, n in conditions
        ]
    return {
        "Identifier": identifier,
        "Type": kind,
        "Parameters": parameters or {},
        "Transitions": transitions,
    }


def say(identifier: str, text: str, next_action: str | None = None) -> dict[str, Any]:
    return action(identifier, "MessageParticipant", {"Text": text}, next_action, {"NoMatchingError": "bye"})


def bye() -> dict[str, Any]:
    return action("bye", "DisconnectParticipant")


def flow(*actions: dict[str, Any], start: str | None = None) -> str:
    listed = list(actions)
    if not any(a["Identifier"] == "bye" for a in listed):
        listed.append(bye())
    return json.dumps(
        {"Version": "2019-10-30", "StartAction": start or listed[0]["Identifier"], "Actions": listed}
    )


# --- Testing language -------------------------------------------------------------------------


def observation(
    identifier: str,
    event: dict[str, Any],
    *actions: dict[str, Any],
    then: list[str] | None = None,
    usage: dict[str, Any] | None = None,
) -> dict[str, Any]:
    built: dict[str, Any] = {
        "Identifier": identifier,
        "Event": event,
        "Actions": list(actions),
        "Transitions": {"NextObservations": then or []},
    }
    if usage is not None:
        built["Usage"] = usage
    return built


def started() -> dict[str, Any]:
    return {"Identifier": "e", "Type": "TestInitiated", "Actor": "System", "Properties": {}}


def completed() -> dict[str, Any]:
    return {"Identifier": "e", "Type": "TestCompleted", "Actor": "System", "Properties": {}}


def heard(text: str, criteria: str = "Similarity") -> dict[str, Any]:
    return {
        "Type": "MessageReceived",
        "Actor": "System",
        "Properties": {"Text": text},
        "MatchingCriteria": criteria,
    }


def flow_action(kind: str, action_type: str, parameters: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": kind,
        "Actor": "System",
        "Properties": {"ActionType": action_type, "ActionParameters": parameters},
    }


def chain_action(
    identifier: str, kind: str, parameters: dict[str, Any], next_action: str = ""
) -> dict[str, Any]:
    return {
        "Identifier": identifier,
        "Type": kind,
        "Parameters": parameters,
        "Transitions": {"NextAction": next_action},
    }


def dtmf(identifier: str, value: str, next_action: str = "") -> dict[str, Any]:
    instruction = {"Type": "DtmfInput", "Properties": {"Value": value}}
    parameters = {"ActionType": "SendInstruction", "Actor": "Customer", "Instruction": instruction}
    return chain_action(identifier, "SendInstruction", parameters, next_action)


def utterance(identifier: str, text: str, next_action: str = "") -> dict[str, Any]:
    instruction = {"Type": "Utterance", "Properties": {"Value": text}}
    parameters = {"ActionType": "SendInstruction", "Actor": "Customer", "Instruction": instruction}
    return chain_action(identifier, "SendInstruction", parameters, next_action)


def hang_up(identifier: str) -> dict[str, Any]:
    parameters = {"ActionType": "SendInstruction", "Actor": "Customer", "Instruction": {"Type": "Disconnect"}}
    return chain_action(identifier, "SendInstruction", parameters)


def check(
    identifier: str, namespace: str, operator: str, operand: str | None = None, next_action: str = ""
) -> dict[str, Any]:
    parameters: dict[str, Any] = {"Namespace": namespace, "Operator": operator}
    if operand is not None:
        parameters["Operand"] = operand
    return chain_action(identifier, "Assert", parameters, next_action)


def end_test(identifier: str = "end") -> dict[str, Any]:
    return chain_action(
        identifier, "TestControl", {"ActionType": "TestControl", "Command": {"Type": "EndTest"}}
    )


def log(identifier: str, expressions: dict[str, str], next_action: str = "") -> dict[str, Any]:
    command = {"Type": "LogData", "Properties": {"Expressions": expressions}}
    return chain_action(
        identifier, "TestControl", {"ActionType": "TestControl", "Command": command}, next_action
    )


def override(
    identifier: str,
    action_type: str,
    parameters: dict[str, Any],
    strategy: dict[str, Any],
    next_action: str = "",
) -> dict[str, Any]:
    behavior = {
        "Type": "FlowAction",
        "Properties": {"ActionType": action_type, "ActionParameters": parameters, "Strategy": strategy},
    }
    return chain_action(
        identifier,
        "OverrideSystemBehavior",
        {"ActionType": "OverrideSystemBehavior", "Behavior": behavior},
        next_action,
    )


def substitute(arn: str) -> dict[str, Any]:
    return {"Type": "SubstituteResource", "SubstituteArn": arn}


def mock_result(**result: Any) -> dict[str, Any]:
    return {"Type": "MockResponse", "Response": {"Type": "ExecutionResult", "ExecutionResult": result}}


def mock_error(value: str, delay_s: int = 0) -> dict[str, Any]:
    return {
        "Type": "MockResponse",
        "Response": {"Type": "Error", "Error": {"Value": value, "DelaySeconds": delay_s}},
    }


def case(*observations: dict[str, Any], version: str = "2025-06-21") -> str:
    return json.dumps({"Version": version, "Metadata": {}, "Observations": list(observations)})


def run(
    ctx: FakeContext,
    content: str,
    flow_id: str = "main",
    initialization: Any = None,
    channel: str = "VOICE_CALL",
) -> Outcome:
    if channel == "CHAT":
        entry: dict[str, Any] = {"Type": "CHAT", "ChatEntryPointParameters": {"FlowId": flow_id}}
    else:
        parameters = {"FlowId": flow_id, "SourcePhoneNumber": "+14155550100"}
        entry = {"Type": "VOICE_CALL", "VoiceCallEntryPointParameters": parameters}
    content_dict: dict[str, Any] = {"Content": content, "EntryPoint": entry}
    if initialization is not None:
        content_dict["InitializationData"] = (
            initialization if isinstance(initialization, str) else json.dumps(initialization)
        )
    return ConnectRunner().run(content_dict, ctx)
