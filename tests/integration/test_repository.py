"""The repository base (store/repository.py) on a real database: a row of workspace B is not
found through workspace A's repository, by id, in batches, in selects or in pages; retired
rows are hidden unless asked for; and a use case given A's caller and B's id answers NotFound."""

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from testament.bootstrap import build_context
from testament.domain.access import Principal, Role
from testament.domain.errors import NotFound
from testament.domain.model import Project, TestCase
from testament.services import keys, projects, resources, workspaces
from testament.services import test_cases as tc
from testament.services.context import AppContext
from testament.services.paging import Window
from testament.store.repository import Repository, owned_by
from testament.store.tables import projects as project_table
from tests.conftest import make_settings
from tests.integration.conftest import fresh_database_url


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppContext]:
    folder: Path = tmp_path_factory.mktemp("repository")
    context = build_context(make_settings(folder / "data", fresh_database_url(folder)))
    yield context
    context.db.dispose()


def _principal(ctx: AppContext) -> Principal:
    workspace = workspaces.create_workspace(ctx, f"repository-{uuid.uuid4().hex[:8]}")
    key = keys.create_key(ctx, workspace.id, Role.ADMIN, "admin")
    return keys.authenticate_token(ctx, key.token)


@pytest.fixture(scope="module")
def a(ctx: AppContext) -> Principal:
    return _principal(ctx)


@pytest.fixture(scope="module")
def b(ctx: AppContext) -> Principal:
    return _principal(ctx)


def _projects(ctx: AppContext, who: Principal, count: int) -> list[str]:
    return [projects.create_project(ctx, who, name=f"project {i}").id for i in range(count)]


@pytest.fixture(scope="module")
def mine(ctx: AppContext, a: Principal) -> list[str]:
    """Workspace A's projects (its default project among them), in id order."""
    _projects(ctx, a, 4)
    with ctx.db.reading() as session:
        return sorted(
            session.scalars(select(project_table.c.id).where(project_table.c.workspace_id == a.workspace_id))
        )


@pytest.fixture(scope="module")
def theirs(ctx: AppContext, b: Principal) -> list[str]:
    return _projects(ctx, b, 3)


def _reading(ctx: AppContext, who: Principal, use: Callable[[Repository[Project]], Any]) -> Any:
    with ctx.db.reading() as session:
        return use(Repository(session, Project, who.workspace_id, "project"))


def test_get_finds_a_row_of_the_workspace_and_not_one_of_another(
    ctx: AppContext, a: Principal, mine: list[str], theirs: list[str]
) -> None:
    assert _reading(ctx, a, lambda r: r.get(mine[1])).id == mine[1]
    with pytest.raises(NotFound) as foreign:
        _reading(ctx, a, lambda r: r.get(theirs[0]))
    with pytest.raises(NotFound) as missing:
        _reading(ctx, a, lambda r: r.get("no-such-id"))
    assert str(foreign.value) == f"project {theirs[0]!r} was not found"
    assert str(missing.value) == "project 'no-such-id' was not found"  # the same answer: nothing leaks
    assert _reading(ctx, a, lambda r: r.find(theirs[0])) is None


def test_get_many_reads_in_one_query_in_the_order_asked_and_never_another_workspaces_row(
    ctx: AppContext, a: Principal, mine: list[str], theirs: list[str]
) -> None:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    wanted = [mine[2], mine[0], mine[3]]
    event.listen(ctx.db.engine, "before_cursor_execute", count)
    try:
        found = _reading(ctx, a, lambda r: r.get_many(wanted))
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", count)
    assert [p.id for p in found] == wanted
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    with pytest.raises(NotFound) as foreign:
        _reading(ctx, a, lambda r: r.get_many([mine[0], theirs[1], mine[1]]))
    assert foreign.value.ident == theirs[1]


def test_select_and_a_core_query_hold_only_the_workspaces_rows(
    ctx: AppContext, a: Principal, mine: list[str], theirs: list[str]
) -> None:
    selected = _reading(ctx, a, lambda r: sorted(p.id for p in r.session.scalars(r.select())))
    assert selected == mine
    with ctx.db.reading() as session:
        ids = session.scalars(
            select(project_table.c.id).where(
                owned_by(project_table, a.workspace_id), project_table.c.id.in_(theirs)
            )
        )
        assert list(ids) == []


