"""`ConnectRunner`: load the test case and its entry flow, wire the pieces, run the main loop.

The loop (spec §3, [OURS]) advances the flow generator one signal at a time: an emitted event
goes to the test session (whose actions may queue customer input, register overrides, assert,
or end the test); a wait for input takes the next queued input, or lets virtual time pass to the
flow's time limit. `ctx.cancelled` is checked before every step. Nothing sleeps: the 300 s test
limit is virtual.

How a run ends:
- EndTest or a failed Assert: the test stops where it is.
- The flow ends: a disconnected contact fails its pending observations at once; a queued one
  waits (virtually) until the 300 s limit, since no agent will ever answer offline.
- The virtual clock reaches 300 s: pending observations time out.
- A stop request: a STOPPED completion record, Outcome STOPPED.
Then TestCompleted is dispatched, unresolved observations get their records, and one COMPLETION
record closes the run.

What must not happen here: an exception out of `run()` because of what the flow or the test case
says (a missing flow, an unsupported action, a Lambda that fails). Those are FAILED runs with the
reason recorded.
"""

import hashlib
import json
import random
import uuid
from dataclasses import dataclass
from typing import Any

from testament.domain.execution import ExecutionStatus, Outcome, RecordStatus
from testament.runners.base import RunContext
from testament.runners.connect.actions import FlowEnv, Frame
from testament.runners.connect.arns import DEFAULT_REGION, REGION_VARIABLE, instance_arn
from testament.runners.connect.clock import VirtualClock, parse_start_time, stamp
from testament.runners.connect.entry import entry_point
from testament.runners.connect.flow import FlowRun, Trace
from testament.runners.connect.lambdas import invoke_over_http
from testament.runners.connect.matching import DEFAULT_THRESHOLD
from testament.runners.connect.model import AwaitInput, CustomerInput, Emit, FlowEnd, FlowEvent, parse_flow
from testament.runners.connect.overrides import Overrides
from testament.runners.connect.paths import ContactState, text_of
from testament.runners.connect.testing import TestCase, TestingLanguageError, TestSession

__all__ = ["TEST_TIMEOUT_S", "ConnectRunner"]

TEST_TIMEOUT_S = 300.0
MALFORMED = (AttributeError, TypeError, KeyError, ValueError, IndexError)


class ConnectRunner:
    kind = "connect"

    def run(self, content: Any, ctx: RunContext) -> Outcome:
        run = _Run(ctx)
        try:
            return run.execute(_as_dict(content))
        except (
            MALFORMED
        ) as exc:  # content or a flow of a shape nothing above foresaw: a FAILED run, not a crash
            return run.malformed(
                f"the simulator cannot follow this test case or flow: {type(exc).__name__}: {exc}"
            )


def _as_dict(content: Any) -> dict[str, Any]:
    if hasattr(content, "model_dump"):
        dumped: dict[str, Any] = content.model_dump(exclude_none=True)
        return dumped
    return dict(content or {})


@dataclass
class _Setup:
    session: TestSession
    flow: FlowRun


