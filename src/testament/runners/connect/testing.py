"""The Testing-language side: observations, their activation, action chains and records.

`TestCase.parse` reads the document (versions 2025-06-21 and 2019-10-30). A `TestSession`
keeps which observations are active, dispatches each flow event to the first active one that
matches it (one event satisfies one observation, document order breaks ties, spec §3 [OURS]),
runs that observation's action chain and writes its record at once.

Action chains start at Actions[0] and follow Transitions.NextAction; "" or a missing key ends
the chain, except that a chain in which no action names a NextAction runs in array order (both
readings agree on every known example). A failed Assert or EndTest ends the test.

Usage: missing means EXACTLY once; EXACTLY with Times n needs n matches; ANY needs one match and
stays active. Successors are activated once, when the observation is first satisfied.

Pitfalls: `$.External`, `$.LambdaInvocation` and `$.Lex` are visible to Assert and LogData only
once a FlowActionCompleted observation has matched (spec §3 rule 7); before that they are empty.
Observations never activated are not counted against a run that ends with EndTest.
"""

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from testament.domain.execution import RecordStatus
from testament.runners.connect.clock import VirtualClock, stamp
from testament.runners.connect.flow import condition_holds
from testament.runners.connect.matching import DEFAULT_THRESHOLD, message_matches, similarity
from testament.runners.connect.model import CustomerInput, FlowEvent
from testament.runners.connect.overrides import Overrides, override_from, resource_key
from testament.runners.connect.paths import ContactState, interpolate, is_single_path, resolve

__all__ = ["Observation", "TestCase", "TestSession", "TestingLanguageError"]

VERSIONS = ("2025-06-21", "2019-10-30")
MAX_UNMATCHED_MESSAGES = 20
Recorder = Callable[[str, RecordStatus, dict[str, Any]], int]


class TestingLanguageError(ValueError):
    """The test case cannot be run as written."""

    __test__ = False  # not a pytest class, despite the name


@dataclass(frozen=True)
class TestAction:
    identifier: str
    type: str
    parameters: dict[str, Any]
    next_action: str | None


@dataclass
class Observation:
    identifier: str
    event: dict[str, Any]
    actions: list[TestAction]
    usage: str  # EXACTLY | ANY
    times: int
    successors: list[str]
    active: bool = False
    matches: int = 0
    passed: bool = False
    failed: bool = False
    successors_activated: bool = False

    @property
    def event_type(self) -> str:
        return str(self.event.get("Type", ""))

    @property
    def criteria(self) -> str:
        """Event-level MatchingCriteria first, then Properties-level; Similarity by default."""
        found = self.event.get("MatchingCriteria", self.properties.get("MatchingCriteria"))
        if isinstance(found, dict):
            found = found.get("Type")
        return str(found) if found in ("Similarity", "Inclusion") else "Similarity"

    @property
    def properties(self) -> dict[str, Any]:
        properties = self.event.get("Properties")
        return properties if isinstance(properties, dict) else {}

    @property
    def satisfied(self) -> bool:
        return self.matches >= (1 if self.usage == "ANY" else self.times)


@dataclass(frozen=True)
class TestCase:
    __test__ = False

    version: str
    observations: list[Observation]

    @classmethod
    def parse(cls, text: str) -> "TestCase":
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise TestingLanguageError(f"the test case content is not JSON: {exc}") from None
        if not isinstance(document, dict) or not isinstance(document.get("Observations"), list):
            raise TestingLanguageError("the test case content has no Observations list")
        version = str(document.get("Version", ""))
        if version not in VERSIONS:
            raise TestingLanguageError(f"unsupported Testing-language version {version!r}")
        return cls(version, [_observation(raw) for raw in document["Observations"]])


def _observation(raw: Any) -> Observation:
    if not isinstance(raw, dict) or not isinstance(raw.get("Identifier"), str):
        raise TestingLanguageError("every observation needs an Identifier")
    usage = raw.get("Usage") or {}
    actions = [
        TestAction(
            str(a.get("Identifier", "")),
            str(a.get("Type", "")),
            a.get("Parameters") or {},
            (a.get("Transitions") or {}).get("NextAction") or None,
        )
        for a in raw.get("Actions") or []
        if isinstance(a, dict)
    ]
    times = usage.get("Times")
    return Observation(
        raw["Identifier"],
        raw.get("Event") or {},
        actions,
        "ANY" if usage.get("Type") == "ANY" else "EXACTLY",
        times if isinstance(times, int) and not isinstance(times, bool) and times > 0 else 1,
        [str(s) for s in (raw.get("Transitions") or {}).get("NextObservations") or []],
    )


@dataclass
class ChainResult:
    actions: list[dict[str, Any]] = field(default_factory=list)
    failure: str | None = None
    ended: bool = False


