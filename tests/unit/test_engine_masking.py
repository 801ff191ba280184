"""The engine masks whatever any runner records, keeps as a text artifact or gives as its reason:
a runner that forgets to mask a secret (or one that meets it URL-encoded or JSON-escaped) cannot
leak it."""

import json
from datetime import timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import pytest
from cryptography.fernet import Fernet

from testament.domain.execution import Execution, ExecutionStatus, Outcome, RecordStatus
from testament.engine import queue, worker
from testament.engine.queue import Job
from testament.kit.clock import utcnow

SECRET = 'to"k&en +/ö'


class ForgetfulRunner:
    """Writes the secret, in the forms it was sent in, everywhere it may write."""

    kind = "noop"

    def run(self, content: Any, ctx: Any) -> Outcome:
        token = ctx.variables["token"]
        ctx.record("step", RecordStatus.FAILED, {"url": f"https://h/?t={quote(token)}", "sent": {"t": token}})
        ctx.add_artifact("body", json.dumps({"t": token}).encode(), "application/json")
        ctx.add_artifact("image", b"\xff\xd8 not text", "image/jpeg")
        return Outcome(ExecutionStatus.FAILED, f"the target answered {json.dumps(token)}")


def test_what_a_runner_records_keeps_and_reports_is_masked_by_the_engine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    box = Fernet(Fernet.generate_key())
    app = SimpleNamespace(settings=SimpleNamespace(public_url=None), secret_box=box, clock=utcnow)
    execution = Execution("e1", "w1", "c1", 1, "noop", ExecutionStatus.RUNNING, utcnow(), "ci")
    execution.variables = {"token": {"$secret": box.encrypt(SECRET.encode()).decode()}}
    execution.deadline_at = utcnow() + timedelta(minutes=1)
    written: list[Any] = []
    monkeypatch.setattr(queue, "append_record", lambda *args, **_kw: written.append(args[5]) or 1)
    monkeypatch.setattr(queue, "add_artifact", lambda *args: written.append(args[4]) or "a1")
    monkeypatch.setattr(worker, "runner_for", lambda kind: ForgetfulRunner())
    ctx = worker.EngineRunContext(app, Job(execution, {}), "owner")  # type: ignore[arg-type]

    outcome = worker._run_attempt(Job(execution, {}), ctx)

    record, text_artifact, binary_artifact = written
    assert record == {"url": "https://h/?t=***", "sent": {"t": "***"}}
    assert json.loads(text_artifact) == {"t": "***"}
    assert binary_artifact == b"\xff\xd8 not text"
    assert outcome == Outcome(ExecutionStatus.FAILED, 'the target answered "***"')
