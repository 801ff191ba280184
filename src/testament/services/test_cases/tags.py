"""A test case's tags as rows of `test_case_tags`, so every tag filter runs in SQL.

The JSON map on `test_cases.tags` stays what a test case shows; the rows repeat it, one per
key, written with the test case in the same transaction (`write_tags`). A filter by tag is
then an index lookup on (workspace_id, key, value) the same way on SQLite and PostgreSQL,
where JSON functions differ between the two and no index serves them.
"""

from typing import Any

from sqlalchemy import ColumnElement, delete, insert, select
from sqlalchemy.orm import Session

from testament.domain.model import TestCase
from testament.store.repository import owned_by
from testament.store.tables import test_case_tags

__all__ = ["key_with_value", "tagged", "value_of_tag", "write_tags"]


def write_tags(session: Session, case: TestCase) -> None:
    """The case's tags as rows, replacing those it had."""
    session.execute(delete(test_case_tags).where(test_case_tags.c.test_case_id == case.id))
    rows = [
        {"test_case_id": case.id, "workspace_id": case.workspace_id, "key": key, "value": value}
        for key, value in case.tags.items()
    ]
    if rows:
        session.execute(insert(test_case_tags), rows)


def tagged(case_id: ColumnElement[Any], workspace_id: str, tag: str) -> ColumnElement[bool]:
    """Rows whose test case (`case_id`) carries `tag`: `key` (any value) or `key=value`."""
    key, sep, value = tag.partition("=")
    holders = select(test_case_tags.c.test_case_id).where(
        owned_by(test_case_tags, workspace_id), test_case_tags.c.key == key
    )
    if sep:
        holders = holders.where(test_case_tags.c.value == value)
    return case_id.in_(holders)


def value_of_tag(case_id: ColumnElement[Any], key: str) -> ColumnElement[Any]:
    """The value of the case's tag `key`, or NULL without one (a primary-key lookup per row)."""
    return (
        select(test_case_tags.c.value)
        .where(test_case_tags.c.test_case_id == case_id, test_case_tags.c.key == key)
        .scalar_subquery()
    )


def key_with_value(case_id: ColumnElement[Any], value: str) -> ColumnElement[Any]:
    """The first key of the case's tags whose value is `value`, or NULL if none has it."""
    return (
        select(test_case_tags.c.key)
        .where(test_case_tags.c.test_case_id == case_id, test_case_tags.c.value == value)
        .order_by(test_case_tags.c.key)
        .limit(1)
        .scalar_subquery()
    )
