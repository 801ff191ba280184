"""OData `$filter`/`$orderby`/paging compile to SQL that returns exactly the expected rows.

Every row assertion runs on an in-memory SQLite database, and also on PostgreSQL when
TESTAMENT_TEST_DATABASE_URL names a server. The PostgreSQL session runs in a far-off time
zone (UTC+14) so that date functions are shown to read timestamps in UTC.
"""

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    select,
    text,
)
from sqlalchemy.sql.elements import ColumnElement

from testament.compat.enterprise_tester.odata import (
    DEFAULT_TOP,
    Call,
    Comparison,
    Constant,
    Kind,
    Logical,
    Not,
    ODataError,
    Property,
    QueryOptions,
    parse_filter,
    parse_orderby,
)
from testament.store.filters import compile_filter, compile_order
from testament.store.tables import UtcDateTime

metadata = MetaData()
runs = Table(
    "odata_runs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("due_at", DateTime(), nullable=True),  # naive, meant as UTC
    Column("notes", String(100), nullable=True),
    Column("duration", Integer, nullable=False),
    Column("score", Float, nullable=False),
    Column("active", Boolean, nullable=False),
)
FIELDS: dict[str, ColumnElement[Any]] = {
    "Id": runs.c.id,
    "Name": runs.c.name,
    "Status": runs.c.status,
    "CreatedAt": runs.c.created_at,
    "DueAt": runs.c.due_at,
    "Notes": runs.c.notes,
    "Duration": runs.c.duration,
    "Score": runs.c.score,
    "Active": runs.c.active,
}

G1 = "0f8fad5b-d9cb-469f-a165-70867728950e"


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


ROWS = [
    (G1, "test login", "Passed", utc(2011, 3, 4, 5, 6, 7), None, None, 30, 1.5, True),
    ("7c9e6679-7425-40de-944b-e07fc1f90ae7", "John", "Failed", utc(2011, 12, 31, 23, 59, 59),
     datetime(2012, 1, 15, 9, 0), "O'Brien said hi", 120, 2.25, False),
    ("16fd2706-8baf-433b-82eb-8c7fada847da", "john", "Blocked", utc(2012, 1, 1, 0, 0, 0),
     datetime(2012, 2, 1), "flaky", 0, 0.5, True),
    ("886313e1-3b8a-5372-9b90-0c9aee199e5d", "Checkout TEST", "Passed", utc(2013, 6, 15, 12, 30, 45, 750000),
     None, None, 45, 3.0, False),
    ("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "O'Brien test 50%", "Not Run", utc(2010, 2, 28, 8, 0, 0),
     datetime(2010, 3, 1), "50% done", 200, -1.0, True),
    ("b1ffcd88-8d1a-3de7-aa5c-5aa8ac269b22", "A_b", "Passed", utc(2011, 7, 20, 18, 45, 10),
     None, "", 7, 1.5, True),
]  # fmt: skip
COLUMNS = ["id", "name", "status", "created_at", "due_at", "notes", "duration", "score", "active"]
ALL = {row[1] for row in ROWS}

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TESTAMENT_TEST_DATABASE_URL") else [])


@pytest.fixture(scope="module", params=BACKENDS)
def conn(request: pytest.FixtureRequest) -> Iterator[Connection]:
    """The rows above, in a transaction that is rolled back at the end: nothing is left behind."""
    url = "sqlite://" if request.param == "sqlite" else os.environ["TESTAMENT_TEST_DATABASE_URL"]
    engine = create_engine(url)
    with engine.connect() as connection:
        transaction = connection.begin()
        if request.param == "postgresql":
            connection.execute(text("SET LOCAL TIME ZONE 'Pacific/Kiritimati'"))
        metadata.create_all(connection)
        connection.execute(runs.insert(), [dict(zip(COLUMNS, row, strict=True)) for row in ROWS])
        yield connection
        transaction.rollback()
    engine.dispose()


def order_by(orderby: str, fields: dict[str, ColumnElement[Any]]) -> list[ColumnElement[Any]]:
    """`$orderby` parsed by the surface, compiled by the read side (as a collection query does)."""
    return compile_order(parse_orderby(orderby), fields)


