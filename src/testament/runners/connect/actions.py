"""One small function per Flow-language action type, in `ACTIONS`, keyed by the action's Type.

Each takes the `FlowEnv` (the contact, the clock, overrides, resources) and the action, and
returns an `ActionResult`, or is a generator (`ActionRun`) when it emits events or waits for
the customer. The interpreter (`flow.py`) turns the result into a transition; actions never
pick their next action themselves.

Decisions the spec leaves open (marked [OURS] there): an unmocked Lambda with no
`connect.lambda` mapping, a queue that is not in the workspace and a Lex bot without a
MockResponse all take the error branch, with the reason in the trace; hours that are not in the
workspace count as open (spec §2.5); a multi-digit DTMF answer to a menu keeps its first digit.

Pitfalls: `$.External` changes only when a Lambda succeeds; FlowActionCompleted is emitted only
on the success path; the error a mocked Lambda `TimeLimitExceeded` maps to is NoMatchingError
(the Flow language has no timeout ErrorType for Lambda).
"""

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from testament.runners.base import ResourceView
from testament.runners.connect.clock import VirtualClock
from testament.runners.connect.hours import HoursError, is_open
from testament.runners.connect.lambdas import LambdaAnswer
from testament.runners.connect.matching import strip_ssml
from testament.runners.connect.model import (
    ActionResult,
    ActionRun,
    AwaitInput,
    Emit,
    EndFlow,
    FlowAction,
    FlowDocument,
    FlowEvent,
    InvokeModule,
    ReturnFromModule,
    TransferFlow,
    parse_flow,
)
from testament.runners.connect.overrides import Override, Overrides
from testament.runners.connect.paths import ContactState, QueueRef, interpolate, text_of, value_of

__all__ = ["ACTIONS", "FlowEnv", "Frame", "Handler"]

NO_MATCH = "NoMatchingError"
DEFAULT_INPUT_TIMEOUT_S = 5
DEFAULT_LAMBDA_TIMEOUT_S = 8
# Calling codes for PhoneNumberValidation NumberFormat "Local": enough for tests, not a registry.
CALLING_CODES = {
    "US": "1", "CA": "1", "GB": "44", "IE": "353", "FR": "33", "DE": "49", "ES": "34", "IT": "39",
    "NL": "31", "BE": "32", "PT": "351", "AU": "61", "NZ": "64", "JP": "81", "IN": "91", "BR": "55",
    "MX": "52", "ZA": "27", "SG": "65",
}  # fmt: skip
# A callable number: 7 to 15 digits (the entry-point pattern allows 2, too few for a phone).
E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@dataclass
class Frame:
    """One running flow or module: its own FlowAttributes and Loop counters."""

    flow: FlowDocument
    flow_attributes: dict[str, str] = field(default_factory=dict)
    loops: dict[str, int] = field(default_factory=dict)
    caller: FlowAction | None = None  # the InvokeFlowModule action to return to


@dataclass
class FlowEnv:
    state: ContactState
    clock: VirtualClock
    overrides: Overrides
    rng: random.Random
    find: Callable[[str, str], ResourceView | None]
    invoke_lambda: Callable[[str, dict[str, Any], float], LambdaAnswer]
    remaining_s: Callable[[], float]
    frame: Frame

    def view(self) -> dict[str, Any]:
        return self.state.view()

    def text(self, value: Any) -> str:
        """A "statically or dynamically" parameter: free text with `$.` references."""
        return interpolate(self.view(), text_of(value) or "")

    def single(self, value: Any) -> str | None:
        return value_of(self.view(), value)

    def source(self, action: FlowAction) -> str:
        return f"{self.frame.flow.name} / {action.identifier}"

    def emit(self, kind: str, properties: dict[str, Any], action: FlowAction) -> Emit:
        return Emit(FlowEvent(kind, properties, self.source(action)))

    def load_flow(self, reference: str) -> FlowDocument | str:
        found = self.find("connect.flow", reference)
        if found is None:
            return f"flow {reference!r} was not found in this workspace"
        return parse_flow(found.id, found.name, found.body.get("Content", ""))

    def prompt(self, parameters: dict[str, Any]) -> dict[str, Any] | None:
        """The message a prompt parameter set sends, rendered; None when it names none."""
        shown: dict[str, Any] = {}
        if "Text" in parameters:
            shown["Text"] = self.text(parameters["Text"])
        elif "SSML" in parameters:
            shown["SSML"] = self.text(parameters["SSML"])
            shown["Text"] = " ".join(strip_ssml(shown["SSML"]).split())
        elif "PromptId" in parameters:
            shown["PromptId"] = self.single(parameters["PromptId"]) or ""
        if isinstance(parameters.get("Media"), dict):
            shown["Media"] = parameters["Media"]
        return shown or None


