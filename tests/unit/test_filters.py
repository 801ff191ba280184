"""The one filter tree (domain) and its compiler (store): builders surfaces use, compiled and run."""

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert, select

from testament.domain.filters import (
    Call,
    Comparison,
    Constant,
    Field,
    FilterError,
    Kind,
    Logical,
    SortKey,
    all_of,
    any_of,
    check_size,
    equals,
)
from testament.store.filters import compile_filter, compile_order

metadata = MetaData()
cases = Table(
    "filter_cases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(50), nullable=False),
    Column("status", String(20), nullable=True),
)
FIELDS = {"Name": cases.c.name, "Status": cases.c.status, "Id": cases.c.id}
ROWS = [
    {"id": 1, "name": "login works", "status": "SAVED"},
    {"id": 2, "name": "Login fails", "status": "PUBLISHED"},
    {"id": 3, "name": "logout", "status": None},
]


def ids(condition: object = None, order: list[SortKey] | None = None) -> list[int]:
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(insert(cases), ROWS)
        query = select(cases.c.id)
        if condition is not None:
            query = query.where(compile_filter(condition, FIELDS))  # type: ignore[arg-type]
        query = query.order_by(*compile_order(order or [SortKey(Field("Id"))], FIELDS))
        return list(connection.execute(query).scalars())


def test_equals_types_its_constant_from_the_value() -> None:
    assert equals("Status", "SAVED") == Comparison("eq", Field("Status"), Constant("SAVED", Kind.STRING))
    assert equals("Id", 2).right == Constant(2, Kind.NUMBER)
    assert equals("Flag", True).right == Constant(True, Kind.BOOLEAN)
    assert ids(equals("Status", "SAVED")) == [1]


def test_startswith_is_case_sensitive_on_every_database() -> None:
    prefix = Call("startswith", (Field("Name"), Constant("log", Kind.STRING)))
    assert ids(prefix) == [1, 3]


def test_all_of_and_any_of_skip_missing_parts_and_say_none_for_nothing() -> None:
    assert all_of() is None and any_of(None, None) is None
    assert all_of(equals("Id", 1), None) == equals("Id", 1)
    assert ids(any_of(equals("Id", 1), equals("Id", 3))) == [1, 3]
    assert ids(all_of(equals("Id", 1), equals("Status", "PUBLISHED"))) == []


def test_long_lists_stay_shallow_enough_to_compile() -> None:
    many = any_of(*(equals("Id", n) for n in range(120)))
    assert isinstance(many, Logical)
    assert check_size(many) is many
    assert depth(many) <= 9  # balanced: log2(120) levels of "or", not 120
    assert ids(many) == [1, 2, 3]


def depth(node: object) -> int:
    if isinstance(node, Logical):
        return 1 + max(depth(node.left), depth(node.right))
    return 1


def test_sort_keys_put_nulls_last_descending() -> None:
    assert ids(order=[SortKey(Field("Status"), descending=True)]) == [1, 2, 3]
    assert ids(order=[SortKey(Field("Status"))]) == [3, 2, 1]


def test_an_unknown_field_names_the_known_ones() -> None:
    with pytest.raises(FilterError, match=r"Unknown property 'Nmae'.*did you mean 'Name'"):
        compile_filter(equals("Nmae", "x"), FIELDS)
