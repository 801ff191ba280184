"""The `connect` kind: an Amazon Connect test case.

Stored content mirrors the AWS test case: `Content` (the Testing-language JSON, kept as
the exact string the client sent, so its SHA-256 is stable), `EntryPoint` and
`InitializationData`. As AWS does, a SAVED draft is not validated; publishing checks the
Testing language (versions 2025-06-21 and 2019-10-30) and the entry point, and lists every
problem it finds. Lenient where the AWS documents disagree (see the spec's §2 and §5).
"""

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from testament.domain.errors import Problem
from testament.domain.scoring import Effect, Scorable
from testament.kit import raw_json

__all__ = ["EXAMPLE", "ConnectContent", "check_connect", "testing_language_problems"]

VERSIONS = ("2025-06-21", "2019-10-30")
EVENT_TYPES = (
    "TestInitiated",
    "TestCompleted",
    "MessageReceived",
    "FlowActionStarted",
    "FlowActionCompleted",
)
FLOW_ACTION_EVENTS = (
    "InvokeLambdaFunction",
    "CheckHoursOfOperation",
    "TransferContactToQueue",
    "ConnectParticipantWithLexBot",
)
ACTION_TYPES = ("SendInstruction", "OverrideSystemBehavior", "Assert", "TestControl")
INSTRUCTIONS = ("DtmfInput", "TextUtterance", "Utterance", "Disconnect")
OVERRIDE_TARGETS = (
    "InvokeLambdaFunction",
    "CheckHoursOfOperation",
    "ConnectParticipantWithLexBot",
    "TransferContactToQueue",
    "DequeueAndTransferToQueue",
)
STRATEGIES = ("SubstituteResource", "MockResponse")
ASSERT_OPERATORS = (
    "Equals",
    "TextStartsWith",
    "TextEndsWith",
    "TextContains",
    "NumberGreaterThan",
    "NumberGreaterOrEqualTo",
    "NumberLessThan",
    "NumberLessOrEqualTo",
    "Exists",
)
COMMANDS = ("EndTest", "LogData")
MATCHING = ("Similarity", "Inclusion")
USAGE = ("EXACTLY", "ANY")
PHONE = re.compile(r"^\+[1-9]\d{1,14}$")
MAX_PROBLEMS = 50


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VoiceCallEntryPoint(_Strict):
    SourcePhoneNumber: str | None = Field(default=None, pattern=PHONE.pattern)
    DestinationPhoneNumber: str | None = Field(default=None, pattern=PHONE.pattern)
    FlowId: str | None = Field(default=None, max_length=500)


class ChatEntryPoint(_Strict):
    FlowId: str | None = Field(default=None, max_length=500)


class TestCaseEntryPoint(_Strict):
    Type: str | None = Field(default=None, pattern="^(VOICE_CALL|CHAT)$")
    VoiceCallEntryPointParameters: VoiceCallEntryPoint | None = None
    ChatEntryPointParameters: ChatEntryPoint | None = None


# A caller is welcomed, presses 1 and must land in the "Sales" queue.
_TESTING_LANGUAGE = {
    "Version": "2025-06-21",
    "Metadata": {},
    "Observations": [
        {
            "Identifier": "welcome",
            "Event": {
                "Identifier": "welcome-prompt",
                "Type": "MessageReceived",
                "Actor": "System",
                "Properties": {"Text": "Press 1 for sales"},
                "MatchingCriteria": "Inclusion",
            },
            "Actions": [
                {
                    "Identifier": "press-1",
                    "Type": "SendInstruction",
                    "Parameters": {
                        "ActionType": "SendInstruction",
                        "Actor": "Customer",
                        "Instruction": {"Type": "DtmfInput", "Properties": {"Value": "1"}},
                    },
                }
            ],
            "Transitions": {"NextObservations": ["queued"]},
        },
        {
            "Identifier": "queued",
            "Event": {
                "Identifier": "queue-prompt",
                "Type": "MessageReceived",
                "Actor": "System",
                "Properties": {"Text": "Your call will be answered"},
                "MatchingCriteria": "Inclusion",
            },
            "Actions": [
                {
                    "Identifier": "in-sales",
                    "Type": "Assert",
                    "Parameters": {"Namespace": "$.Queue.Name", "Operator": "Equals", "Operand": "Sales"},
                    "Transitions": {"NextAction": "end"},
                },
                {
                    "Identifier": "end",
                    "Type": "TestControl",
                    "Parameters": {"ActionType": "TestControl", "Command": {"Type": "EndTest"}},
                },
            ],
            "Transitions": {"NextObservations": []},
        },
    ],
}
EXAMPLE: dict[str, Any] = {
    "Content": json.dumps(_TESTING_LANGUAGE),
    "EntryPoint": {
        "Type": "VOICE_CALL",
        "VoiceCallEntryPointParameters": {"FlowId": "0f3c9b2e-6a41-4d8e-9c57-2b1f8e4a7d10"},
    },
    "InitializationData": json.dumps({"Attributes": {"customerTier": "gold"}}),
    "scoring": {"queued": {"points": 2, "section": "routing"}},
}


