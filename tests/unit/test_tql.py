"""The simple TQL of the vendor's search collections compiles to SQL returning exactly the
expected rows (the OData tests' table and rows, on SQLite and on PostgreSQL when configured)."""

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import ColumnElement, Connection, select

from testament.compat.enterprise_tester.odata import ODataError
from testament.compat.enterprise_tester.tql import parse_tql
from testament.store.filters import compile_filter, compile_order, kind_of
from tests.unit.test_odata import ALL, FIELDS, conn, runs

__all__ = ["conn"]  # the fixture, shared with the OData tests

KINDS = {name: kind_of(column.type) for name, column in FIELDS.items()}


@dataclass(frozen=True)
class Compiled:
    where: ColumnElement[bool] | None
    order_by: list[ColumnElement[Any]]


def compiled(tql: str, fields: dict[str, ColumnElement[Any]]) -> Compiled:
    """TQL parsed by the surface (typing bare values by the fields' kinds), compiled by the read side."""
    query = parse_tql(tql, {name: KINDS[name] for name in fields})
    where = compile_filter(query.where, fields) if query.where is not None else None
    return Compiled(where, compile_order(query.order_by, fields))


def matching(connection: Connection, tql: str) -> set[str]:
    query = compiled(tql, FIELDS)
    statement = select(runs.c.name)
    if query.where is not None:
        statement = statement.where(query.where)
    return set(connection.execute(statement).scalars())


@pytest.mark.parametrize(
    ("tql", "expected"),
    [
        ("Status = Passed", {"test login", "Checkout TEST", "A_b"}),
        ('Status = "Not Run"', {"O'Brien test 50%"}),
        ("Status != Passed", {"John", "john", "O'Brien test 50%"}),
        ("status = Passed AND duration > 30", {"Checkout TEST"}),
        ("Duration >= 120 OR Name = john", {"John", "john", "O'Brien test 50%"}),
        ("Duration < 30", {"john", "A_b"}),
        ("Duration <= 30", {"john", "A_b", "test login"}),
        ("Name ~ TEST", {"test login", "Checkout TEST", "O'Brien test 50%"}),
        ("Name !~ test", {"John", "john", "A_b"}),
        ("NOT (Status = Passed OR Status = Failed)", {"john", "O'Brien test 50%"}),
        ("(Status = Passed OR Status = Failed) and Active = true", {"test login", "A_b"}),
        ("Notes = EMPTY", {"test login", "Checkout TEST"}),
        ("Notes != null", {"John", "john", "O'Brien test 50%", "A_b"}),
        ("CreatedAt >= 2012-01-01", {"john", "Checkout TEST"}),
        ("CreatedAt < 2011-03-04T05:06:08", {"test login", "O'Brien test 50%"}),
        ("Name = 'O\\'Brien test 50%'", {"O'Brien test 50%"}),
        ("Score = 1.5", {"test login", "A_b"}),
        ("", ALL),
    ],
)
def test_each_operator_returns_exactly_the_matching_rows(
    conn: Connection, tql: str, expected: set[str]
) -> None:
    assert matching(conn, tql) == expected


def test_order_by_keys_apply_in_turn(conn: Connection) -> None:
    query = compiled("Active = true ORDER BY Score DESC, name", FIELDS)
    names = conn.execute(select(runs.c.name).where(query.where).order_by(*query.order_by)).scalars()
    assert list(names) == ["A_b", "test login", "john", "O'Brien test 50%"]
    only_order = compiled("order by Duration desc", FIELDS)
    assert only_order.where is None and len(only_order.order_by) == 1


@pytest.mark.parametrize(
    ("tql", "message"),
    [
        ("Status Passed", "Expected an operator (=, !=, ~, !~, >, >=, <, <=) at position 7, found 'Passed'"),
        ("Status = ", "Expected a value at position 9, found end of input"),
        ("Duration = many", "Expected a number at position 11, found 'many'"),
        ("Nickname = x", "Unknown property 'Nickname' at position 0"),
        ("(Status = Passed", "Expected AND, OR or ')' at position 16, found end of input"),
        ("Status = Passed Name = x", "Expected AND, OR, ORDER BY or the end of the query at position 16"),
        ('Name = "open', "Unterminated quoted value at position 7"),
        ("CreatedAt > yesterday", "Malformed datetime at position 12"),
        ("Duration ~ 3", "'~' at position 9 expected a text to look for"),
    ],
)
def test_a_bad_query_says_where_it_failed(tql: str, message: str) -> None:
    with pytest.raises(ODataError) as failed:
        compiled(tql, FIELDS)
    assert failed.value.message.startswith(message), failed.value.message


@pytest.mark.parametrize(
    ("tql", "message"),
    [
        ("Duration = 99999999999999999999", "Number out of range at position 11"),
        ("Duration = " + "9" * 5000, "Number out of range at position 11"),
        ("(" * 400 + "Duration = 1" + ")" * 400, "The expression is nested too deeply"),
        ("NOT " * 400 + "Duration = 1", "The expression is nested too deeply"),
        (" OR ".join(["Duration = 1"] * 1000), "The expression is too long"),
        ("CreatedAt >= 0001-01-01T00:00:00+01:00", "Malformed datetime at position 13"),
        ("Active > true", "Cannot use 'gt' with a boolean"),
        ("Name = Hello!", "Unexpected character '!' at position 12"),
    ],
)
def test_inputs_that_no_database_could_run_are_refused_with_where(tql: str, message: str) -> None:
    with pytest.raises(ODataError) as failed:
        compiled(tql, FIELDS)
    assert failed.value.message.startswith(message), failed.value.message


def test_quoted_values_take_the_fields_type(conn: Connection) -> None:
    assert matching(conn, 'CreatedAt >= "2012-01-01"') == {"john", "Checkout TEST"}
    assert matching(conn, "Duration = '120'") == {"John"}
