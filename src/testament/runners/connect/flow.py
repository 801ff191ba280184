"""The Flow-language interpreter: runs a flow as a generator of signals (see `model.py`).

`FlowRun.run()` starts at the entry flow's StartAction and runs action after action until one
emits an event or waits for the customer (it yields), or until the flow ends (it returns a
`FlowEnd`). Transitions follow the spec's algorithm (§4.1, [OURS]): an error goes to its
ErrorType's branch, else NoMatchingError's, else the flow stops with an error; a result goes to
the first true Condition, else the NoMatchingCondition branch, else NextAction; no NextAction
ends the flow. Modules run on a stack of frames and resume the caller at its NextAction.

Every action taken is kept in a bounded `Trace` so a failed run can be explained.

Pitfalls: a flow can loop without waiting (Loop, TransferToFlow back and forth), so the number
of actions per run is capped. FlowAttributes belong to one frame: a transfer or a module starts
with none.
"""

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from testament.runners.connect.actions import ACTIONS, FlowEnv, Frame
from testament.runners.connect.clock import VirtualClock
from testament.runners.connect.model import (
    ActionResult,
    CustomerInput,
    EndFlow,
    FlowAction,
    FlowEnd,
    InvokeModule,
    ReturnFromModule,
    Signal,
    Tick,
    TransferFlow,
)

__all__ = ["MAX_ACTIONS", "FlowRun", "Trace", "condition_holds"]

MAX_ACTIONS = 10_000
MAX_TRACE = 500

FlowGenerator = Generator[Signal, CustomerInput | None, FlowEnd]


@dataclass
class Trace:
    """The flow actions taken, oldest first; keeps the first MAX_TRACE and counts the rest."""

    clock: VirtualClock
    entries: list[dict[str, Any]] = field(default_factory=list)
    dropped: int = 0

    def add(self, frame: Frame, action: FlowAction, branch: str, reason: str) -> None:
        if len(self.entries) >= MAX_TRACE:
            self.dropped += 1
            return
        entry = {"VirtualTime": self.clock.iso(), "Flow": frame.flow.name, "Action": action.identifier}
        entry.update({"Type": action.type, "Branch": branch})
        if reason:
            entry["Detail"] = reason[:300]
        self.entries.append(entry)

    def as_record(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"Trace": self.entries}
        if self.dropped:
            shown["TraceDropped"] = self.dropped
        return shown


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def condition_holds(operator: str, actual: str | None, operand: str) -> bool:
    """A Flow-language (and Assert) operator on text; number operators are false for non-numbers."""
    if actual is None:
        return False
    if operator == "Equals":
        return actual == operand
    if operator == "TextStartsWith":
        return actual.startswith(operand)
    if operator == "TextEndsWith":
        return actual.endswith(operand)
    if operator == "TextContains":
        return operand in actual
    left, right = _number(actual), _number(operand)
    if left is None or right is None:
        return False
    comparisons = {
        "NumberGreaterThan": left > right,
        "NumberGreaterOrEqualTo": left >= right,
        "NumberLessThan": left < right,
        "NumberLessOrEqualTo": left <= right,
        "NumericLessThan": left < right,  # the name one doc page uses for DistributeByPercentage
    }
    return comparisons.get(operator, False)


def _next(action: FlowAction, outcome: ActionResult) -> tuple[str | None, str]:
    """The next action's id (None ends the flow) and a description of the branch taken."""
    transitions = action.transitions
    errors = [e for e in transitions.get("Errors") or [] if isinstance(e, dict)]
    if outcome.error is not None:
        for wanted in (outcome.error, "NoMatchingError"):
            for entry in errors:
                if entry.get("ErrorType") == wanted:
                    return entry.get("NextAction") or None, f"Error {wanted}"
        return None, f"Error {outcome.error} (no branch)"
    conditions = [c for c in transitions.get("Conditions") or [] if isinstance(c, dict)]
    if outcome.result is not None and conditions:
        for entry in conditions:
            condition = entry.get("Condition") or {}
            operands = condition.get("Operands")
            operands = operands if isinstance(operands, list) and operands else [""]
            operator = str(condition.get("Operator", ""))
            if condition_holds(operator, outcome.result, str(operands[0])):
                return entry.get("NextAction") or None, f"Condition {operator} {operands[0]}"
        for entry in errors:
            if entry.get("ErrorType") == "NoMatchingCondition":
                return entry.get("NextAction") or None, "Error NoMatchingCondition"
    return transitions.get("NextAction") or None, "NextAction"


