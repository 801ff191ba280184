"""The contract between the engine and a runner."""

from dataclasses import dataclass
from typing import Any, Protocol

from testament.domain.execution import Outcome, RecordStatus

__all__ = ["ResourceView", "RunContext", "Runner"]


@dataclass(frozen=True)
class ResourceView:
    """A workspace resource as a runner sees it: read-only."""

    id: str
    kind: str
    name: str
    body: dict[str, Any]


class RunContext(Protocol):
    execution_id: str
    workspace_id: str
    attempt: int
    variables: dict[str, Any]
    """Environment, data set and start-time variables, merged in that order, over the built-in
    `testament_url` (the server's base URL; left out when the content names it, so that holds)."""
    secret_names: frozenset[str]
    """Variables whose values are secrets: runners mask them wherever they would be recorded."""

    @property
    def cancelled(self) -> str | None:
        """Why the run must end now ('stopped', 'timed out'), or None to go on."""

    def remaining_s(self) -> float:
        """Seconds left before the execution's maximum duration."""

    def record(self, observation_id: str, status: RecordStatus, record: dict[str, Any]) -> int:
        """Append one record (visible at once to readers); returns its sequence number."""

    def add_artifact(self, name: str, data: bytes, media_type: str, record_seq: int | None = None) -> str:
        """Store a file for this execution; returns the artifact's id."""

    def resource(self, kind: str, reference: str) -> "ResourceView | None":
        """A resource of the execution's workspace (a Connect flow, queue, hours of operation,
        Lambda mapping ...) by id, by an ARN whose last path segment is its id, or by name.
        None when there is no such resource."""


class Runner(Protocol):
    kind: str

    def run(self, content: Any, ctx: RunContext) -> Outcome: ...