Handler = Callable[[FlowEnv, FlowAction], ActionResult | ActionRun]


def _int(value: Any, default: int) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return default


# --- participant actions --------------------------------------------------------------------


def message_participant(env: FlowEnv, action: FlowAction) -> ActionRun:
    shown = env.prompt(action.parameters)
    if shown is None:
        return ActionResult(error=NO_MATCH, reason="no PromptId, Text, SSML or Media to send")
    yield env.emit("MessageReceived", shown, action)
    return ActionResult(reason=f"sent {shown.get('Text', shown.get('PromptId', 'media'))!r}")


def get_participant_input(env: FlowEnv, action: FlowAction) -> ActionRun:
    parameters = action.parameters
    shown = env.prompt(parameters)
    if shown is not None:
        yield env.emit("MessageReceived", shown, action)
    limit = parameters.get("InputTimeLimitSeconds", parameters.get("InputTimeoutSeconds"))
    timeout_s = _int(env.single(limit) if limit is not None else None, DEFAULT_INPUT_TIMEOUT_S)
    answer = yield AwaitInput(timeout_s, env.source(action))
    if str(parameters.get("StoreInput", "False")) == "True":
        return _store_input(env, parameters, answer)
    if answer is None:
        return ActionResult(error="InputTimeLimitExceeded", reason=f"no input within {timeout_s} s")
    value = answer.value[:1] if answer.kind == "DTMF" else answer.value.strip()
    if not value:
        return ActionResult(error=NO_MATCH, reason="the customer's input was empty")
    return ActionResult(result=value, reason=f"the customer entered {value!r}")


def _store_input(env: FlowEnv, parameters: dict[str, Any], answer: Any) -> ActionResult:
    if answer is None:
        # [3P] a timeout in store mode takes the success path with the value "Timeout".
        env.state.stored_input = "Timeout"
        return ActionResult(reason="no input before the time limit: stored 'Timeout'")
    value = str(answer.value)
    if answer.kind == "DTMF":
        dtmf = parameters.get("DTMFConfiguration")
        dtmf = dtmf if isinstance(dtmf, dict) else {}
        terminator = str(dtmf.get("InputTerminationSequence") or "#")
        value = value.split(terminator, 1)[0]
    validation = parameters.get("InputValidation")
    validation = validation if isinstance(validation, dict) else {}
    custom = validation.get("CustomValidation")
    if isinstance(custom, dict) and custom.get("MaximumLength") is not None:
        value = value[: _int(custom.get("MaximumLength"), len(value))]
    phone = validation.get("PhoneNumberValidation")
    if isinstance(phone, dict):
        number = _phone_number(value, phone)
        if number is None:
            return ActionResult(error="InvalidPhoneNumber", reason=f"{value!r} is not a valid phone number")
        value = number
    env.state.stored_input = value
    return ActionResult(reason=f"stored the customer's input {value!r}")


def _phone_number(value: str, validation: dict[str, Any]) -> str | None:
    digits = value.strip().replace(" ", "")
    if str(validation.get("NumberFormat", "E164")) == "Local":
        code = CALLING_CODES.get(str(validation.get("CountryCode", "")).upper())
        if code is None or not digits.isdigit():
            return None
        digits = f"+{code}{digits.lstrip('0') if code != '1' else digits}"
    elif not digits.startswith("+"):
        digits = f"+{digits}"
    return digits if E164.match(digits) else None