def matching(conn: Connection, filter_text: str) -> set[str]:
    condition = compile_filter(parse_filter(filter_text), FIELDS)
    return set(conn.execute(select(runs.c.name).where(condition)).scalars())


def ordered(conn: Connection, orderby: str, filter_text: str | None = None) -> list[str]:
    statement = select(runs.c.name).order_by(*order_by(orderby, FIELDS))
    if filter_text is not None:
        statement = statement.where(compile_filter(parse_filter(filter_text), FIELDS))
    return list(conn.execute(statement).scalars())


def cases(table: list[tuple[str, set[str]]]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize(("filter_text", "expected"), table, ids=[case[0] for case in table])


# ------------------------------------------------------------------------------------ rows


@cases(
    [
        ("Name eq 'john'", {"john"}),
        ("Status ne 'Passed'", {"John", "john", "O'Brien test 50%"}),
        ("Duration gt 45", {"John", "O'Brien test 50%"}),
        ("Duration ge 45", {"John", "O'Brien test 50%", "Checkout TEST"}),
        ("Duration lt 30", {"john", "A_b"}),
        ("Duration le 30", {"john", "A_b", "test login"}),
        ("Score eq 1.5", {"test login", "A_b"}),
        ("Score lt -0.5", {"O'Brien test 50%"}),
        ("Score ge 2.25d", {"John", "Checkout TEST"}),
        ("Duration eq 120L", {"John"}),
        ("30 eq Duration", {"test login"}),
        ("Duration gt 1e2", {"John", "O'Brien test 50%"}),
    ]
)
def test_each_comparison_operator_returns_exactly_the_matching_rows(
    conn: Connection, filter_text: str, expected: set[str]
) -> None:
    assert matching(conn, filter_text) == expected


@cases(
    [
        ("Notes eq null", {"test login", "Checkout TEST"}),
        ("Notes ne null", {"John", "john", "O'Brien test 50%", "A_b"}),
        ("null eq Notes", {"test login", "Checkout TEST"}),
        ("DueAt ne null and Notes ne null", {"John", "john", "O'Brien test 50%"}),
    ]
)
def test_null_comparisons_are_is_null_and_is_not_null(
    conn: Connection, filter_text: str, expected: set[str]
) -> None:
    assert matching(conn, filter_text) == expected


@cases(
    [
        ("Active eq true", {"test login", "john", "O'Brien test 50%", "A_b"}),
        ("Active eq false", {"John", "Checkout TEST"}),
        ("Active ne true", {"John", "Checkout TEST"}),
        ("Active", {"test login", "john", "O'Brien test 50%", "A_b"}),
        ("not Active", {"John", "Checkout TEST"}),
        ("true", ALL),
        ("false", set()),
    ]
)
def test_boolean_properties_and_literals_are_conditions(
    conn: Connection, filter_text: str, expected: set[str]
) -> None:
    assert matching(conn, filter_text) == expected


@cases(
    [
        ("CreatedAt lt datetime'2011-01-01T00:00:00'", {"O'Brien test 50%"}),
        ("CreatedAt ge datetime'2012-01-01T00:00:00'", {"john", "Checkout TEST"}),
        ("CreatedAt eq datetime'2011-12-31T23:59:59Z'", {"John"}),
        ("CreatedAt eq datetime'2012-01-01T09:00:00+09:00'", {"john"}),
        ("CreatedAt gt datetime'2013-06-15T12:30:45.5'", {"Checkout TEST"}),
        ("CreatedAt gt datetime'2013-06-15T12:30'", {"Checkout TEST"}),
        ("datetime'2011-06-01T00:00:00' gt CreatedAt", {"test login", "O'Brien test 50%"}),
        ("DueAt ge datetime'2012-01-15T09:00:00'", {"John", "john"}),
        ("DueAt gt datetime'2012-01-15T10:00:00+02:00'", {"John", "john"}),
    ]
)
def test_datetime_literals_are_utc_and_compare_with_aware_and_naive_columns(
    conn: Connection, filter_text: str, expected: set[str]
) -> None:
    assert matching(conn, filter_text) == expected


@cases(
    [
        (f"Id eq guid'{G1.upper()}'", {"test login"}),
        (f"Id ne guid'{G1}'", ALL - {"test login"}),
        ("Notes eq 'O''Brien said hi'", {"John"}),
        ("Name eq 'O''Brien test 50%'", {"O'Brien test 50%"}),
        ("Name eq ''", set()),
        ("Notes eq ''", {"A_b"}),
        ("Name eq 'x'' or ''1'' eq ''1'", set()),
    ]
)
def test_guid_and_quoted_string_literals_match_exactly(
    conn: Connection, filter_text: str, expected: set[str]
) -> None:
    assert matching(conn, filter_text) == expected


@cases(
    [
        ("substringof('test',Name) eq true", {"test login", "O'Brien test 50%"}),
        ("substringof('test', Name)", {"test login", "O'Brien test 50%"}),
        ("substringof('test',Name) eq false", {"John", "john", "Checkout TEST", "A_b"}),
        ("substringof('test',Name) ne true", {"John", "john", "Checkout TEST", "A_b"}),
        ("true eq substringof('TEST',Name)", {"Checkout TEST"}),
        ("substringof('50%',Name)", {"O'Brien test 50%"}),
        ("substringof('_',Name)", {"A_b"}),
        ("substringof('Brien',Notes)", {"John"}),
        ("startswith(Name,'jo')", {"john"}),
        ("startswith(Name,'J')", {"John"}),
        ("startswith(Name,'')", ALL),
        ("endswith(Name,'TEST')", {"Checkout TEST"}),
        ("endswith(Name,'test 50%')", {"O'Brien test 50%"}),
        ("endswith(Name,'a suffix much longer than any name')", set()),
        ("endswith(Name,'b') eq false", ALL - {"A_b"}),
        ("tolower(Name) eq 'john'", {"John", "john"}),
        ("toupper(Name) eq 'CHECKOUT TEST'", {"Checkout TEST"}),
        ("substringof('test', tolower(Name))", {"test login", "Checkout TEST", "O'Brien test 50%"}),
        ("length(Name) eq 4", {"John", "john"}),
        ("length(Notes) eq 0", {"A_b"}),
        ("length(tolower(Name)) gt 12", {"Checkout TEST", "O'Brien test 50%"}),
    ]
)
def test_each_string_function_returns_exactly_the_matching_rows(
    conn: Connection, filter_text: str, expected: set[str]
) -> None:
    assert matching(conn, filter_text) == expected


@cases(
    [
        ("year(CreatedAt) eq 2011", {"test login", "John", "A_b"}),
        ("year(CreatedAt) lt 2011", {"O'Brien test 50%"}),
        ("month(CreatedAt) eq 12", {"John"}),
        ("day(CreatedAt) eq 1", {"john"}),
        ("hour(CreatedAt) eq 23", {"John"}),
        ("hour(CreatedAt) ge 12", {"John", "Checkout TEST", "A_b"}),
        ("minute(CreatedAt) eq 30", {"Checkout TEST"}),
        ("minute(CreatedAt) eq 45", {"A_b"}),
        ("second(CreatedAt) eq 45", {"Checkout TEST"}),
        ("second(CreatedAt) eq 59", {"John"}),
        ("year(CreatedAt) eq 2011 and month(CreatedAt) ge 7", {"John", "A_b"}),
        ("year(DueAt) eq 2012 and day(DueAt) eq 15", {"John"}),
        ("2011 eq year(CreatedAt)", {"test login", "John", "A_b"}),
    ]
)
def test_each_date_function_reads_utc_and_compares_numerically(
    conn: Connection, filter_text: str, expected: set[str]
) -> None:
    assert matching(conn, filter_text) == expected


@cases(
    [
        ("Status eq 'Passed' and Duration gt 10 or Name eq 'john'", {"test login", "Checkout TEST", "john"}),
        ("Name eq 'john' or Status eq 'Passed' and Duration lt 10", {"john", "A_b"}),
        ("Status eq 'Passed' and (Duration gt 10 or Name eq 'john')", {"test login", "Checkout TEST"}),
        ("not (Status eq 'Passed') and Duration gt 100", {"John", "O'Brien test 50%"}),
        ("not (Status eq 'Passed' or Status eq 'Failed')", {"john", "O'Brien test 50%"}),
        ("not substringof('test', Name) and Active", {"john", "A_b"}),
        ("not not Active", {"test login", "john", "O'Brien test 50%", "A_b"}),
        ("(((Name eq 'john')))", {"john"}),
        ("Name eq 'john' eq false", ALL - {"john"}),
    ]
)
def test_not_binds_tighter_than_comparison_then_and_then_or(
    conn: Connection, filter_text: str, expected: set[str]
) -> None:
    assert matching(conn, filter_text) == expected


def test_the_vendors_documented_example_filters_orders_and_pages(conn: Connection) -> None:
    options = QueryOptions.parse({"$top": "5"})
    statement = (
        select(runs.c.name)
        .where(compile_filter(parse_filter("substringof('test',Name) eq true"), FIELDS))
        .order_by(*order_by("Name desc", FIELDS))
    )
    assert list(conn.execute(options.paginate(statement)).scalars()) == ["test login", "O'Brien test 50%"]


def test_several_orderby_keys_apply_in_turn_with_their_own_directions(conn: Connection) -> None:
    assert ordered(conn, "Status asc, Duration desc") == [
        "john",
        "John",
        "O'Brien test 50%",
        "Checkout TEST",
        "test login",
        "A_b",
    ]
    assert ordered(conn, "Status desc,Duration") == [
        "A_b",
        "test login",
        "Checkout TEST",
        "O'Brien test 50%",
        "John",
        "john",
    ]


def test_orderby_without_direction_is_ascending(conn: Connection) -> None:
    assert ordered(conn, "CreatedAt") == [
        "O'Brien test 50%",
        "test login",
        "A_b",
        "John",
        "john",
        "Checkout TEST",
    ]


def test_orderby_takes_functions_and_puts_nulls_first_ascending_and_last_descending(conn: Connection) -> None:
    ascending = ["Checkout TEST", "test login", "A_b", "john", "O'Brien test 50%", "John"]
    assert ordered(conn, "length(Notes) asc, Duration desc") == ascending
    descending = ["John", "O'Brien test 50%", "john", "A_b", "Checkout TEST", "test login"]
    assert ordered(conn, "length(Notes) desc, Duration desc") == descending


def test_skip_and_top_page_through_the_ordered_rows(conn: Connection) -> None:
    statement = select(runs.c.name).order_by(*order_by("Duration", FIELDS))
    page = QueryOptions.parse({"$skip": "2", "$top": "3"}).paginate(statement)
    assert list(conn.execute(page).scalars()) == ["test login", "Checkout TEST", "John"]
    past_the_end = QueryOptions.parse({"$skip": "6"}).paginate(statement)
    assert list(conn.execute(past_the_end).scalars()) == []


def test_the_same_compiled_statement_shape_keeps_each_date_part_apart(conn: Connection) -> None:
    """Date parts share one SQL construct; the part must be in the cache key or year would read as month."""
    assert matching(conn, "year(CreatedAt) eq 12") == set()
    assert matching(conn, "month(CreatedAt) eq 12") == {"John"}
    assert matching(conn, "day(CreatedAt) eq 12") == set()


# ------------------------------------------------------------------------------------ tree


def test_the_filter_tree_records_precedence_and_positions() -> None:
    tree = parse_filter("not Active or Name eq 'a' and length(Name) gt 1")
    assert tree == Logical(
        "or",
        Not(Property("Active", 4), 0),
        Logical(
            "and",
            Comparison("eq", Property("Name", 14), Constant("a", Kind.STRING, 22), 19),
            Comparison("gt", Call("length", (Property("Name", 37),), 30), Constant(1, Kind.NUMBER, 46), 43),
            26,
        ),
        11,
    )


def test_literals_parse_to_python_values() -> None:
    def constant(literal: str) -> object:
        node = parse_filter(f"Name eq {literal}")
        assert isinstance(node, Comparison) and isinstance(node.right, Constant)
        return node.right.value

    assert constant("'O''Brien'") == "O'Brien"
    assert constant("''''") == "'"
    assert constant("-12") == -12
    assert constant("2.5") == 2.5
    assert constant("3M") == 3
    assert constant("datetime'2013-01-01T00:00:00'") == utc(2013, 1, 1)
    assert constant("datetimeoffset'2013-01-01T02:00:00+02:00'") == utc(2013, 1, 1)
    assert constant(f"guid'{G1.upper()}'") == G1
    assert constant("null") is None
    assert constant("false") is False


# ------------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("filter_text", "position", "message"),
    [
        ("Name eq", 7, "Expected a value (a property, a literal, a function call or '(') at position 7, "
         "found end of input"),
        ("", 0, "Expected a value (a property, a literal, a function call or '(') at position 0"),
        ("(Name eq 'john'", 15, "Expected an operator (eq, ne, gt, ge, lt, le, and, or) or ')' at position "
         "15, found end of input"),
        ("Name equals 'x'", 5, "Expected an operator (eq, ne, gt, ge, lt, le, and, or) or the end of the "
         "filter at position 5, found 'equals'"),
        ("Name eq 'john", 8, "Unterminated string starting at position 8: expected a closing quote"),
        ("Name eq 'a' $ 'b'", 12, "Unexpected character '$' at position 12"),
        ("Name eq 12abc", 8, "Malformed number at position 8: '12abc'"),
        ("Duration add 5 gt 3", 9, "Arithmetic operator 'add' at position 9 is not supported"),
        ("foo(Name)", 0, "Function 'foo' at position 0 is unknown: expected one of substringof, startswith"),
        ("trim(Name) eq 'a'", 0, "Function 'trim' at position 0 is not supported"),
        ("substringof('a')", 0, "substringof() at position 0 takes 2 argument(s) (needle, string), found 1"),
        ("startswith(Name, 'a',)", 21, "Expected a value (a property, a literal, a function call or '(') "
         "at position 21, found ')'"),
        ("CreatedAt gt datetime'2013-13-01T00:00:00'", 13, "Malformed datetime at position 13: expected "
         "'yyyy-mm-ddThh:mm[:ss[.fffffff]]', found '2013-13-01T00:00:00'"),
        ("Id eq guid'1234'", 6, "Malformed guid at position 6"),
        ("Id eq uuid'1234'", 6, "Unknown literal type 'uuid' at position 6"),
        ("Name eq 'a' and", 15, "Expected a value (a property, a literal, a function call or '(') at "
         "position 15"),
        ("eq 'a'", 0, "Expected a value (a property, a literal, a function call or '(') at position 0, "
         "found 'eq'"),
    ],
)  # fmt: skip
def test_a_malformed_filter_says_where_it_failed_and_what_was_expected(
    filter_text: str, position: int, message: str
) -> None:
    with pytest.raises(ODataError) as error:
        parse_filter(filter_text)
    assert error.value.position == position
    assert str(error.value).startswith(message)


