"""The `noop` runner: one INFO record, then PASSED. Measures the engine, not a system."""

from typing import Any

from testament.domain.execution import ExecutionStatus, Outcome, RecordStatus
from testament.runners.base import RunContext

__all__ = ["NoopRunner"]


class NoopRunner:
    kind = "noop"

    def run(self, content: Any, ctx: RunContext) -> Outcome:
        ctx.record("noop", RecordStatus.PASSED, {"note": content.get("note", "")})
        return Outcome(ExecutionStatus.PASSED)