def disconnect_participant(env: FlowEnv, action: FlowAction) -> ActionResult:
    return ActionResult(control=EndFlow("disconnected", "DisconnectParticipant"))


def connect_participant_with_lex_bot(env: FlowEnv, action: FlowAction) -> ActionRun:
    parameters = action.parameters
    bot = parameters.get("LexV2Bot") or {}
    alias = env.text(bot.get("AliasArn", "")) if isinstance(bot, dict) else ""
    if not alias and isinstance(parameters.get("LexBot"), dict):
        classic = parameters["LexBot"]
        alias = f"{classic.get('Name', '')}:{classic.get('Alias', '')}"
    started = {
        "ActionType": "ConnectParticipantWithLexBot",
        "ActionParameters": {"LexV2Bot": {"AliasArn": alias}},
    }
    yield env.emit("FlowActionStarted", started, action)
    shown = env.prompt(parameters)
    if shown is not None:
        yield env.emit("MessageReceived", shown, action)
    override = env.overrides.find("ConnectParticipantWithLexBot", alias)
    if override is None or override.strategy != "MockResponse":
        why = "substituted" if override else "no MockResponse for"
        return ActionResult(error=NO_MATCH, reason=f"{why} Lex bot {alias!r}: there are no Lex bots offline")
    env.clock.advance(override.delay_s)
    if override.response_type == "Error":
        return ActionResult(error=NO_MATCH, reason=f"mocked Lex error {override.value!r}")
    # The customer's utterance was queued when the prompt was observed; take it so a later
    # GetParticipantInput does not receive it. The mock decides the intent, whatever was said.
    said = yield AwaitInput(0, env.source(action))
    loaded = _loaded_object(override)
    if isinstance(loaded, str):
        return ActionResult(error=NO_MATCH, reason=loaded)
    intent = text_of(loaded.get("IntentName")) or ""
    env.state.lex = {
        "IntentName": intent,
        "Slots": loaded.get("Slots") or {},
        "SessionAttributes": loaded.get("SessionAttributes") or {},
        "DialogState": loaded.get("DialogState", "Fulfilled"),
        "IntentConfidence": {"Score": loaded.get("IntentConfidence", {}).get("Score", "1.0")}
        if isinstance(loaded.get("IntentConfidence"), dict)
        else {"Score": "1.0"},
    }
    yield env.emit("FlowActionCompleted", started, action)
    heard = f" for {said.value!r}" if said is not None else ""
    return ActionResult(result=intent, reason=f"mocked Lex intent {intent!r}{heard}")


# --- contact attributes and data ------------------------------------------------------------


def compare(env: FlowEnv, action: FlowAction) -> ActionResult:
    value = env.single(action.parameters.get("ComparisonValue")) or ""
    return ActionResult(result=value, reason=f"compared {value!r}")


def update_contact_attributes(env: FlowEnv, action: FlowAction) -> ActionResult:
    parameters = action.parameters
    if str(parameters.get("TargetContact", "Current")) == "Related":
        return ActionResult(error=NO_MATCH, reason="there is no related contact offline")
    attributes = parameters.get("Attributes")
    if not isinstance(attributes, dict):
        return ActionResult(error=NO_MATCH, reason="Attributes must be an object")
    # All or nothing: render every value before writing any.
    rendered = {env.text(key): env.text(value) for key, value in attributes.items()}
    env.state.attributes.update(rendered)
    return ActionResult(reason=f"set {json.dumps(rendered, ensure_ascii=False)}")


def update_flow_attributes(env: FlowEnv, action: FlowAction) -> ActionResult:
    attributes = action.parameters.get("FlowAttributes") or {}
    if not isinstance(attributes, dict):
        return ActionResult(error=NO_MATCH, reason="FlowAttributes must be an object")
    for key, spec in attributes.items():
        value = spec.get("Value", "") if isinstance(spec, dict) else spec
        env.state.flow_attributes[str(key)] = env.text(value)
    return ActionResult(reason=f"set flow attributes {sorted(attributes)}")


