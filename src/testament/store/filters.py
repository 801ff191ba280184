"""The read side's compiler for the one filter tree (`testament.domain.filters`).

`compile_filter` turns a tree into one SQLAlchemy boolean expression over the columns the
caller names (a view: the caller's field name -> column or derived value), so the database
does the filtering and every literal travels as a bound parameter (no SQL is ever built from
strings, nothing is filtered in Python). `compile_order` does the same for sort keys.

Pitfalls, and what this module does about them:

- `eq null` / `ne null` compile to IS NULL / IS NOT NULL (`= NULL` is never true in SQL);
  ordering comparisons with null are rejected.
- `cond eq true` is `cond` and `cond eq false` is `not cond`; rows where a value is null
  match neither a string function nor its negation's comparison.
- LIKE is case-insensitive on SQLite and case-sensitive on PostgreSQL, and `%` / `_` in a
  needle are wildcards. The string functions are case-sensitive, so substringof and
  startswith compile to a position function (`instr` on SQLite, `strpos` on PostgreSQL) and
  endswith to `substr`: same rows on both databases, no escaping needed. A startswith of a
  column by a literal also gets a range in code point order, which an index on the column serves.
- `tolower`/`toupper` on SQLite only fold ASCII letters.
- `year(…)`…`second(…)` use EXTRACT; SQLAlchemy compiles it to `strftime` on SQLite (a
  string) so the result is cast to an integer. On PostgreSQL EXTRACT of a `timestamptz`
  follows the session's time zone and `second` has a fraction, so the value is first moved
  to UTC and the second floored.
- Datetime constants are bound with the compared column's own type (so `UtcDateTime` and
  friends process them); a plain `DateTime()` column without time zone gets the naive UTC value.
- A string constant compared with a `Uuid` column becomes a `uuid.UUID`.
- Nulls sort first ascending and last descending on both databases (SQL Server's order;
  PostgreSQL would otherwise put them last ascending).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from difflib import get_close_matches
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    Numeric,
    String,
    TypeDecorator,
    Uuid,
    and_,
    cast,
    extract,
    false,
    func,
    literal,
    literal_column,
    not_,
    null,
    or_,
    true,
)
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.type_api import TypeEngine
from sqlalchemy.sql.visitors import InternalTraversal

from testament.domain.filters import (
    FUNCTIONS,
    Call,
    Comparison,
    Constant,
    Field,
    FilterError,
    Kind,
    Node,
    Not,
    SortKey,
)

__all__ = ["Fields", "compile_filter", "compile_order", "kind_of"]

Fields = Mapping[str, ColumnElement[Any]]

# ---------------------------------------------------------------------------------------- functions


class _StrPos(FunctionElement[int]):
    """1-based position of the 2nd argument in the 1st, 0 if absent; case-sensitive everywhere."""

    type = Integer()
    inherit_cache = True


@compiles(_StrPos)
def _strpos_default(element: _StrPos, compiler: SQLCompiler, **kw: Any) -> str:
    return f"instr({compiler.process(element.clauses, **kw)})"


@compiles(_StrPos, "postgresql")
def _strpos_postgresql(element: _StrPos, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strpos({compiler.process(element.clauses, **kw)})"


class _DatePart(FunctionElement[int]):
    """An integer part (year … second) of a timestamp, read in UTC."""

    type = Integer()
    inherit_cache = True
    _traverse_internals = [*FunctionElement._traverse_internals, ("part", InternalTraversal.dp_string)]

    def __init__(self, part: str, timestamp: ColumnElement[Any]) -> None:
        self.part = part
        super().__init__(timestamp)


def _timestamp_argument(element: _DatePart) -> ColumnElement[Any]:
    argument: ColumnElement[Any] = next(iter(element.clauses))
    return argument


@compiles(_DatePart)
def _date_part_default(element: _DatePart, compiler: SQLCompiler, **kw: Any) -> str:
    expression = cast(extract(element.part, _timestamp_argument(element)), Integer)
    return compiler.process(expression, **kw)


@compiles(_DatePart, "postgresql")
def _date_part_postgresql(element: _DatePart, compiler: SQLCompiler, **kw: Any) -> str:
    timestamp = _timestamp_argument(element)
    if _has_time_zone(timestamp.type):
        timestamp = func.timezone(literal_column("'UTC'"), timestamp)
    expression = cast(func.floor(extract(element.part, timestamp)), Integer)
    return compiler.process(expression, **kw)


class _CodePointComparison(ColumnElement[bool]):
    """`text >= bound` or `text < bound` in code point order: as is on SQLite (it compares text
    bytewise, which is code point order for UTF-8), with the pattern operators `~>=~`/`~<~`
    on PostgreSQL (bytewise whatever the collation, and served by a `text_pattern_ops` index)."""

    type = Boolean()
    inherit_cache = True
    _is_implicitly_boolean = True  # a comparison: SQLite needs no "= 1" after it in a WHERE
    _traverse_internals = [
        ("text", InternalTraversal.dp_clauseelement),
        ("operator", InternalTraversal.dp_string),
        ("bound", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, text: ColumnElement[Any], operator: str, bound: ColumnElement[Any]) -> None:
        self.text, self.operator, self.bound = text, operator, bound


@compiles(_CodePointComparison)
def _code_point_comparison_default(element: _CodePointComparison, compiler: SQLCompiler, **kw: Any) -> str:
    return (
        f"{compiler.process(element.text, **kw)} {element.operator} {compiler.process(element.bound, **kw)}"
    )


@compiles(_CodePointComparison, "postgresql")
def _code_point_comparison_postgresql(element: _CodePointComparison, compiler: SQLCompiler, **kw: Any) -> str:
    text, bound = compiler.process(element.text, **kw), compiler.process(element.bound, **kw)
    return f"{text} ~{element.operator}~ {bound}"


def _next_prefix(prefix: str) -> str | None:
    """The least string above every string starting with `prefix` (None: there is none)."""
    while prefix and ord(prefix[-1]) == 0x10FFFF:
        prefix = prefix[:-1]
    if not prefix:
        return None
    following = ord(prefix[-1]) + 1
    return prefix[:-1] + chr(0xE000 if 0xD800 <= following <= 0xDFFF else following)


def _startswith(args: list[ColumnElement[Any]]) -> ColumnElement[Any]:
    """The exact test (a position function), narrowed to an index range when the prefix is a
    literal (a constant) and the text a column."""
    text, prefix = args
    exact = _StrPos(text, prefix) == 1
    value = prefix.value if isinstance(prefix, BindParameter) else None
    high = _next_prefix(value) if isinstance(value, str) and isinstance(text, Column) else None
    if high is None:
        return exact
    low, above = literal(value, String()), literal(high, String())
    # no row outside [prefix, next prefix) starts with the prefix
    return and_(_CodePointComparison(text, ">=", low), _CodePointComparison(text, "<", above), exact)


def _endswith(args: list[ColumnElement[Any]]) -> ColumnElement[Any]:
    text, suffix = args
    text_length, suffix_length = func.length(text, type_=Integer), func.length(suffix, type_=Integer)
    tail = func.substr(text, text_length - suffix_length + 1, type_=String)
    return and_(text_length >= suffix_length, tail == suffix)


def _date_part(part: str) -> Callable[[list[ColumnElement[Any]]], ColumnElement[Any]]:
    return lambda args: _DatePart(part, args[0])


_BUILDERS: dict[str, Callable[[list[ColumnElement[Any]]], ColumnElement[Any]]] = {
    "substringof": lambda a: _StrPos(a[1], a[0]) > 0,
    "startswith": _startswith,
    "endswith": _endswith,
    "tolower": lambda a: func.lower(a[0], type_=String),
    "toupper": lambda a: func.upper(a[0], type_=String),
    "length": lambda a: func.length(a[0], type_=Integer),
    **{part: _date_part(part) for part in ("year", "month", "day", "hour", "minute", "second")},
}


# ---------------------------------------------------------------------------------------- compiler


def _base_type(type_: TypeEngine[Any]) -> TypeEngine[Any]:
    return type_.impl_instance if isinstance(type_, TypeDecorator) else type_


def _has_time_zone(type_: TypeEngine[Any]) -> bool:
    base = _base_type(type_)
    return isinstance(base, DateTime) and bool(base.timezone)


def kind_of(type_: TypeEngine[Any]) -> Kind:
    base = _base_type(type_)
    kinds: tuple[tuple[type[TypeEngine[Any]], Kind], ...] = (
        (Boolean, Kind.BOOLEAN),
        (String, Kind.STRING),
        (Uuid, Kind.STRING),
        (Integer, Kind.NUMBER),
        (Numeric, Kind.NUMBER),
        (Float, Kind.NUMBER),
        (DateTime, Kind.DATETIME),
        (Date, Kind.DATETIME),
    )
    return next((kind for cls, kind in kinds if isinstance(base, cls)), Kind.ANY)


@dataclass(frozen=True)
class _Typed:
    expr: ColumnElement[Any]
    kind: Kind


def _accepts(expected: Kind, actual: Kind) -> bool:
    return Kind.ANY in (expected, actual) or actual is Kind.NULL or expected is actual


class _Compiler:
    def __init__(self, fields: Fields) -> None:
        self.fields = fields

    def condition(self, node: Node) -> ColumnElement[bool]:
        typed = self.value(node)
        if not _accepts(Kind.BOOLEAN, typed.kind):
            raise FilterError(
                f"Expected a condition at position {node.position} (a comparison, a boolean property or "
                f"function, combined with and/or/not), found {typed.kind.value}",
                node.position,
            )
        condition: ColumnElement[bool] = typed.expr
        return condition

    def value(self, node: Node, partner: _Typed | None = None) -> _Typed:
        if isinstance(node, Constant):
            return _bind(node, partner)
        if isinstance(node, Field):
            return self.field(node)
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, Comparison):
            return _Typed(self.comparison(node), Kind.BOOLEAN)
        if isinstance(node, Not):
            return _Typed(not_(self.boolean(node.operand, "not", node.position)), Kind.BOOLEAN)
        combine = and_ if node.op == "and" else or_
        left = self.boolean(node.left, node.op, node.position)
        return _Typed(combine(left, self.boolean(node.right, node.op, node.position)), Kind.BOOLEAN)

    def boolean(self, node: Node, operator: str, position: int) -> ColumnElement[Any]:
        typed = self.value(node)
        if not _accepts(Kind.BOOLEAN, typed.kind):
            raise FilterError(
                f"'{operator}' at position {position} expected a condition, found {typed.kind.value} "
                f"at position {node.position}; to negate a comparison write not (A eq B)",
                node.position,
            )
        return typed.expr

    def field(self, node: Field) -> _Typed:
        column = self.fields.get(node.name)
        if column is None:
            close = get_close_matches(node.name, list(self.fields), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise FilterError(
                f"Unknown property '{node.name}' at position {node.position}{hint}: expected one of "
                f"{', '.join(sorted(self.fields))}",
                node.position,
            )
        return _Typed(column, kind_of(column.type))

    def call(self, node: Call) -> _Typed:
        function = FUNCTIONS.get(node.name)
        if function is None or len(node.args) != len(function.params):
            raise FilterError(f"Function '{node.name}' at position {node.position} is unknown", node.position)
        args = []
        for index, (arg, expected) in enumerate(zip(node.args, function.params, strict=True), start=1):
            typed = self.value(arg)
            if not _accepts(expected, typed.kind):
                raise FilterError(
                    f"{node.name}() at position {node.position} expected {expected.value} as argument "
                    f"{index}, found {typed.kind.value} at position {arg.position}",
                    arg.position,
                )
            args.append(typed.expr)
        return _Typed(_BUILDERS[node.name](args), function.result)

    def comparison(self, node: Comparison) -> ColumnElement[bool]:
        left, right = self.operands(node.left, node.right)
        if Kind.NULL in (left.kind, right.kind):
            return _null_comparison(node, left, right)
        if not (_accepts(left.kind, right.kind) or _accepts(right.kind, left.kind)):
            raise FilterError(
                f"Cannot compare {left.kind.value} with {right.kind.value} using '{node.op}' "
                f"at position {node.position}",
                node.position,
            )
        if Kind.BOOLEAN in (left.kind, right.kind) and node.op not in ("eq", "ne"):
            raise FilterError(
                f"Cannot use '{node.op}' with a boolean at position {node.position}: expected eq or ne",
                node.position,
            )
        shortcut = _boolean_shortcut(node, left, right)
        return shortcut if shortcut is not None else _OPERATORS[node.op](left.expr, right.expr)

    def operands(self, left: Node, right: Node) -> tuple[_Typed, _Typed]:
        """Compile both sides, a literal after the other side so it binds with that side's type."""
        if isinstance(left, Constant):
            typed_right = self.value(right)
            return self.value(left, typed_right), typed_right
        typed_left = self.value(left)
        return typed_left, self.value(right, typed_left)


