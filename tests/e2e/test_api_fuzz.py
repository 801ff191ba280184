"""Property-based fuzzing of the whole native API: schemathesis generates valid and invalid
calls of every operation from the OpenAPI document, and every answer must be no 5xx, a status
the document declares for that operation, and a body of the shape it declares for that status.

A tier: heavy, so it runs once per CI run, not once per database (`TESTAMENT_TEST_FUZZ=1`; `.ci/run`
sets it for one of its runs). `make fuzz` runs the long version (`TESTAMENT_FUZZ_EXAMPLES`).
The server it calls runs without an engine, on a database of its own: no test case the fuzzer
creates is ever run, so nothing it writes into a URL is ever called. The seed is fixed, so a
failure is found again by running the test again.
"""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from testament.domain.access import Role
from tests.conftest import LiveServer, fuzz_on, make_settings, new_workspace, start_server
from tests.integration.conftest import fresh_database_url

EXAMPLES = int(os.environ.get("TESTAMENT_FUZZ_EXAMPLES", "8"))  # per operation and mode; make fuzz: more
SEED = 20261129
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def engine_off_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    if not fuzz_on():
        pytest.skip("tier fuzz is off: set TESTAMENT_TEST_FUZZ=1 to run it (make fuzz runs it long)")
    folder = tmp_path_factory.mktemp("fuzz")
    server = start_server(make_settings(folder, fresh_database_url(Path(folder))), start_engine=False)
    yield server
    server.stop()


def test_no_call_of_any_operation_answers_a_5xx_or_what_the_document_does_not_declare(
    engine_off_server: LiveServer,
) -> None:
    workspace = new_workspace(engine_off_server.ctx, engine_off_server.url)
    auth = {"Authorization": f"Bearer {workspace.keys[Role.ADMIN].token}"}
    base_url = f"{engine_off_server.url}/api/v1"
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failure = _fuzz(operation, mode, base_url, auth)
            if failure:
                failures.append(f"{operation.label} ({mode.value}): {failure}")

    assert len(operations) > 60
    assert not failures, "\n\n".join(failures)


def _fuzz(operation: Any, mode: GenerationMode, base_url: str, auth: dict[str, str]) -> str | None:
    """Run one operation's generated calls; the first failure, shrunk, as text (None: all held)."""

    @seed(SEED)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def calls(case: Any) -> None:
        response = case.call(base_url=base_url, headers=auth, timeout=30)
        assert response.status_code < 500, f"{response.status_code}: {response.text[:500]}"
        case.validate_response(response, checks=CHECKS, headers=auth)

    try:
        calls()
    except (Exception, FailureGroup) as failure:  # the shrunk example's failure, and a call reproducing it
        return str(failure)[:3000]
    return None
