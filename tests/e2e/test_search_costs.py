"""A search's first page runs the same few SQL statements whatever the workspace holds:
SearchTestCases through boto3 and the native executions list filtered by a tag, each asked
of a workspace of 10 test cases and of one of 200 (statements counted on the server's engine)."""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from testament.services import executions as ex
from testament.services import test_cases as tc
from tests.conftest import LiveServer, Workspace, new_workspace, wait_for
from tests.e2e.test_aws_connect_test_cases import connect_client

TABLES = ("test_cases", "test_case_versions", "test_case_tags", "data_sets", "executions")


@contextmanager
def statements(live: LiveServer) -> Iterator[list[str]]:
    """The statements requests run meanwhile on the tables a search reads (the engine's own
    threads, which poll the queue and run executions, are not counted)."""
    seen: list[str] = []

    def listen(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        engine_side = threading.current_thread().name.startswith("testament-")
        if not engine_side and any(f" {table}" in statement for table in TABLES):
            seen.append(statement)

    event.listen(live.ctx.db.engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(live.ctx.db.engine, "before_cursor_execute", listen)


def arranged(live: LiveServer, count: int) -> Workspace:
    """A workspace of `count` Connect test cases, every tenth named billing-… and tagged hot."""
    workspace = new_workspace(live.ctx, live.url)
    principal = workspace.principal(live.ctx)
    for i in range(count):
        hot = i % 10 == 0
        tc.create_test_case(
            live.ctx,
            principal,
            kind="connect",
            name=f"billing-{i:03d}" if hot else f"case-{i:03d}",
            content={"Content": "{}"},
            tags={"heat": "hot"} if hot else {"heat": "cold"},
        )
    return workspace


def counted(live: LiveServer, call: Callable[[], Any]) -> tuple[Any, list[str]]:
    with statements(live) as seen:
        answer = call()
    return answer, seen


def search_first_page(live: LiveServer, workspace: Workspace) -> tuple[Any, list[str]]:
    connect = connect_client(live, workspace)
    try:
        return counted(
            live,
            lambda: connect.search_test_cases(
                InstanceId=workspace.id,
                MaxResults=3,
                SearchCriteria={
                    "StringCondition": {
                        "FieldName": "name",
                        "Value": "billing-",
                        "ComparisonType": "STARTS_WITH",
                    }
                },
                SearchFilter={"TagFilter": {"TagCondition": {"TagKey": "heat", "TagValue": "hot"}}},
            ),
        )
    finally:
        connect.close()


def test_search_test_cases_runs_as_many_statements_for_200_test_cases_as_for_10(live: LiveServer) -> None:
    small, small_statements = search_first_page(live, arranged(live, 10))
    big, big_statements = search_first_page(live, arranged(live, 200))

    assert [c["Name"] for c in small["TestCases"]] == ["billing-000"] and "NextToken" not in small
    assert [c["Name"] for c in big["TestCases"]] == ["billing-000", "billing-010", "billing-020"]
    assert big["ApproximateTotalCount"] == 20 and "NextToken" in big
    assert len(big_statements) == len(small_statements) <= 4, big_statements


def with_executions(live: LiveServer, count: int) -> tuple[Workspace, set[str]]:
    """A workspace of `count` published noop test cases, every tenth tagged hot, and one
    execution of each of the first ten; returns the ids of the hot ones' executions."""
    workspace = new_workspace(live.ctx, live.url)
    principal = workspace.principal(live.ctx)
    runs, hot_runs = set(), set()
    for i in range(count):
        case = tc.create_test_case(
            live.ctx,
            principal,
            kind="noop",
            name=f"noop-{i:03d}",
            content={},
            tags={"heat": "hot" if i % 10 == 0 else "cold"},
            publish=True,
        )
        if i < 10:
            started = ex.start_execution(live.ctx, principal, test_case_id=case.test_case.id)
            runs |= {x.id for x in started.executions}
            if i % 10 == 0:
                hot_runs |= {x.id for x in started.executions}

    def finished() -> bool:  # then no runner thread writes while the list is counted
        return all(ex.get_execution(live.ctx, principal, run).status.is_terminal for run in runs)

    wait_for(finished)
    return workspace, hot_runs


def executions_by_tag(live: LiveServer, workspace: Workspace) -> tuple[Any, list[str]]:
    with workspace.client() as api:
        return counted(live, lambda: api.get("/executions", params={"tag": "heat=hot", "limit": 5}).json())


def test_the_tag_filter_of_executions_reads_no_test_case_for_200_test_cases_or_for_10(
    live: LiveServer,
) -> None:
    small_workspace, small_hot = with_executions(live, 10)
    big_workspace, big_hot = with_executions(live, 200)
    small, small_statements = executions_by_tag(live, small_workspace)
    big, big_statements = executions_by_tag(live, big_workspace)

    assert {x["id"] for x in small["items"]} == small_hot and len(small_hot) == 1
    assert {x["id"] for x in big["items"]} == big_hot and len(big_hot) == 1
    assert len(big_statements) == len(small_statements) == 1, small_statements
    assert "test_cases.tags" not in big_statements[0]  # the tag rows answer, by index
