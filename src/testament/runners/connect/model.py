"""The vocabulary shared by the flow interpreter, its actions and the test session.

A flow runs as a generator of `Signal`s: `Emit` (an event the test observes), `AwaitInput`
(the flow waits for the customer; it is resumed with a `CustomerInput`, or None on timeout) and
`Tick` (one flow action is about to run, so the runner can check for a stop). An action ends
with an `ActionResult` that the interpreter turns into a transition.

Pitfall: FlowActionStarted is emitted *before* the action does its work, so an override that an
observation registers when it sees that event applies to this very invocation (spec §3.1).
"""

import json
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "ActionResult",
    "ActionRun",
    "AwaitInput",
    "CustomerInput",
    "Emit",
    "EndFlow",
    "FlowAction",
    "FlowDocument",
    "FlowEnd",
    "FlowEvent",
    "InvokeModule",
    "ReturnFromModule",
    "Signal",
    "Tick",
    "TransferFlow",
    "parse_flow",
]


@dataclass(frozen=True)
class FlowEvent:
    type: str  # TestInitiated | TestCompleted | MessageReceived | FlowActionStarted | FlowActionCompleted
    properties: dict[str, Any] = field(default_factory=dict)
    source: str = ""  # the flow action that caused it: "<flow name> / <action id>"

    def as_record(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"Type": self.type, "Properties": self.properties}
        if self.source:
            shown["FlowAction"] = self.source
        return shown


@dataclass(frozen=True)
class CustomerInput:
    kind: Literal["DTMF", "TEXT", "DISCONNECT"]
    value: str = ""


@dataclass(frozen=True)
class Emit:
    event: FlowEvent


@dataclass(frozen=True)
class AwaitInput:
    timeout_s: float
    action: str


@dataclass(frozen=True)
class Tick:
    action: str


Signal = Emit | AwaitInput | Tick


@dataclass(frozen=True)
class FlowAction:
    identifier: str
    type: str
    parameters: dict[str, Any]
    transitions: dict[str, Any]


@dataclass(frozen=True)
class FlowDocument:
    id: str
    name: str
    start: str
    actions: dict[str, FlowAction]


def parse_flow(flow_id: str, name: str, content: Any) -> FlowDocument | str:
    """A Flow-language document; a str says why it cannot be run."""
    try:
        document = json.loads(content) if isinstance(content, str) else content
    except ValueError as exc:
        return f"flow {name!r} is not valid JSON: {exc}"
    if not isinstance(document, dict) or not isinstance(document.get("Actions"), list):
        return f"flow {name!r} has no Actions list"
    actions: dict[str, FlowAction] = {}
    for raw in document["Actions"]:
        if not isinstance(raw, dict) or not isinstance(raw.get("Identifier"), str):
            return f"flow {name!r} has an action without an Identifier"
        actions[raw["Identifier"]] = FlowAction(
            raw["Identifier"],
            str(raw.get("Type", "")),
            raw.get("Parameters") or {},
            raw.get("Transitions") or {},
        )
    start = document.get("StartAction")
    if not isinstance(start, str) or start not in actions:
        return f"flow {name!r}: StartAction {start!r} is not one of its actions"
    return FlowDocument(flow_id, name, start, actions)


# --- how an action ends ---------------------------------------------------------------------


@dataclass(frozen=True)
class EndFlow:
    """The flow stops: `how` is disconnected, ended, queued or error."""

    how: str
    reason: str = ""


@dataclass(frozen=True)
class TransferFlow:
    flow: FlowDocument


@dataclass(frozen=True)
class InvokeModule:
    module: FlowDocument


@dataclass(frozen=True)
class ReturnFromModule:
    pass


Control = EndFlow | TransferFlow | InvokeModule | ReturnFromModule


@dataclass(frozen=True)
class ActionResult:
    result: str | None = None  # the value Conditions test, for actions that have one
    error: str | None = None  # an ErrorType: NoMatchingError, QueueAtCapacity, ...
    reason: str = ""  # why, for the trace
    control: Control | None = None


ActionRun = Generator[Signal, CustomerInput | None, ActionResult]


@dataclass(frozen=True)
class FlowEnd:
    """How the flow run ended. `how`: disconnected, ended, queued, error, unsupported, customer."""

    how: str
    reason: str
    action: str = ""