class ConnectContent(_Strict):
    """The content of a `connect` test case, as Amazon Connect keeps it: the Testing-language
    document, the entry point and the initial data. A SAVED draft is checked for this shape
    only; publishing checks the Testing language too."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE]})

    Content: str = Field(
        description=f"the Testing-language document (versions {', '.join(VERSIONS)}) as a JSON string, "
        "kept exactly as sent"
    )
    EntryPoint: TestCaseEntryPoint | None = Field(
        default=None, description="how the test enters the flow: VOICE_CALL or CHAT, with the flow's id"
    )
    InitializationData: str | None = Field(
        default=None,
        description='a JSON string; its "Attributes" are the contact attributes the test starts with',
    )
    # Testament's own, beside AWS's fields: the Testing language has no place for them
    scoring: dict[str, Scorable] | None = Field(
        default=None, description="points, section and dimensions per observation Identifier"
    )
    effects: list[Effect] | None = Field(default=None, max_length=50)


class _Problems:
    """Collects problems with their paths; AWS caps the list at 50."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, path: str, rule: str) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(Problem(path, rule[:256]))

    def expect_object(self, value: Any, path: str) -> dict[str, Any]:
        if isinstance(value, dict):
            return value
        self.add(path, "must be an object")
        return {}

    def one_of(self, value: Any, allowed: tuple[str, ...], path: str) -> None:
        if value not in allowed:
            self.add(path, f"must be one of {', '.join(allowed)}")


def check_connect(model: BaseModel) -> list[Problem]:
    """What publishing checks beyond the wrapper's shape."""
    assert isinstance(model, ConnectContent)
    problems = _Problems()
    _check_entry_point(model.EntryPoint, problems)
    if model.InitializationData is not None:
        try:
            raw_json.loads(model.InitializationData)
        except ValueError:
            problems.add("content.InitializationData", "must be a valid JSON string")
    channel = model.EntryPoint.Type if model.EntryPoint else None
    problems.items += testing_language_problems(model.Content, channel)
    return problems.items[:MAX_PROBLEMS]


def _check_entry_point(entry: TestCaseEntryPoint | None, problems: _Problems) -> None:
    path = "content.EntryPoint"
    if entry is None or entry.Type is None:
        problems.add(f"{path}.Type", "a published test case needs an entry point: VOICE_CALL or CHAT")
        return
    if entry.Type == "VOICE_CALL":
        voice = entry.VoiceCallEntryPointParameters
        if voice is None or not (voice.FlowId or voice.DestinationPhoneNumber):
            problems.add(f"{path}.VoiceCallEntryPointParameters.FlowId", "must name the flow to test")
        elif voice.FlowId and voice.DestinationPhoneNumber:
            problems.add(
                f"{path}.VoiceCallEntryPointParameters", "Must specify either FlowId or phone numbers"
            )
    elif entry.ChatEntryPointParameters is None or not entry.ChatEntryPointParameters.FlowId:
        problems.add(f"{path}.ChatEntryPointParameters.FlowId", "must name the flow to test")