def update_contact_data(env: FlowEnv, action: FlowAction) -> ActionResult:
    parameters = action.parameters
    if "Name" in parameters:
        env.state.name = env.text(parameters["Name"])
    if "Description" in parameters:
        env.state.description = env.text(parameters["Description"])
    if "LanguageCode" in parameters:
        env.state.language_code = env.text(parameters["LanguageCode"])
    return ActionResult(reason="updated contact data")


def update_text_to_speech_voice(env: FlowEnv, action: FlowAction) -> ActionResult:
    voice = action.parameters.get("TextToSpeechVoice")
    if voice:
        env.state.voice_id = env.text(voice)
    return ActionResult(reason=f"voice {env.state.voice_id}")


def no_op(env: FlowEnv, action: FlowAction) -> ActionResult:
    return ActionResult(reason="no effect offline")


# --- flow control ---------------------------------------------------------------------------


def check_hours_of_operation(env: FlowEnv, action: FlowAction) -> ActionRun:
    named = action.parameters.get("HoursOfOperationId")
    reference = env.single(named) if named else None
    if not reference and env.state.queue is not None:
        reference = env.state.queue.hours_id
    if not reference:
        return ActionResult(error=NO_MATCH, reason="no HoursOfOperationId and no working queue with hours")
    started = {"ActionType": "CheckHoursOfOperation", "ActionParameters": {"HoursOfOperationId": reference}}
    yield env.emit("FlowActionStarted", started, action)
    override = env.overrides.find("CheckHoursOfOperation", reference)
    note = ""
    if override is not None and override.strategy == "MockResponse":
        return _mocked_hours(override)
    if override is not None:
        note, reference = f" (substituted for {reference!r})", override.substitute
    hours = env.find("connect.hours", reference)
    if hours is None:
        return ActionResult(result="True", reason=f"hours {reference!r} not in the workspace: open{note}")
    try:
        open_now = is_open(hours.body, env.clock.now())
    except HoursError as exc:
        return ActionResult(error=NO_MATCH, reason=f"hours {hours.name!r}: {exc}")
    state = "open" if open_now else "closed"
    return ActionResult(
        result=str(open_now), reason=f"hours {hours.name!r} are {state} at {env.clock.iso()}{note}"
    )


def _mocked_hours(override: Override) -> ActionResult:
    env_value = {"InHours": "True", "OutOfHours": "False"}.get(override.value)
    if override.response_type == "Error" or env_value is None:
        return ActionResult(error=NO_MATCH, reason=f"mocked hours error {override.value!r}")
    return ActionResult(result=env_value, reason=f"mocked hours: {override.value}")


def distribute_by_percentage(env: FlowEnv, action: FlowAction) -> ActionResult:
    roll = env.rng.randint(1, 100)
    return ActionResult(result=str(roll), reason=f"drew {roll}")


def loop(env: FlowEnv, action: FlowAction) -> ActionResult:
    count = _int(env.single(action.parameters.get("LoopCount")), -1)
    if not 0 <= count <= 100:
        return ActionResult(error=NO_MATCH, reason="LoopCount must be an integer from 0 to 100")
    done = env.frame.loops.get(action.identifier, 0)
    if done < count:
        env.frame.loops[action.identifier] = done + 1
        return ActionResult(result="ContinueLooping", reason=f"iteration {done + 1} of {count}")
    env.frame.loops[action.identifier] = 0  # the counter resets once the loop is done
    return ActionResult(result="DoneLooping", reason=f"done after {count}")


def end_flow_execution(env: FlowEnv, action: FlowAction) -> ActionResult:
    return ActionResult(control=EndFlow("ended", "EndFlowExecution"))


def transfer_to_flow(env: FlowEnv, action: FlowAction) -> ActionResult:
    reference = env.single(action.parameters.get("ContactFlowId"))
    if not reference:
        return ActionResult(error=NO_MATCH, reason="ContactFlowId is empty")
    flow = env.load_flow(reference)
    if isinstance(flow, str):
        return ActionResult(error=NO_MATCH, reason=flow)
    return ActionResult(control=TransferFlow(flow), reason=f"to flow {flow.name!r}")