@pytest.mark.parametrize(
    ("filter_text", "position", "message"),
    [
        ("Nme eq 'a'", 0, "Unknown property 'Nme' at position 0 (did you mean 'Name'?): expected one of "
         "Active, CreatedAt, DueAt, Duration, Id, Name, Notes, Score, Status"),
        ("Name eq 5", 5, "Cannot compare a string with a number using 'eq' at position 5"),
        ("CreatedAt gt 'yesterday'", 10, "Cannot compare a datetime with a string using 'gt' at position 10"),
        ("Duration gt null", 9, "Cannot use 'gt' with null at position 9: expected eq or ne"),
        ("not Name eq 'x'", 4, "'not' at position 0 expected a condition, found a string at position 4; "
         "to negate a comparison write not (A eq B)"),
        ("Name", 0, "Expected a condition at position 0"),
        ("Name eq 'a' and Duration", 16, "'and' at position 12 expected a condition, found a number"),
        ("year(Name) eq 2011", 5, "year() at position 0 expected a datetime as argument 1, found a string"),
        ("substringof(1, Name)", 12, "substringof() at position 0 expected a string as argument 1, "
         "found a number at position 12"),
        ("length(Name)", 0, "Expected a condition at position 0 (a comparison, a boolean property or "
         "function, combined with and/or/not), found a number"),
    ],
)  # fmt: skip
def test_a_filter_that_does_not_fit_the_properties_is_rejected_with_its_position(
    filter_text: str, position: int, message: str
) -> None:
    with pytest.raises(ODataError) as error:
        compile_filter(parse_filter(filter_text), FIELDS)
    assert error.value.position == position
    assert str(error.value).startswith(message)