class _Run:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.clock = VirtualClock(parse_start_time(None))
        self.trace = Trace(self.clock)
        self.flow_recorded = False

    # --- setting up -------------------------------------------------------------------------

    def execute(self, content: dict[str, Any]) -> Outcome:
        setup = self._set_up(content)
        if isinstance(setup, str):
            return self._initialization_failure(setup)
        return self._loop(setup.session, setup.flow)

    def _set_up(self, content: dict[str, Any]) -> _Setup | str:
        variables = self.ctx.variables
        try:
            self.clock = VirtualClock(parse_start_time(variables.get("connect.start_time")))
            threshold = float(variables.get("connect.similarity_threshold", DEFAULT_THRESHOLD))
        except (TypeError, ValueError) as exc:
            return f"bad connect.* variable: {exc}"
        self.trace = Trace(self.clock)
        try:
            case = TestCase.parse(str(content.get("Content", "")))
        except TestingLanguageError as exc:
            return str(exc)
        channel, parameters = entry_point(content)
        flow_id = parameters.get("FlowId")
        if not flow_id:
            return "the entry point names no FlowId (phone-number entry points need a flow offline)"
        found = self.ctx.resource("connect.flow", str(flow_id))
        if found is None:
            return f"flow {flow_id} was not found in this workspace"
        flow = parse_flow(found.id, found.name, found.body.get("Content", ""))
        if isinstance(flow, str):
            return flow
        seeded = _initial_attributes(content.get("InitializationData"))
        if isinstance(seeded, str):
            return seeded
        rng = random.Random(_seed(variables.get("connect.seed"), self.ctx.execution_id))
        ids = random.Random(rng.random())  # contact ids must not shift the draws flows see
        state = ContactState(
            contact_id=str(uuid.UUID(int=ids.getrandbits(128), version=4)),
            channel=channel,
            instance_arn=instance_arn(
                str(variables.get(REGION_VARIABLE) or DEFAULT_REGION), self.ctx.workspace_id
            ),
            customer_address=str(parameters.get("SourcePhoneNumber", "")),
            system_address=str(parameters.get("DestinationPhoneNumber", "")),
            attributes=seeded,
        )
        overrides = Overrides()
        env = FlowEnv(
            state,
            self.clock,
            overrides,
            rng,
            self.ctx.resource,
            invoke_over_http,
            self.ctx.remaining_s,
            Frame(flow),
        )
        session = TestSession(case, state, self.clock, overrides, self.ctx.record, threshold)
        return _Setup(session, FlowRun(env, self.trace))

    def malformed(self, message: str) -> Outcome:
        self.ctx.record("flow", RecordStatus.FAILED, {"Type": "FLOW", "Status": "FAILED", "Message": message})
        self._complete("FAILED", ["MALFORMED_CONTENT"], message, None)
        return Outcome(ExecutionStatus.FAILED, message)

    def _initialization_failure(self, message: str) -> Outcome:
        self.ctx.record("flow", RecordStatus.FAILED, {"Type": "FLOW", "Status": "FAILED", "Message": message})
        self._complete("FAILED", ["INITIALIZATION_FAILURE"], message, None)
        return Outcome(ExecutionStatus.FAILED, message)

    # --- the main loop ----------------------------------------------------------------------

    def _loop(self, session: TestSession, flow: FlowRun) -> Outcome:
        session.start()
        if (reason := self.ctx.cancelled) is not None:
            return self._cancelled(reason, session)
        session.dispatch(FlowEvent("TestInitiated"))
        steps = flow.run()
        reply: CustomerInput | None = None
        end: FlowEnd | None = None
        while not session.finished:
            if (reason := self.ctx.cancelled) is not None:
                steps.close()
                return self._cancelled(reason, session)
            if self.clock.elapsed_s >= TEST_TIMEOUT_S:
                break
            try:
                signal = steps.send(reply)
            except StopIteration as stop:
                end = stop.value
                break
            reply = None
            if isinstance(signal, Emit):
                session.dispatch(signal.event)
            elif isinstance(signal, AwaitInput):
                reply = self._customer_input(session, signal)
            if session.customer_disconnected:
                end = FlowEnd(
                    "customer", "the customer disconnected (SendInstruction Disconnect)", flow.where
                )
                break
        steps.close()
        return self._finish(session, flow, end)

    def _customer_input(self, session: TestSession, waiting: AwaitInput) -> CustomerInput | None:
        answer = session.take_input()
        if answer is None:  # no input queued: the flow's time limit passes, virtually
            self.clock.advance_to(min(self.clock.elapsed_s + waiting.timeout_s, TEST_TIMEOUT_S))
        return answer

    # --- the end ----------------------------------------------------------------------------

    def _finish(self, session: TestSession, flow: FlowRun, end: FlowEnd | None) -> Outcome:
        self._record_flow(end, flow)
        if end is not None and end.how == "unsupported":
            session.ended_by = session.ended_by or end.reason
            session.failures.insert(0, ("flow", "UNSUPPORTED_FLOW_ACTION", f"{end.reason} at {end.action}"))
        if not session.finished and end is not None and end.how == "queued" and session.pending():
            self.clock.advance_to(TEST_TIMEOUT_S)  # nobody answers a queue offline
        session.complete()
        why, code = self._why_pending_failed(session, end)
        session.close(why, code)
        if not session.failures:
            self._complete("PASSED", [], self._passed_message(session, end), session)
            return Outcome(ExecutionStatus.PASSED)
        observation, _, message = session.failures[0]
        reason = message if observation == "flow" else f"observation {observation!r} failed: {message}"
        codes = list(dict.fromkeys(code for _, code, _ in session.failures))
        self._complete("FAILED", codes, reason, session)
        return Outcome(ExecutionStatus.FAILED, reason[:500])

    def _why_pending_failed(self, session: TestSession, end: FlowEnd | None) -> tuple[str, str]:
        if session.ended_by is not None:
            return (
                f"the test ended ({session.ended_by}) before this observation matched",
                "OBSERVATION_NOT_MATCHED",
            )
        if self.clock.elapsed_s >= TEST_TIMEOUT_S:
            where = f"; {end.reason}" if end is not None else ""
            return (
                f"timed out after {TEST_TIMEOUT_S:g} s (virtual) waiting for this event{where}",
                "OBSERVATION_TIMEOUT",
            )
        assert end is not None  # the loop only leaves early for the end of the flow or the test
        return f"the contact ended before this event happened: {end.reason}", "OBSERVATION_NOT_MATCHED"

    def _passed_message(self, session: TestSession, end: FlowEnd | None) -> str:
        if session.ended_by is not None:
            return f"the test ended: {session.ended_by}"
        return f"every observation passed; {end.reason}" if end is not None else "every observation passed"

    def _record_flow(self, end: FlowEnd | None, flow: FlowRun) -> None:
        """One record with the flow's trace, when the flow ends or the test ends first."""
        if self.flow_recorded:
            return
        self.flow_recorded = True
        record: dict[str, Any] = {"Type": "FLOW", **stamp(self.clock)}
        if end is None:
            record.update(Status="RUNNING", Message=f"the test ended while the flow was at {flow.where}")
        else:
            record.update(Status=end.how.upper(), Message=end.reason, Action=end.action)
        record.update(self.trace.as_record())
        unsupported = end is not None and end.how == "unsupported"
        self.ctx.record("flow", RecordStatus.FAILED if unsupported else RecordStatus.INFO, record)

    def _cancelled(self, reason: str, session: TestSession) -> Outcome:
        stopped = reason.startswith("stop")
        self._complete(
            "STOPPED" if stopped else "FAILED", ["STOPPED" if stopped else "CANCELLED"], reason, session
        )
        return Outcome(ExecutionStatus.STOPPED if stopped else ExecutionStatus.FAILED, reason)

    def _complete(self, status: str, codes: list[str], message: str, session: TestSession | None) -> None:
        record: dict[str, Any] = {
            "Type": "COMPLETION",
            "Status": status,
            **stamp(self.clock),
            "CompletionReason": {"FailureReasons": codes, "Message": message},
            "VirtualDurationSeconds": round(self.clock.elapsed_s, 3),
        }
        if session is not None:
            record["ObservationSummary"] = session.summary()
        self.ctx.record("COMPLETION", RecordStatus.INFO, record)


def _seed(value: Any, execution_id: str) -> int:
    if value is not None and str(value).strip().lstrip("-").isdigit():
        return int(str(value).strip())
    text = str(value) if value is not None else execution_id
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _initial_attributes(data: Any) -> dict[str, str] | str:
    """`$.Attributes` from InitializationData: {"Attributes": {...}} or, as a fallback, a flat map."""
    if data in (None, ""):
        return {}
    try:
        parsed = json.loads(data) if isinstance(data, str) else data
    except ValueError as exc:
        return f"InitializationData is not valid JSON: {exc}"
    if not isinstance(parsed, dict):
        return "InitializationData must be a JSON object"
    attributes = parsed.get("Attributes") if isinstance(parsed.get("Attributes"), dict) else None
    if attributes is None:
        attributes = {k: v for k, v in parsed.items() if k != "SegmentAttributes" and text_of(v) is not None}
    return {str(key): text_of(value) or "" for key, value in attributes.items()}