def invoke_flow_module(env: FlowEnv, action: FlowAction) -> ActionResult:
    reference = env.text(action.parameters.get("FlowModuleId", ""))
    if not reference:
        return ActionResult(error=NO_MATCH, reason="FlowModuleId is empty")
    module = env.load_flow(reference)
    if isinstance(module, str):
        return ActionResult(error=NO_MATCH, reason=module)
    return ActionResult(control=InvokeModule(module), reason=f"into module {module.name!r}")


def end_flow_module_execution(env: FlowEnv, action: FlowAction) -> ActionResult:
    return ActionResult(control=ReturnFromModule())


# --- integrations: Lambda -------------------------------------------------------------------


def invoke_lambda_function(env: FlowEnv, action: FlowAction) -> ActionRun:
    parameters = action.parameters
    arn = env.text(parameters.get("LambdaFunctionARN", ""))
    started = {"ActionType": "InvokeLambdaFunction", "ActionParameters": {"LambdaFunctionARN": arn}}
    yield env.emit("FlowActionStarted", started, action)
    as_json = (parameters.get("ResponseValidation") or {}).get("ResponseType") == "JSON"
    override = env.overrides.find("InvokeLambdaFunction", arn)
    target, note = arn, ""
    if override is not None and override.strategy == "MockResponse":
        env.clock.advance(override.delay_s)
        if override.response_type == "Error":
            return ActionResult(error=NO_MATCH, reason=f"mocked Lambda error {override.value!r}")
        loaded = _loaded_object(override)
        if isinstance(loaded, str):
            return ActionResult(error=NO_MATCH, reason=loaded)
        answer = LambdaAnswer(loaded)
        note = " (mocked)"
    else:
        if override is not None:
            target, note = override.substitute, f" (substituted by {override.substitute!r})"
        answer = _call(env, target, parameters)
    if answer.data is None:
        return ActionResult(error=NO_MATCH, reason=answer.error)
    env.state.external = answer.data if as_json else _string_map(answer.data)
    yield env.emit("FlowActionCompleted", started, action)
    return ActionResult(reason=f"Lambda {arn!r} answered {sorted(answer.data)}{note}")


def _call(env: FlowEnv, arn: str, parameters: dict[str, Any]) -> LambdaAnswer:
    mapping = env.find("connect.lambda", arn)
    if mapping is None and ":" in arn:  # a workspace may name the mapping after the function
        mapping = env.find("connect.lambda", arn.split(":")[6] if arn.count(":") >= 6 else arn)
    if mapping is None or not mapping.body.get("Url"):
        return LambdaAnswer(None, f"no connect.lambda mapping (with a Url) for {arn!r} in this workspace")
    limit = _int(parameters.get("InvocationTimeLimitSeconds"), DEFAULT_LAMBDA_TIMEOUT_S)
    timeout_s = min(float(limit), env.remaining_s())
    invocation = parameters.get("LambdaInvocationAttributes")
    invocation = invocation if isinstance(invocation, dict) else {}
    event = _connect_event(env, {str(k): env.text(v) for k, v in invocation.items()})
    return env.invoke_lambda(str(mapping.body["Url"]), event, timeout_s)


def _connect_event(env: FlowEnv, parameters: dict[str, str]) -> dict[str, Any]:
    """The event Connect sends a Lambda (a ContactFlowEvent)."""
    view = env.view()
    contact = {
        key: view[key]
        for key in (
            "Attributes", "Channel", "ContactId", "CustomerEndpoint", "InitialContactId",
            "InitiationMethod", "InstanceARN", "PreviousContactId", "SystemEndpoint", "LanguageCode",
        )
    }  # fmt: skip
    queue = env.state.queue
    contact["Queue"] = {"ARN": queue.arn, "Name": queue.name} if queue else None
    contact["MediaStreams"] = {}
    return {"Details": {"ContactData": contact, "Parameters": parameters}, "Name": "ContactFlowEvent"}


