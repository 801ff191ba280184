"""Test cases as the surfaces query them: the TEST_CASES view (columns, and tags by key or
value) and its query function."""

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import ColumnElement, func

from testament.domain.access import Permission, Principal
from testament.domain.model import TestCase
from testament.services import read_side
from testament.services.context import AppContext
from testament.services.read_side import Selection, View
from testament.services.test_cases.tags import key_with_value, value_of_tag
from testament.store import tables as t
from testament.store.repository import Repository
from testament.store.tables import test_cases

__all__ = ["TAG", "TAG_KEY_WITH_VALUE", "TEST_CASES", "query_test_cases"]


TAG = "tag:"
TAG_KEY_WITH_VALUE = "tag-key-with-value:"


class _TestCaseFields(Mapping[str, ColumnElement[Any]]):
    """A test case's columns, and its tags: `tag:<key>` is the value of tag `key` (null without
    one), `tag-key-with-value:<value>` a key whose tag has that value (null if none has it);
    each made when a tree names it, as a lookup in test_case_tags."""

    # the version a test case shows is its published one, else its newest draft
    columns: Mapping[str, ColumnElement[Any]] = {
        "id": t.test_cases.c.id,
        "name": t.test_cases.c.name,
        "description": t.test_cases.c.description,
        "status": t.test_cases.c.status,
        "version": func.coalesce(t.test_cases.c.published_version, t.test_cases.c.version),
        "created_at": t.test_cases.c.created_at,
        "updated_at": t.test_cases.c.updated_at,
    }

    def __getitem__(self, name: str) -> ColumnElement[Any]:
        if name.startswith(TAG):
            return value_of_tag(t.test_cases.c.id, name.removeprefix(TAG))
        if name.startswith(TAG_KEY_WITH_VALUE):
            return key_with_value(t.test_cases.c.id, name.removeprefix(TAG_KEY_WITH_VALUE))
        return self.columns[name]

    def __iter__(self) -> Iterator[str]:
        return iter([*self.columns, f"{TAG}<key>", f"{TAG_KEY_WITH_VALUE}<value>"])

    def __len__(self) -> int:
        return len(self.columns) + 2


TEST_CASES = View(_TestCaseFields())


def query_test_cases(
    app: AppContext, principal: Principal, selection: Selection, *, kind: str
) -> tuple[list[TestCase], int]:
    """Test cases of one kind in a surface's query window (over the test_cases table)."""
    window = read_side.window(TEST_CASES, selection)
    principal.require(Permission.READ)
    with app.db.reading() as session:
        live_cases = Repository(session, TestCase, principal.workspace_id, "test case")
        return live_cases.offset_page(window, test_cases.c.id, test_cases.c.kind == kind)