_OPERATORS: dict[str, Callable[[ColumnElement[Any], ColumnElement[Any]], ColumnElement[bool]]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
}


def _null_comparison(node: Comparison, left: _Typed, right: _Typed) -> ColumnElement[bool]:
    if node.op not in ("eq", "ne"):
        raise FilterError(
            f"Cannot use '{node.op}' with null at position {node.position}: expected eq or ne", node.position
        )
    if left.kind is Kind.NULL and right.kind is Kind.NULL:
        return true() if node.op == "eq" else false()
    other = right if left.kind is Kind.NULL else left
    return other.expr.is_(None) if node.op == "eq" else other.expr.is_not(None)


def _boolean_shortcut(node: Comparison, left: _Typed, right: _Typed) -> ColumnElement[bool] | None:
    """`cond eq true` is `cond`, `cond eq false` is `not cond` (and ne the other way round)."""
    if node.op not in ("eq", "ne") or left.kind is not Kind.BOOLEAN or right.kind is not Kind.BOOLEAN:
        return None
    for constant, other in ((node.right, left), (node.left, right)):
        if isinstance(constant, Constant) and isinstance(constant.value, bool):
            keep = constant.value == (node.op == "eq")
            return other.expr if keep else not_(other.expr)
    return None


def _bind(node: Constant, partner: _Typed | None) -> _Typed:
    """A literal as a bound parameter, typed like the expression it is compared with."""
    partner_type = partner.expr.type if partner is not None and partner.kind is node.kind else None
    value = node.value
    if value is None:
        return _Typed(null(), Kind.NULL)
    if isinstance(value, bool):
        return _Typed(true() if value else false(), Kind.BOOLEAN)
    if isinstance(value, int):
        return _Typed(literal(value, Integer() if abs(value) < 2**31 else BigInteger()), Kind.NUMBER)
    if isinstance(value, float):
        return _Typed(literal(value, Float()), Kind.NUMBER)
    if isinstance(value, datetime):
        return _Typed(_datetime_literal(value, partner_type), Kind.DATETIME)
    return _Typed(_string_literal(value, partner_type, node.position), Kind.STRING)