def _loaded_object(override: Override) -> dict[str, Any] | str:
    try:
        loaded = json.loads(override.loaded_data or "{}")
    except ValueError:
        return f"the mock's LoadedData is not JSON: {override.loaded_data!r}"
    if not isinstance(loaded, dict):
        return "the mock's LoadedData is not a JSON object"
    return loaded


def _string_map(data: dict[str, Any]) -> dict[str, Any]:
    """Connect's STRING_MAP: every value as a string."""
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in data.items()}


# --- queues ---------------------------------------------------------------------------------


def _queue(env: FlowEnv, reference: str) -> QueueRef | None:
    found = env.find("connect.queue", reference)
    if found is None:
        return None
    arn = reference if reference.startswith("arn:") else f"{env.state.instance_arn}/queue/{found.id}"
    hours = found.body.get("HoursOfOperationId")
    return QueueRef(found.id, str(found.body.get("Name") or found.name), arn, reference, hours)


def update_contact_target_queue(env: FlowEnv, action: FlowAction) -> ActionResult:
    parameters = action.parameters
    if "AgentId" in parameters and "QueueId" not in parameters:
        return ActionResult(error=NO_MATCH, reason="agent queues are not simulated offline")
    reference = env.single(parameters.get("QueueId"))
    if not reference:
        return ActionResult(error=NO_MATCH, reason="QueueId is empty")
    queue = _queue(env, reference)
    if queue is None:
        return ActionResult(error=NO_MATCH, reason=f"queue {reference!r} was not found in this workspace")
    env.state.queue = queue
    return ActionResult(reason=f"working queue {queue.name!r}")


def transfer_contact_to_queue(env: FlowEnv, action: FlowAction) -> ActionRun:
    queue = env.state.queue
    if queue is None:
        return ActionResult(error=NO_MATCH, reason="no working queue is set")
    if env.state.queued:
        return ActionResult(error=NO_MATCH, reason="the contact is already in a queue")
    started = {"ActionType": "TransferContactToQueue", "ActionParameters": {"QueueId": queue.reference}}
    yield env.emit("FlowActionStarted", started, action)
    override = env.overrides.find("TransferContactToQueue", queue.reference, queue.id, queue.arn)
    if override is not None and override.strategy == "MockResponse":
        error = override.value if override.value in ("QueueAtCapacity", NO_MATCH) else NO_MATCH
        return ActionResult(error=error, reason=f"mocked queue error {override.value!r}")
    if override is not None:
        substitute = _queue(env, override.substitute)
        if substitute is None:
            return ActionResult(
                error=NO_MATCH, reason=f"substitute queue {override.substitute!r} was not found"
            )
        env.state.queue = queue = substitute
    env.state.queued = True
    return ActionResult(control=EndFlow("queued", f"queued in {queue.name!r}"))


ACTIONS: dict[str, Handler] = {
    "MessageParticipant": message_participant,
    "GetParticipantInput": get_participant_input,
    "DisconnectParticipant": disconnect_participant,
    "ConnectParticipantWithLexBot": connect_participant_with_lex_bot,
    "Compare": compare,
    "UpdateContactAttributes": update_contact_attributes,
    "UpdateFlowAttributes": update_flow_attributes,
    "UpdateContactData": update_contact_data,
    "UpdateContactTextToSpeechVoice": update_text_to_speech_voice,
    "CheckHoursOfOperation": check_hours_of_operation,
    "DistributeByPercentage": distribute_by_percentage,
    "Loop": loop,
    "EndFlowExecution": end_flow_execution,
    "TransferToFlow": transfer_to_flow,
    "InvokeFlowModule": invoke_flow_module,
    "EndFlowModuleExecution": end_flow_module_execution,
    "InvokeLambdaFunction": invoke_lambda_function,
    "UpdateContactTargetQueue": update_contact_target_queue,
    "TransferContactToQueue": transfer_contact_to_queue,
    # Recorded in the trace, no effect offline (spec §4.3).
    "UpdateContactRecordingBehavior": no_op,
    "UpdateFlowLoggingBehavior": no_op,
    "UpdateContactEventHooks": no_op,
    "UpdateContactRoutingBehavior": no_op,
    "TagContact": no_op,
    "Wait": no_op,
}