@pytest.mark.parametrize(
    ("orderby", "position", "message"),
    [
        ("Nope desc", 0, "Unknown property 'Nope' at position 0"),
        ("Name up", 5, "Expected 'asc', 'desc', ',' or the end of $orderby at position 5, found 'up'"),
        ("Name desc,", 10, "Expected a value (a property, a literal, a function call or '(') at position 10"),
        ("'Name' asc", 0, "Expected a property or a function at position 0, found a literal"),
    ],
)
def test_a_bad_orderby_names_the_position(orderby: str, position: int, message: str) -> None:
    with pytest.raises(ODataError) as error:
        order_by(orderby, FIELDS)
    assert error.value.position == position
    assert str(error.value).startswith(message)


# ------------------------------------------------------------------------------------ paging options


def test_query_options_default_to_25_items_from_the_start_without_a_count() -> None:
    assert QueryOptions.parse({}) == QueryOptions(top=DEFAULT_TOP, skip=0, inlinecount=False)
    assert DEFAULT_TOP == 25


def test_query_options_read_top_skip_and_inlinecount() -> None:
    options = QueryOptions.parse({"$top": "1000", "$skip": "40", "$inlinecount": "allpages"})
    assert options == QueryOptions(top=1000, skip=40, inlinecount=True)
    assert QueryOptions.parse({"$top": "0", "$inlinecount": "none"}) == QueryOptions(top=0)