@pytest.mark.parametrize("descending", [False, True])
def test_keyset_pages_walk_the_workspaces_rows_only(
    ctx: AppContext, a: Principal, mine: list[str], theirs: list[str], descending: bool
) -> None:
    seen: list[str] = []
    after = None
    with ctx.db.reading() as session:
        projects_of_a = Repository(session, Project, a.workspace_id, "project")
        while True:
            rows = projects_of_a.keyset(project_table.c.id, after, 2, descending=descending)
            page = [p.id for p in rows[:2]]
            seen += page
            if len(rows) <= 2:
                break
            after = page[-1]
    assert seen == sorted(mine, reverse=descending)
    assert not set(seen) & set(theirs)


def test_an_offset_page_counts_and_shows_the_workspaces_rows_only(
    ctx: AppContext, a: Principal, mine: list[str]
) -> None:
    window = Window(limit=2, offset=1)
    items, total = _reading(ctx, a, lambda r: r.offset_page(window, project_table.c.id))
    assert total == len(mine)
    assert [p.id for p in items] == mine[1:3]


def test_a_further_test_the_row_fails_is_not_found(ctx: AppContext, a: Principal, mine: list[str]) -> None:
    with pytest.raises(NotFound):
        _reading(ctx, a, lambda r: r.get(mine[0], such_that=lambda p: p.name == "another name"))


def _test_case(ctx: AppContext, who: Principal, name: str) -> str:
    content = {"steps": [{"name": "s", "request": {"url": "http://127.0.0.1:1/x"}}]}
    return tc.create_test_case(ctx, who, kind="http", name=name, content=content).test_case.id


def test_retired_rows_are_hidden_unless_asked_for_and_never_another_workspaces(
    ctx: AppContext, a: Principal, b: Principal
) -> None:
    live, retired, foreign = (
        _test_case(ctx, a, "live"),
        _test_case(ctx, a, "retired"),
        _test_case(ctx, b, "b"),
    )
    with ctx.uow() as uow:
        for who, ident in ((a, retired), (b, foreign)):
            Repository(uow.session, TestCase, who.workspace_id, "test case").get(ident).retire(ctx.clock())
        uow.commit()
    with ctx.db.reading() as session:
        cases = Repository(session, TestCase, a.workspace_id, "test case")
        with pytest.raises(NotFound):
            cases.get(retired)
        assert cases.get(retired, retired=True).id == retired
        with pytest.raises(NotFound):
            cases.get_many([live, retired])
        assert [c.id for c in cases.get_many([live, retired], retired=True)] == [live, retired]
        assert {c.id for c in session.scalars(cases.select())} == {live}
        assert {c.id for c in session.scalars(cases.select(retired=True))} == {live, retired}
        with pytest.raises(NotFound):
            cases.get(foreign, retired=True)


def _in_b(ctx: AppContext, b: Principal) -> dict[str, str]:
    case = _test_case(ctx, b, f"b's case {uuid.uuid4().hex[:6]}")
    flow = resources.create_resource(
        ctx, b, kind="connect.flow", name=f"b's flow {uuid.uuid4().hex[:6]}", body={}
    )
    return {
        "case": case,
        "project": projects.create_project(ctx, b, name=f"b {uuid.uuid4().hex[:6]}").id,
        "flow": flow.id,
    }


USE_CASES: dict[str, Callable[[AppContext, Principal, dict[str, str]], Any]] = {
    "get a test case": lambda ctx, who, ids: tc.get_test_case(ctx, who, ids["case"]),
    "delete a test case": lambda ctx, who, ids: tc.delete_test_case(ctx, who, ids["case"]),
    "get a project": lambda ctx, who, ids: projects.get_project(ctx, who, ids["project"]),
    "get a resource": lambda ctx, who, ids: resources.get_resource(ctx, who, "connect.flow", ids["flow"]),
    "delete a resource": lambda ctx, who, ids: resources.delete_resource(
        ctx, who, "connect.flow", ids["flow"]
    ),
}


@pytest.mark.parametrize("use_case", list(USE_CASES))
def test_a_use_case_cannot_reach_another_workspaces_row(
    ctx: AppContext, a: Principal, b: Principal, use_case: str
) -> None:
    ids = _in_b(ctx, b)
    with pytest.raises(NotFound):
        USE_CASES[use_case](ctx, a, ids)
    assert tc.get_test_case(ctx, b, ids["case"]).test_case.id == ids["case"]  # still there for B
    assert resources.get_resource(ctx, b, "connect.flow", ids["flow"]).id == ids["flow"]
