"""Domain events, published on the in-process bus after the transaction that made them commits."""

from dataclasses import dataclass

__all__ = [
    "ExecutionEvent",
    "ExecutionFinished",
    "ExecutionQueued",
    "ExecutionStarted",
    "ExecutionStopRequested",
    "RecordAdded",
]


@dataclass(frozen=True)
class ExecutionEvent:
    workspace_id: str
    execution_id: str


@dataclass(frozen=True)
class ExecutionQueued(ExecutionEvent):
    pass


@dataclass(frozen=True)
class ExecutionStarted(ExecutionEvent):
    attempt: int


@dataclass(frozen=True)
class RecordAdded(ExecutionEvent):
    seq: int
    status: str


@dataclass(frozen=True)
class ExecutionFinished(ExecutionEvent):
    status: str
    frees_capacity: bool = True
    """Whether its end may let a worker claim what it could not before: it freed a running slot
    of a workspace that was at its cap. Otherwise idle workers had every chance already, and
    waking them would only make claims that find nothing."""


@dataclass(frozen=True)
class ExecutionStopRequested(ExecutionEvent):
    pass
