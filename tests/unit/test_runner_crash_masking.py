"""A runner that crashes must not leak secrets: its error record, the execution's reason and
the server log show *** where a secret value was."""

import logging
from typing import Any

import pytest

from testament.domain.execution import Execution, ExecutionStatus, RecordStatus
from testament.engine import worker
from testament.engine.queue import Job
from testament.kit.clock import utcnow

SECRET = "s3cr3t-token-value"
CONTENT_SECRET = "pa55word"


class CrashingRunner:
    """A runner with a bug: it raises with a message and locals that hold secret values."""

    kind = "http"

    def run(self, content: Any, ctx: Any) -> Any:
        url = f"https://api.example.com/?token={ctx.variables['token']}&pw={content['variables']['password']}"
        raise ConnectionError(f"could not open {url}")


class RecordingContext:
    def __init__(self) -> None:
        self.variables = {"token": SECRET, "base": "https://api.example.com"}
        self.secret_names = frozenset({"token"})
        self.records: list[tuple[str, RecordStatus, dict[str, Any]]] = []
        self.masker: Any = None

    def record(self, observation_id: str, status: RecordStatus, record: dict[str, Any]) -> int:
        self.records.append((observation_id, status, record))
        return len(self.records)


def test_a_crash_record_reason_and_log_hide_secret_values(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(worker, "runner_for", lambda kind: CrashingRunner())
    execution = Execution("e1", "w1", "c1", 1, "http", ExecutionStatus.RUNNING, utcnow(), "ci")
    content = {"variables": {"password": CONTENT_SECRET}, "secrets": ["password"], "steps": []}
    ctx = RecordingContext()
    ctx.masker = worker._masker(Job(execution, content), ctx)  # type: ignore[arg-type]  # as EngineRunContext does

    with caplog.at_level(logging.ERROR):
        outcome = worker._run_attempt(Job(execution, content), ctx)  # type: ignore[arg-type]

    ((observation, status, record),) = ctx.records
    assert (observation, status, outcome.status) == ("runner", RecordStatus.ERROR, ExecutionStatus.ERROR)
    shown = [record["error"], record["traceback"], outcome.reason, caplog.text]
    assert all(SECRET not in text and CONTENT_SECRET not in text for text in shown), shown
    assert "token=***&pw=***" in record["error"] and "ConnectionError" in caplog.text
