"""Searching test cases with a filter tree: the page the caller asks for, in a fixed number of queries.

A surface compiles its own search language (Amazon Connect's SearchCriteria and tag filter)
into the one filter tree (`testament.domain.filters`) over the test-case view's fields
(`views.TEST_CASES`: columns, and tags by `tag:<key>`); the tree becomes one SQL condition, so
a first page reads about as many rows as it shows (plus those the condition skips), whatever
the workspace holds.
"""

from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from testament.domain.access import Permission, Principal
from testament.domain.filters import Node
from testament.domain.model import DataSet, TestCase
from testament.services.context import AppContext
from testament.services.test_cases.read import TEST_CASES
from testament.services.test_cases.write import LIVE, TestCaseView
from testament.store.filters import compile_filter
from testament.store.repository import owned_by
from testament.store.tables import data_sets, test_case_versions, test_cases

__all__ = ["SearchPage", "search_test_cases"]


@dataclass(frozen=True)
class SearchPage:
    """Up to `limit` test cases (with their latest content), whether more follow, and how many
    match in all."""

    views: list[TestCaseView]
    more: bool
    total: int


def search_test_cases(
    app: AppContext,
    principal: Principal,
    *,
    kind: str,
    where: Node | None,
    limit: int,
    after: str | None = None,
) -> SearchPage:
    """Live test cases of `kind` matching `where`, in id order after the id `after`: three
    queries (the page with its contents, their data sets, the count), however many match."""
    principal.require(Permission.READ)
    matching = [owned_by(test_cases, principal.workspace_id), LIVE, test_cases.c.kind == kind]
    if where is not None:
        matching.append(compile_filter(where, TEST_CASES.fields))
    page = (
        select(TestCase, test_case_versions.c.content)
        .join(
            test_case_versions,
            and_(
                test_case_versions.c.test_case_id == test_cases.c.id,
                test_case_versions.c.version == test_cases.c.version,
            ),
        )
        .where(*matching, *([test_cases.c.id > after] if after is not None else []))
        .order_by(test_cases.c.id)
        .limit(limit + 1)
    )
    with app.db.reading() as session:
        rows = session.execute(page).all()
        total = session.execute(select(func.count()).select_from(test_cases).where(*matching)).scalar_one()
        shown = rows[:limit]
        sets = _data_sets_of(session, [case.id for case, _ in shown])
    views = [TestCaseView(case, content, sets.get(case.id, [])) for case, content in shown]
    return SearchPage(views, more=len(rows) > limit, total=int(total))


def _data_sets_of(session: Session, case_ids: list[str]) -> dict[str, list[DataSet]]:
    found: dict[str, list[DataSet]] = {}
    if not case_ids:
        return found
    query = select(DataSet).where(data_sets.c.test_case_id.in_(case_ids)).order_by(data_sets.c.position)
    for data_set in session.scalars(query):
        found.setdefault(data_set.test_case_id, []).append(data_set)
    return found
