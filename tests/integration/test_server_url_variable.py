"""`testament_url`: every execution knows the server's own base URL, under all other variables."""

from typing import Any

from testament.domain.execution import ExecutionStatus
from testament.services import executions as ex
from testament.services import test_cases as tc
from tests.integration.test_engine import finished, records


def publish(engine: Any, name: str, url: str, variables: dict[str, str] | None = None) -> str:
    step = {"name": "get", "request": {"url": url}, "expect": {"status": 200}}
    content: dict[str, Any] = {"steps": [step], **({"variables": variables} if variables else {})}
    view = tc.create_test_case(
        engine.ctx, engine.principal, kind="http", name=name, content=content, publish=True
    )
    return view.test_case.id


def run(engine: Any, case_id: str, **start: Any) -> tuple[ExecutionStatus, str]:
    started = ex.start_execution(engine.ctx, engine.principal, test_case_id=case_id, **start)
    execution = finished(engine, started.executions[0].id)
    sent = records(engine, execution.id)[0].record["request"]["url"]
    return execution.status, sent


def test_a_step_reaches_the_server_through_testament_url(make_engine: Any, target: Any) -> None:
    engine = make_engine(public_url=target.url + "/").start()  # a trailing slash is dropped
    case = publish(engine, "own url", "{{testament_url}}/ok")

    assert run(engine, case) == (ExecutionStatus.PASSED, f"{target.url}/ok")


def test_the_contents_own_variable_and_a_start_variable_override_testament_url(
    make_engine: Any, target: Any
) -> None:
    engine = make_engine(public_url="http://127.0.0.1:9").start()  # nothing listens there
    named = publish(engine, "names it", "{{testament_url}}/ok", {"testament_url": target.url})
    plain = publish(engine, "plain", "{{testament_url}}/ok")

    assert run(engine, named) == (ExecutionStatus.PASSED, f"{target.url}/ok")
    assert run(engine, plain, variables={"testament_url": target.url}) == (
        ExecutionStatus.PASSED,
        f"{target.url}/ok",
    )


def test_without_a_public_url_testament_url_is_an_unknown_variable(make_engine: Any, target: Any) -> None:
    engine = make_engine().start()
    case = publish(engine, "own url", "{{testament_url}}/ok")

    started = ex.start_execution(engine.ctx, engine.principal, test_case_id=case)
    execution = finished(engine, started.executions[0].id)

    assert execution.status == ExecutionStatus.FAILED
    assert "testament_url" in (execution.reason or "")