def test_take_is_another_name_for_top() -> None:
    assert QueryOptions.parse({"$take": "3"}) == QueryOptions(top=3)
    assert QueryOptions.parse({"$take": "3", "$top": "3", "$skip": "1"}) == QueryOptions(top=3, skip=1)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"$take": "1001"}, "Expected $take to be a whole number from 0 to 1000, found '1001'"),
        ({"$top": "2", "$take": "3"}, "$top (2) and $take (3) name the same option: give one of them"),
        ({"$top": "abc"}, "Expected $top to be a whole number from 0 to 1000, found 'abc'"),
        ({"$top": "-1"}, "Expected $top to be a whole number from 0 to 1000, found '-1'"),
        ({"$top": "1001"}, "Expected $top to be a whole number from 0 to 1000, found '1001'"),
        ({"$top": ""}, "Expected $top to be a whole number from 0 to 1000, found ''"),
        ({"$skip": "-5"}, "Expected $skip to be a whole number from 0 to 2147483647, found '-5'"),
        ({"$skip": "1.5"}, "Expected $skip to be a whole number from 0 to 2147483647, found '1.5'"),
        ({"$inlinecount": "all"}, "Expected $inlinecount to be 'allpages' or 'none', found 'all'"),
    ],
)
def test_bad_paging_options_are_rejected(params: dict[str, str], message: str) -> None:
    with pytest.raises(ODataError, match=f"^{re.escape(message)}$"):
        QueryOptions.parse(params)


@pytest.mark.parametrize(
    ("filter_text", "message"),
    [
        ("Duration eq 99999999999999999999", "Number out of range at position 12"),
        ("Score eq 1e999", "Number out of range at position 9"),
        ("(" * 400 + "Duration eq 1" + ")" * 400, "The expression is nested too deeply"),
        ("not " * 400 + "Active", "The expression is nested too deeply"),
        ("tolower(" * 100 + "Name" + ")" * 100 + " eq 'x'", "The expression is nested too deeply"),
        (" or ".join(["Duration eq 1"] * 1000), "The expression is too long"),
        ("CreatedAt ge datetime'0001-01-01T00:00:00+01:00'", "Malformed datetime at position 13"),
        ("Active gt true", "Cannot use 'gt' with a boolean at position 7"),
    ],
)
def test_filters_no_database_could_run_are_refused_with_where(filter_text: str, message: str) -> None:
    with pytest.raises(ODataError) as failed:
        compile_filter(parse_filter(filter_text), FIELDS)
    assert failed.value.message.startswith(message), failed.value.message