@dataclass
class TestSession:
    __test__ = False

    case: TestCase
    state: ContactState
    clock: VirtualClock
    overrides: Overrides
    record: Recorder
    threshold: float = DEFAULT_THRESHOLD
    inputs: deque[CustomerInput] = field(default_factory=deque)
    customer_disconnected: bool = False
    ended_by: str | None = None  # why the test ended early: EndTest or a failed Assert
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (observation, code, message)
    unmatched_messages: list[dict[str, Any]] = field(default_factory=list)
    visible_results: dict[str, Any] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.ended_by is not None

    def start(self) -> None:
        """Activate every observation no other observation leads to."""
        referenced = {s for o in self.case.observations for s in o.successors}
        for observation in self.case.observations:
            observation.active = observation.identifier not in referenced

    def pending(self) -> list[Observation]:
        return [o for o in self.case.observations if o.active and not o.satisfied]

    def take_input(self) -> CustomerInput | None:
        return self.inputs.popleft() if self.inputs else None

    # --- dispatch ---------------------------------------------------------------------------

    def dispatch(self, event: FlowEvent) -> bool:
        """Offer an event to the active observations; True when one of them took it."""
        if self.finished:
            return False
        for observation in self.case.observations:
            if observation.active and self._matches(observation, event):
                self._handle(observation, event)
                return True
        if event.type == "MessageReceived" and len(self.unmatched_messages) < MAX_UNMATCHED_MESSAGES:
            self.unmatched_messages.append({"VirtualTime": self.clock.iso(), **event.properties})
        return False

    def complete(self) -> None:
        """TestCompleted goes to every active observation waiting for it, even after EndTest."""
        event = FlowEvent("TestCompleted")
        for observation in self.case.observations:
            if observation.active and observation.event_type == "TestCompleted":
                self._handle(observation, event)

    def _matches(self, observation: Observation, event: FlowEvent) -> bool:
        if observation.event_type != event.type:
            return False
        expected = observation.properties
        if event.type == "MessageReceived":
            return message_matches(expected, observation.criteria, event.properties, self.threshold)
        if event.type in ("FlowActionStarted", "FlowActionCompleted"):
            wanted = str(expected.get("ActionType", "")).strip()  # a docs page has a trailing space
            if wanted != event.properties.get("ActionType"):
                return False
            return _parameters_match(
                expected.get("ActionParameters") or {}, event.properties["ActionParameters"]
            )
        return True  # TestInitiated, TestCompleted

    def _handle(self, observation: Observation, event: FlowEvent) -> None:
        observation.matches += 1
        if event.type == "FlowActionCompleted":
            self.visible_results = self.state.results()
        chain = self._run_chain(observation)
        if chain.failure is None:
            if observation.satisfied:
                observation.passed = True
                observation.active = observation.usage == "ANY"
                if not observation.successors_activated:
                    observation.successors_activated = True
                    self._activate(observation.successors)
        else:
            observation.failed, observation.active = True, False
            code = "ASSERTION_FAILED" if chain.failure.startswith("assert") else "ACTION_FAILED"
            self.failures.append((observation.identifier, code, chain.failure))
            self.ended_by = self.ended_by or f"assertion failed in {observation.identifier!r}"
        if chain.ended:
            self.ended_by = self.ended_by or f"EndTest in {observation.identifier!r}"
        record: dict[str, Any] = {
            "Type": "OBSERVATION",
            "Identifier": observation.identifier,
            "Status": "FAILED" if chain.failure else "PASSED",
            **stamp(self.clock),
            "Event": event.as_record(),
            "Actions": chain.actions,
        }
        if observation.usage == "ANY" or observation.times > 1:
            record["Match"] = observation.matches
        if chain.failure:
            record["Reason"] = chain.failure
        status = RecordStatus.FAILED if chain.failure else RecordStatus.PASSED
        self.record(observation.identifier, status, record)

    def _activate(self, identifiers: list[str]) -> None:
        for observation in self.case.observations:
            # An observation resolves once: a cycle in the graph does not make it wanted again.
            if observation.identifier in identifiers and not (observation.passed or observation.failed):
                observation.active = True

    # --- actions ----------------------------------------------------------------------------

    def _run_chain(self, observation: Observation) -> ChainResult:
        result = ChainResult()
        actions = observation.actions
        by_id = {a.identifier: a for a in actions}
        in_order = not any(a.next_action for a in actions)
        index, seen = 0, set()
        current = actions[0] if actions else None
        while current is not None and current.identifier not in seen:
            seen.add(current.identifier)
            shown, failure, ended = self._run_action(observation, current)
            result.actions.append(shown)
            if failure is not None or ended:
                result.failure, result.ended = failure, ended
                return result
            if in_order:
                index += 1
                current = actions[index] if index < len(actions) else None
            else:
                current = by_id.get(current.next_action or "")
        return result

    def _run_action(
        self, observation: Observation, action: TestAction
    ) -> tuple[dict[str, Any], str | None, bool]:
        """Run one action: what the record shows, a failure message or None, whether the test ends."""
        shown: dict[str, Any] = {"Identifier": action.identifier, "Type": action.type, "Status": "PASSED"}
        parameters = action.parameters
        if action.type == "SendInstruction":
            shown["Instruction"] = self._send(parameters.get("Instruction") or {})
        elif action.type == "OverrideSystemBehavior":
            override = override_from(
                parameters.get("Behavior") or {}, f"{observation.identifier} / {action.identifier}"
            )
            if isinstance(override, str):
                shown.update(Status="FAILED", Reason=override)
                return shown, f"action {action.identifier!r}: {override}", False
            self.overrides.register(override)
            shown["Override"] = override.describe()
        elif action.type == "Assert":
            shown.update(self._assert(parameters))
            if shown["Status"] == "FAILED":
                message = (
                    f"assert {action.identifier!r}: {shown['Namespace']} {shown['Operator']} "
                    f"{shown['Expected']!r} failed, actual {shown['Actual']!r}"
                )
                return shown, message, False
        elif action.type == "TestControl":
            command = parameters.get("Command") or {}
            shown["Command"] = command.get("Type")
            if command.get("Type") == "EndTest":
                return shown, None, True
            if command.get("Type") == "LogData":
                expressions = (command.get("Properties") or {}).get("Expressions")
                expressions = expressions if isinstance(expressions, dict) else {}
                shown["Data"] = {str(label): self._log_value(value) for label, value in expressions.items()}
        else:
            shown.update(Status="FAILED", Reason=f"unknown action type {action.type!r}")
            return shown, f"action {action.identifier!r} has an unknown type {action.type!r}", False
        return shown, None, False

    def _send(self, instruction: dict[str, Any]) -> dict[str, Any]:
        kind = instruction.get("Type")
        properties = instruction.get("Properties") or {}
        if kind == "DtmfInput":
            self.inputs.append(CustomerInput("DTMF", str(properties.get("Value", ""))))
        elif kind in ("TextUtterance", "Utterance"):
            text = properties.get("Value", properties.get("Text", properties.get("SSML", "")))
            self.inputs.append(CustomerInput("TEXT", str(text)))
        elif kind == "Disconnect":
            self.customer_disconnected = True
        return {"Type": kind, **({"Properties": properties} if properties else {})}

    def _test_view(self) -> dict[str, Any]:
        return self.state.view(self.visible_results)

    def _assert(self, parameters: dict[str, Any]) -> dict[str, Any]:
        namespace = str(parameters.get("Namespace", ""))
        operator = str(parameters.get("Operator", ""))
        expected = parameters.get("Operand")
        actual = resolve(self._test_view(), namespace)
        if operator == "Exists":
            holds = actual is not None and actual != ""
        else:
            holds = condition_holds(operator, actual, "" if expected is None else str(expected))
        return {
            "Namespace": namespace,
            "Operator": operator,
            "Expected": expected,
            "Actual": actual,
            "Status": "PASSED" if holds else "FAILED",
        }

    def _log_value(self, value: Any) -> str | None:
        if is_single_path(value):
            return resolve(self._test_view(), str(value))
        return interpolate(self._test_view(), str(value))

    # --- the end ----------------------------------------------------------------------------

    def close(self, why_pending_failed: str, code: str) -> None:
        """Write a record for every observation that did not resolve, saying why."""
        for observation in self.case.observations:
            if observation.passed or observation.failed:
                continue
            if observation.active:
                self._record_unmatched(observation, why_pending_failed)
                self.failures.append((observation.identifier, code, why_pending_failed))
            else:
                self.record(
                    observation.identifier,
                    RecordStatus.SKIPPED,
                    {
                        "Type": "OBSERVATION",
                        "Identifier": observation.identifier,
                        "Status": "SKIPPED",
                        **stamp(self.clock),
                        "Reason": "never activated: the observations leading to it did not all complete",
                        "Expected": observation.event,
                    },
                )

    def _record_unmatched(self, observation: Observation, why: str) -> None:
        record: dict[str, Any] = {
            "Type": "OBSERVATION",
            "Identifier": observation.identifier,
            "Status": "FAILED",
            **stamp(self.clock),
            "Reason": why,
            "Expected": observation.event,
            "Matches": observation.matches,
        }
        if observation.event_type == "MessageReceived":
            wanted = str(observation.properties.get("Text", observation.properties.get("SSML", "")))
            record["MessagesNotMatched"] = [
                {**message, "Similarity": round(similarity(wanted, str(message.get("Text", ""))), 3)}
                for message in self.unmatched_messages
            ]
        self.record(observation.identifier, RecordStatus.FAILED, record)

    def summary(self) -> dict[str, int]:
        total = len(self.case.observations)
        passed = sum(1 for o in self.case.observations if o.passed and not o.failed)
        return {
            "TotalObservations": total,
            "ObservationsPassed": passed,
            "ObservationsFailed": total - passed,
        }


def _parameters_match(expected: dict[str, Any], actual: dict[str, Any]) -> bool:
    """Each expected parameter names the same resource as the event's (ids and ARNs compare equal)."""
    for key, wanted in expected.items():
        found = actual.get(key)
        if isinstance(wanted, dict):
            if not isinstance(found, dict) or not _parameters_match(wanted, found):
                return False
        elif found is None or resource_key(str(found)) != resource_key(str(wanted)):
            return False
    return True