def _datetime_literal(value: datetime, partner_type: TypeEngine[Any] | None) -> ColumnElement[Any]:
    if partner_type is None:
        return literal(value, DateTime(timezone=True))
    naive = isinstance(partner_type, DateTime) and not partner_type.timezone
    return literal(value.replace(tzinfo=None) if naive else value, partner_type)


def _string_literal(value: str, partner_type: TypeEngine[Any] | None, position: int) -> ColumnElement[Any]:
    base = _base_type(partner_type) if partner_type is not None else None
    if isinstance(base, Uuid):
        if not base.as_uuid:
            return literal(value, partner_type)
        try:
            return literal(uuid.UUID(value), partner_type)
        except ValueError:
            raise FilterError(f"Expected a guid at position {position}, found '{value}'", position) from None
    if partner_type is None or not isinstance(base, String) or isinstance(base, SqlEnum):
        return literal(value, String())  # an Enum type would refuse values outside the enum
    return literal(value, partner_type)


def compile_filter(node: Node, fields: Fields) -> ColumnElement[bool]:
    """A tree as one SQL condition over `fields` (the caller's field name -> column)."""
    return _Compiler(fields).condition(node)


def compile_order(keys: Sequence[SortKey], fields: Fields) -> list[ColumnElement[Any]]:
    """Sort keys as ORDER BY clauses; nulls first ascending, last descending."""
    compiler = _Compiler(fields)
    clauses: list[ColumnElement[Any]] = []
    for key in keys:
        if isinstance(key.value, Constant):
            raise FilterError(
                f"Expected a property or a function at position {key.value.position}, found a literal",
                key.value.position,
            )
        expr = compiler.value(key.value).expr
        clauses.append(expr.desc().nulls_last() if key.descending else expr.asc().nulls_first())
    return clauses