def testing_language_problems(text: str, channel: str | None = None) -> list[Problem]:
    problems = _Problems()
    try:
        document = raw_json.loads(text)  # a limit on nesting, before parsing
    except ValueError as exc:
        problems.add("content.Content", f"Invalid test case content: not JSON ({exc})")
        return problems.items
    doc = problems.expect_object(document, "content.Content")
    if not doc:
        return problems.items
    problems.one_of(doc.get("Version"), VERSIONS, "content.Content.Version")
    observations = doc.get("Observations")
    if not isinstance(observations, list) or not observations:
        problems.add("content.Content.Observations", "must be a non-empty list")
        return problems.items
    ids = [o.get("Identifier") for o in observations if isinstance(o, dict)]
    for i, observation in enumerate(observations):
        _check_observation(observation, f"content.Content.Observations[{i}]", ids, channel, problems)
    seen: set[str] = set()
    for i, ident in enumerate(ids):
        if not isinstance(ident, str):
            continue  # reported by its observation
        if ident in seen:
            problems.add(
                f"content.Content.Observations[{i}].Identifier", f"{ident!r} is used by another observation"
            )
        seen.add(ident)
    return problems.items


def _check_observation(
    value: Any, path: str, ids: list[Any], channel: str | None, problems: _Problems
) -> None:
    observation = problems.expect_object(value, path)
    if not isinstance(observation.get("Identifier"), str) or not observation.get("Identifier"):
        problems.add(f"{path}.Identifier", "must be a non-empty string")
    _check_event(observation.get("Event"), f"{path}.Event", problems)
    usage = observation.get("Usage")
    if usage is not None:
        usage = problems.expect_object(usage, f"{path}.Usage")
        problems.one_of(usage.get("Type"), USAGE, f"{path}.Usage.Type")
        times = usage.get("Times")
        if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
            problems.add(f"{path}.Usage.Times", "must be a positive integer")
    actions = observation.get("Actions", [])
    if not isinstance(actions, list):
        problems.add(f"{path}.Actions", "must be a list")
        actions = []
    action_ids = [a.get("Identifier") for a in actions if isinstance(a, dict)]
    for j, action in enumerate(actions):
        _check_action(action, f"{path}.Actions[{j}]", action_ids, channel, problems)
    transitions = problems.expect_object(observation.get("Transitions") or {}, f"{path}.Transitions")
    following = transitions.get("NextObservations", [])
    if not isinstance(following, list):
        problems.add(f"{path}.Transitions.NextObservations", "must be a list of observation identifiers")
        return
    for k, target in enumerate(following):
        if target not in ids:
            problems.add(f"{path}.Transitions.NextObservations[{k}]", f"no observation is named {target!r}")


def _check_event(value: Any, path: str, problems: _Problems) -> None:
    event = problems.expect_object(value, path)
    if not event:
        return
    kind = event.get("Type")
    problems.one_of(kind, EVENT_TYPES, f"{path}.Type")
    properties = problems.expect_object(event.get("Properties", {}), f"{path}.Properties")
    criteria = event.get("MatchingCriteria", properties.get("MatchingCriteria"))
    if isinstance(criteria, dict):
        criteria = criteria.get("Type")
    if criteria is not None:
        problems.one_of(criteria, MATCHING, f"{path}.MatchingCriteria")
    if kind == "MessageReceived" and not any(k in properties for k in ("PromptId", "Text", "SSML")):
        problems.add(f"{path}.Properties", "a MessageReceived event needs one of PromptId, Text, SSML")
    if kind in ("FlowActionStarted", "FlowActionCompleted"):
        action_type = str(properties.get("ActionType", "")).strip()
        problems.one_of(action_type, FLOW_ACTION_EVENTS, f"{path}.Properties.ActionType")
        if not isinstance(properties.get("ActionParameters"), dict):
            problems.add(f"{path}.Properties.ActionParameters", "must be an object")


def _check_action(value: Any, path: str, ids: list[Any], channel: str | None, problems: _Problems) -> None:
    action = problems.expect_object(value, path)
    if not action:
        return
    kind = action.get("Type")
    problems.one_of(kind, ACTION_TYPES, f"{path}.Type")
    parameters = problems.expect_object(action.get("Parameters", {}), f"{path}.Parameters")
    check = {
        "SendInstruction": _check_instruction,
        "OverrideSystemBehavior": _check_override,
        "Assert": _check_assert,
        "TestControl": _check_control,
    }.get(str(kind))
    if check:
        check(parameters, f"{path}.Parameters", channel, problems)
    transitions = problems.expect_object(action.get("Transitions") or {}, f"{path}.Transitions")
    following = transitions.get("NextAction", "")
    if not isinstance(following, str | None):
        problems.add(f"{path}.Transitions.NextAction", "must be an action identifier")
    elif following not in ("", None) and following not in ids:
        problems.add(f"{path}.Transitions.NextAction", f"Invalid next action identifier: {following}")


