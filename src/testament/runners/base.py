"""The contract between the engine and a runner."""

from typing import Any, Protocol

from testament.domain.execution import Outcome, RecordStatus

__all__ = ["RunContext", "Runner"]


class RunContext(Protocol):
    execution_id: str
    attempt: int
    variables: dict[str, Any]
    """Environment, data set and start-time variables, merged in that order."""

    @property
    def cancelled(self) -> str | None:
        """Why the run must end now ('stopped', 'timed out'), or None to go on."""

    def remaining_s(self) -> float:
        """Seconds left before the execution's maximum duration."""

    def record(self, observation_id: str, status: RecordStatus, record: dict[str, Any]) -> int:
        """Append one record (visible at once to readers); returns its sequence number."""

    def add_artifact(self, name: str, data: bytes, media_type: str, record_seq: int | None = None) -> str:
        """Store a file for this execution; returns the artifact's id."""


class Runner(Protocol):
    kind: str

    def run(self, content: Any, ctx: RunContext) -> Outcome: ...