class FlowRun:
    def __init__(self, env: FlowEnv, trace: Trace) -> None:
        self.env = env
        self.trace = trace
        self.stack = [env.frame]
        self.current: FlowAction | None = None

    @property
    def where(self) -> str:
        """The action the flow is at, for a record."""
        return f"{self.stack[-1].flow.name} / {self.current.identifier}" if self.current else ""

    def _enter(self, frame: Frame) -> None:
        self.env.frame = frame
        self.env.state.flow_attributes = frame.flow_attributes

    def run(self) -> FlowGenerator:
        self._enter(self.stack[-1])
        next_id: str | None = self.stack[-1].flow.start
        for _ in range(MAX_ACTIONS):
            frame = self.stack[-1]
            if next_id is None and len(self.stack) > 1:
                next_id = self._return(ActionResult())  # a module that runs off its end returns
                continue
            if next_id is None:
                return FlowEnd("disconnected", "the flow reached an action with no next action", self.where)
            action = frame.flow.actions.get(next_id or "")
            if action is None:
                return FlowEnd("error", f"flow {frame.flow.name!r} has no action {next_id!r}")
            self.current = action
            yield Tick(self.where)
            handler = ACTIONS.get(action.type)
            if handler is None:
                return FlowEnd("unsupported", f"unsupported flow action type {action.type!r}", self.where)
            started = handler(self.env, action)
            outcome = started if isinstance(started, ActionResult) else (yield from started)
            control = outcome.control
            if isinstance(control, EndFlow):
                self.trace.add(frame, action, "End", control.reason)
                return FlowEnd(control.how, control.reason, self.where)
            if isinstance(control, TransferFlow | InvokeModule):
                self.trace.add(frame, action, "NextAction", outcome.reason)
                next_id = self._jump(control, action)
                continue
            if isinstance(control, ReturnFromModule):
                self.trace.add(frame, action, "Return", "EndFlowModuleExecution")
                if len(self.stack) == 1:
                    return FlowEnd("ended", "EndFlowModuleExecution outside a module", self.where)
                next_id = self._return(outcome)
                continue
            next_id, branch = _next(action, outcome)
            self.trace.add(frame, action, branch, outcome.reason)
            if outcome.error is not None and branch.endswith("(no branch)"):
                reason = f"{action.type} failed ({outcome.reason}) and has no error branch"
                return FlowEnd("error", reason, self.where)
        return FlowEnd(
            "error", f"the flow ran {MAX_ACTIONS} actions without waiting; is it looping?", self.where
        )

    def _jump(self, control: TransferFlow | InvokeModule, action: FlowAction) -> str:
        if isinstance(control, TransferFlow):
            self.stack = [Frame(control.flow)]  # a transfer leaves every module and flow behind
        else:
            self.stack.append(Frame(control.module, caller=action))
        self._enter(self.stack[-1])
        return self.stack[-1].flow.start

    def _return(self, outcome: ActionResult) -> str | None:
        finished = self.stack.pop()
        self._enter(self.stack[-1])
        assert finished.caller is not None  # only module frames are pushed
        next_id, branch = _next(finished.caller, outcome)
        self.trace.add(self.stack[-1], finished.caller, f"Returned: {branch}", f"from {finished.flow.name!r}")
        return next_id