def _check_instruction(
    parameters: dict[str, Any], path: str, channel: str | None, problems: _Problems
) -> None:
    instruction = problems.expect_object(parameters.get("Instruction"), f"{path}.Instruction")
    kind = instruction.get("Type")
    problems.one_of(kind, INSTRUCTIONS, f"{path}.Instruction.Type")
    properties = problems.expect_object(instruction.get("Properties") or {}, f"{path}.Instruction.Properties")
    if kind == "DtmfInput":
        if channel == "CHAT":
            problems.add(f"{path}.Instruction", "DTMF input is not supported for Chat entry point")
        if not isinstance(properties.get("Value"), str | int) or str(properties.get("Value")) == "":
            problems.add(f"{path}.Instruction.Properties.Value", "must be the digits to send")
    if kind in ("TextUtterance", "Utterance") and not any(k in properties for k in ("Value", "Text", "SSML")):
        problems.add(f"{path}.Instruction.Properties", "an utterance needs Value, Text or SSML")


def _check_override(parameters: dict[str, Any], path: str, _channel: str | None, problems: _Problems) -> None:
    behavior = problems.expect_object(parameters.get("Behavior"), f"{path}.Behavior")
    properties = problems.expect_object(behavior.get("Properties"), f"{path}.Behavior.Properties")
    problems.one_of(properties.get("ActionType"), OVERRIDE_TARGETS, f"{path}.Behavior.Properties.ActionType")
    if not properties.get("ActionParameters"):
        problems.add(
            f"{path}.Behavior.Properties.ActionParameters", "must name the resource the override applies to"
        )
    strategy = problems.expect_object(properties.get("Strategy"), f"{path}.Behavior.Properties.Strategy")
    problems.one_of(strategy.get("Type"), STRATEGIES, f"{path}.Behavior.Properties.Strategy.Type")
    if strategy.get("Type") == "SubstituteResource" and not strategy.get("SubstituteArn"):
        problems.add(
            f"{path}.Behavior.Properties.Strategy.SubstituteArn", "must name the substitute resource"
        )
    if strategy.get("Type") == "MockResponse":
        response = problems.expect_object(
            strategy.get("Response"), f"{path}.Behavior.Properties.Strategy.Response"
        )
        problems.one_of(
            response.get("Type"),
            ("ExecutionResult", "Error"),
            f"{path}.Behavior.Properties.Strategy.Response.Type",
        )


def _check_assert(parameters: dict[str, Any], path: str, _channel: str | None, problems: _Problems) -> None:
    namespace = parameters.get("Namespace")
    if not isinstance(namespace, str) or not namespace.startswith("$."):
        problems.add(f"{path}.Namespace", "must be a JSONPath such as $.Queue.Name")
    operator = parameters.get("Operator")
    if operator not in ASSERT_OPERATORS:
        problems.add(f"{path}.Operator", "Invalid operator parameter for AssertAction")
    elif operator != "Exists" and not isinstance(parameters.get("Operand"), str):
        problems.add(f"{path}.Operand", f"{operator} needs a string Operand")


def _check_control(parameters: dict[str, Any], path: str, _channel: str | None, problems: _Problems) -> None:
    command = problems.expect_object(parameters.get("Command"), f"{path}.Command")
    problems.one_of(command.get("Type"), COMMANDS, f"{path}.Command.Type")
    if command.get("Type") == "LogData":
        command_properties = problems.expect_object(
            command.get("Properties") or {}, f"{path}.Command.Properties"
        )
        expressions = command_properties.get("Expressions")
        if not isinstance(expressions, dict) or not expressions:
            problems.add(f"{path}.Command.Properties.Expressions", "must map labels to values or $. paths")
