"""OData v2 query options for the Enterprise Tester surface: `$filter`, `$orderby`, `$top`,
`$skip`, `$inlinecount`.

`parse_filter` turns the text into a tree of frozen dataclasses; `compile_filter` turns the
tree into one SQLAlchemy boolean expression over the columns the caller names, so the
database does the filtering and every literal travels as a bound parameter (no SQL is ever
built from strings, nothing is filtered in Python). `parse_orderby` and `QueryOptions` do
the rest. Every mistake is an `ODataError` whose message says where it failed and what was
expected; the surface answers it with a 400.

Grammar (OData v2 "URI Conventions", the subset of vendor-apis.md §4 decision 6)::

    filter     := or EOF
    or         := and ("or" and)*
    and        := comparison ("and" comparison)*
    comparison := unary (("eq"|"ne"|"gt"|"ge"|"lt"|"le") unary)*
    unary      := "not" unary | primary
    primary    := "(" or ")" | literal | function "(" [or ("," or)*] ")" | Property
    literal    := 'text' ('' escapes a quote) | -12 | 1.5 | 2.5e3 (suffix L M D F allowed)
                | datetime'2013-01-01T00:00:00' | datetimeoffset'…' | guid'…' | true | false | null
    orderby    := or ["asc"|"desc"] ("," or ["asc"|"desc"])* EOF

Functions: `substringof(needle, s)` (v2 order: needle first), `startswith(s, prefix)`,
`endswith(s, suffix)`, `tolower`, `toupper`, `length`, `year`, `month`, `day`, `hour`,
`minute`, `second`. Keywords and function names are lower case, property names are the
vendor's PascalCase, all case-sensitive, as in the vendor's (WCF Data Services) parser.

Pitfalls, and what this module does about them:

- Precedence is not > comparison > and > or, so `not Name eq 'x'` means `(not Name) eq 'x'`,
  which is rejected (not needs a boolean); write `not (Name eq 'x')`.
- `substringof('test',Name) eq true` and a bare `substringof('test',Name)` are the same
  condition; `eq false` negates it. Rows where the property is null match neither.
- `eq null` / `ne null` compile to IS NULL / IS NOT NULL (`= NULL` is never true in SQL);
  ordering comparisons with null are rejected.
- LIKE is case-insensitive on SQLite and case-sensitive on PostgreSQL, and `%` / `_` in a
  needle are wildcards. OData string functions are case-sensitive, so substringof and
  startswith compile to a position function (`instr` on SQLite, `strpos` on PostgreSQL) and
  endswith to `substr`: same rows on both databases, no escaping needed.
- `tolower`/`toupper` on SQLite only fold ASCII letters.
- `year(…)`…`second(…)` use EXTRACT; SQLAlchemy compiles it to `strftime` on SQLite (a
  string) so the result is cast to an integer. On PostgreSQL EXTRACT of a `timestamptz`
  follows the session's time zone and `second` has a fraction, so the value is first moved
  to UTC and the second floored.
- `datetime'…'` literals without an offset are UTC. They are bound with the compared column's
  own type (so `UtcDateTime` and friends process them); a plain `DateTime()` column without
  time zone gets the naive UTC value.
- `guid'…'` literals are lower-case strings (our ids are `String(36)`); against a `Uuid`
  column they become `uuid.UUID`.
- Nulls sort first ascending and last descending on both databases (SQL Server's order, the
  vendor's database; PostgreSQL would otherwise put them last ascending).
- Arithmetic (`add sub mul div mod`) and the other v2 functions (`indexof`, `substring`,
  `trim`, `concat`, `replace`, `round`, `floor`, `ceiling`) are not supported and say so.

The parser is a small hand-written recursive descent: the grammar is a dozen rules, the
error messages must name the position and the expectation, and the project has no parser
library (`lark` is not a dependency).
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from difflib import get_close_matches
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    Numeric,
    Select,
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
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.type_api import TypeEngine
from sqlalchemy.sql.visitors import InternalTraversal

DEFAULT_TOP = 25
MAX_TOP = 1000
MAX_SKIP = 2**31 - 1


class ODataError(ValueError):
    """A query option the surface cannot honour; `position` is a 0-based character offset."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


class Kind(Enum):
    STRING = "a string"
    NUMBER = "a number"
    DATETIME = "a datetime"
    BOOLEAN = "a boolean"
    NULL = "null"
    ANY = "a value"


# ---------------------------------------------------------------------------------------- tree

Value = str | int | float | bool | datetime | None


@dataclass(frozen=True)
class Constant:
    value: Value
    kind: Kind
    position: int


@dataclass(frozen=True)
class Property:
    name: str
    position: int


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]
    position: int


@dataclass(frozen=True)
class Comparison:
    op: str
    left: Node
    right: Node
    position: int


@dataclass(frozen=True)
class Not:
    operand: Node
    position: int


@dataclass(frozen=True)
class Logical:
    op: str
    left: Node
    right: Node
    position: int


Node = Constant | Property | Call | Comparison | Not | Logical

COMPARISONS = ("eq", "ne", "gt", "ge", "lt", "le")
_ARITHMETIC = frozenset({"add", "sub", "mul", "div", "mod"})
_UNSUPPORTED_FUNCTIONS = frozenset(
    {"indexof", "substring", "trim", "concat", "replace", "round", "floor", "ceiling", "isof", "cast"}
)

# ---------------------------------------------------------------------------------------- tokens

_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?[LlMmDdFf]?")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_PUNCTUATION = {"(": "lparen", ")": "rparen", ",": "comma"}


@dataclass(frozen=True)
class _Token:
    kind: str  # ident | literal | lparen | rparen | comma | end
    text: str
    position: int
    value: Constant | None = None

    def describe(self) -> str:
        return "end of input" if self.kind == "end" else f"'{self.text}'"


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        token = _next_token(text, i)
        tokens.append(token)
        i += len(token.text)
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _next_token(text: str, i: int) -> _Token:
    char = text[i]
    if char in _PUNCTUATION:
        return _Token(_PUNCTUATION[char], char, i)
    if char == "'":
        value, end = _scan_string(text, i)
        return _Token("literal", text[i:end], i, Constant(value, Kind.STRING, i))
    if char.isdigit() or (char == "-" and text[i + 1 : i + 2].isdigit()):
        return _number_token(text, i)
    ident = _IDENT.match(text, i)
    if ident is None:
        raise ODataError(
            f"Unexpected character '{char}' at position {i}: expected a property, a literal, "
            "a function, an operator or a parenthesis",
            i,
        )
    if text[ident.end() : ident.end() + 1] == "'":
        return _typed_literal(text, i, ident.group())
    return _Token("ident", ident.group(), i)


def _scan_string(text: str, start: int) -> tuple[str, int]:
    """The value of the quoted string at `start` (`''` is a quote) and the index after it."""
    parts: list[str] = []
    i = start + 1
    while (quote := text.find("'", i)) >= 0:
        parts.append(text[i:quote])
        if not text.startswith("''", quote):
            return "".join(parts), quote + 1
        parts.append("'")
        i = quote + 2
    raise ODataError(
        f"Unterminated string starting at position {start}: expected a closing quote (') "
        "before the end of input",
        start,
    )


def _number_token(text: str, i: int) -> _Token:
    match = _NUMBER.match(text, i)
    assert match is not None  # the caller saw a digit
    end = match.end()
    if end < len(text) and (text[end].isalnum() or text[end] in "_.'"):
        bad = re.match(r"[-\w.']+", text[i:])
        raise ODataError(f"Malformed number at position {i}: '{bad.group() if bad else text[i:]}'", i)
    raw = match.group()
    digits = raw.rstrip("LlMmDdFf")
    whole = match.group(1) is None and match.group(2) is None
    return _Token("literal", raw, i, Constant(number(digits, whole, i), Kind.NUMBER, i))


MAX_INTEGER = 2**63 - 1


def number(digits: str, whole: bool, position: int) -> int | float:
    """A literal's value, refused when no database column could hold it (64-bit integers,
    finite doubles)."""
    out_of_range = ODataError(f"Number out of range at position {position}: '{digits[:40]}'", position)
    if len(digits) > 400:
        raise out_of_range
    value: int | float = int(digits) if whole else float(digits)
    if (whole and abs(value) > MAX_INTEGER) or (not whole and not math.isfinite(value)):
        raise out_of_range
    return value


def _typed_literal(text: str, i: int, prefix: str) -> _Token:
    body_start = i + len(prefix)
    body, end = _scan_string(text, body_start)
    kind = prefix.lower()
    if kind in ("datetime", "datetimeoffset"):
        constant = Constant(parse_datetime(body, i), Kind.DATETIME, i)
    elif kind == "guid":
        if not _GUID.fullmatch(body):
            raise ODataError(
                f"Malformed guid at position {i}: expected guid'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx', "
                f"found '{body}'",
                i,
            )
        constant = Constant(body.lower(), Kind.STRING, i)
    else:
        raise ODataError(
            f"Unknown literal type '{prefix}' at position {i}: expected datetime'…', "
            "datetimeoffset'…' or guid'…'",
            i,
        )
    return _Token("literal", text[i:end], i, constant)


def parse_datetime(body: str, position: int) -> datetime:
    try:
        parsed = datetime.fromisoformat(body)
        # Naive means UTC; an offset is converted.
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ODataError(
            f"Malformed datetime at position {position}: expected 'yyyy-mm-ddThh:mm[:ss[.fffffff]]', "
            f"found '{body}'",
            position,
        ) from None


# ---------------------------------------------------------------------------------------- parser

_VALUE_EXPECTED = "a value (a property, a literal, a function call or '(')"


class _Parser:
    """Recursive descent over the token list; one method per grammar rule."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def at_word(self, *words: str) -> bool:
        token = self.peek()
        return token.kind == "ident" and token.text in words

    def error(self, expected: str, token: _Token | None = None) -> ODataError:
        token = token or self.peek()
        return ODataError(
            f"Expected {expected} at position {token.position}, found {token.describe()}", token.position
        )

    def expect(self, kind: str, expected: str) -> _Token:
        if self.peek().kind != kind:
            raise self.error(expected)
        return self.advance()

    def filter(self) -> Node:
        node = self.or_()
        if self.peek().kind != "end":
            raise self._operator_error("or the end of the filter")
        return node

    def orderby(self) -> list[tuple[Node, bool]]:
        keys = [self.order_key()]
        while self.peek().kind == "comma":
            self.advance()
            keys.append(self.order_key())
        if self.peek().kind != "end":
            raise self.error("'asc', 'desc', ',' or the end of $orderby")
        return keys

    def order_key(self) -> tuple[Node, bool]:
        node = self.or_()
        descending = self.at_word("desc")
        if descending or self.at_word("asc"):
            self.advance()
        return node, descending

    def or_(self) -> Node:
        node = self.and_()
        while self.at_word("or"):
            position = self.advance().position
            node = Logical("or", node, self.and_(), position)
        return node

    def and_(self) -> Node:
        node = self.comparison()
        while self.at_word("and"):
            position = self.advance().position
            node = Logical("and", node, self.comparison(), position)
        return node

    def comparison(self) -> Node:
        node = self.unary()
        while self.at_word(*COMPARISONS):
            operator = self.advance()
            node = Comparison(operator.text, node, self.unary(), operator.position)
        return node

    def enter(self, position: int) -> None:
        """One level deeper (a parenthesis, a not, a call): bounded, so no input recurses far."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise too_deep(position)

    def unary(self) -> Node:
        if self.at_word("not"):
            position = self.advance().position
            self.enter(position)
            node = Not(self.unary(), position)
            self.depth -= 1
            return node
        return self.primary()

    def primary(self) -> Node:
        token = self.peek()
        if token.kind == "lparen":
            self.advance()
            self.enter(token.position)
            node = self.or_()
            self.depth -= 1
            if self.peek().kind != "rparen":
                raise self._operator_error("or ')'")
            self.advance()
            return node
        if token.value is not None:
            self.advance()
            return token.value
        if token.kind != "ident" or token.text in _RESERVED:
            raise self.error(_VALUE_EXPECTED)
        self.advance()
        if token.text in _WORD_CONSTANTS:
            return _WORD_CONSTANTS[token.text](token.position)
        if self.peek().kind == "lparen":
            return self.call(token)
        return Property(token.text, token.position)

    def call(self, name: _Token) -> Call:
        function = _function(name)
        self.advance()  # "("
        self.enter(name.position)
        args: list[Node] = []
        if self.peek().kind != "rparen":
            args.append(self.or_())
            while self.peek().kind == "comma":
                self.advance()
                args.append(self.or_())
        if self.peek().kind != "rparen":
            raise self._operator_error("',' or ')'")
        self.advance()
        if len(args) != len(function.params):
            raise ODataError(
                f"{name.text}() at position {name.position} takes {len(function.params)} "
                f"argument(s) ({function.signature}), found {len(args)}",
                name.position,
            )
        self.depth -= 1
        return Call(name.text, tuple(args), name.position)

    def _operator_error(self, tail: str) -> ODataError:
        token = self.peek()
        if token.kind == "ident" and token.text in _ARITHMETIC:
            return ODataError(
                f"Arithmetic operator '{token.text}' at position {token.position} is not supported: "
                f"expected a comparison (eq, ne, gt, ge, lt, le), and, or, {tail}",
                token.position,
            )
        return self.error(f"an operator (eq, ne, gt, ge, lt, le, and, or) {tail}")


_WORD_CONSTANTS: dict[str, Callable[[int], Constant]] = {
    "true": lambda position: Constant(True, Kind.BOOLEAN, position),
    "false": lambda position: Constant(False, Kind.BOOLEAN, position),
    "null": lambda position: Constant(None, Kind.NULL, position),
}
_RESERVED = frozenset({*COMPARISONS, "and", "or", "not", *_ARITHMETIC, "asc", "desc"})


MAX_NESTING = 50


def too_deep(position: int | None = None) -> ODataError:
    return ODataError(f"The expression is nested too deeply (at most {MAX_NESTING} levels)", position)


MAX_NODES = 500


def check_size(node: Node) -> Node:
    """A bounded tree (and/or chains included), so compiling it never recurses far."""
    count, depth_of, stack = 0, 0, [(node, 1)]
    while stack:
        current, depth = stack.pop()
        count, depth_of = count + 1, max(depth_of, depth)
        if count > MAX_NODES or depth_of > 4 * MAX_NESTING:
            raise ODataError(f"The expression is too long (at most {MAX_NODES} parts)", current.position)
        if isinstance(current, (Comparison, Logical)):
            stack += [(current.left, depth + 1), (current.right, depth + 1)]
        elif isinstance(current, Not):
            stack.append((current.operand, depth + 1))
        elif isinstance(current, Call):
            stack += [(arg, depth + 1) for arg in current.args]
    return node


def parse_filter(text: str) -> Node:
    """The tree of a `$filter` expression; ODataError says where the text stopped making sense."""
    try:
        return check_size(_Parser(text).filter())
    except RecursionError:
        raise too_deep() from None


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


def _endswith(args: list[ColumnElement[Any]]) -> ColumnElement[Any]:
    text, suffix = args
    text_length, suffix_length = func.length(text, type_=Integer), func.length(suffix, type_=Integer)
    tail = func.substr(text, text_length - suffix_length + 1, type_=String)
    return and_(text_length >= suffix_length, tail == suffix)


@dataclass(frozen=True)
class _Function:
    params: tuple[Kind, ...]
    result: Kind
    build: Callable[[list[ColumnElement[Any]]], ColumnElement[Any]]
    signature: str


def _date_function(part: str) -> _Function:
    return _Function((Kind.DATETIME,), Kind.NUMBER, lambda a: _DatePart(part, a[0]), "a datetime")


_STRINGS = (Kind.STRING, Kind.STRING)
FUNCTIONS: dict[str, _Function] = {
    "substringof": _Function(_STRINGS, Kind.BOOLEAN, lambda a: _StrPos(a[1], a[0]) > 0, "needle, string"),
    "startswith": _Function(_STRINGS, Kind.BOOLEAN, lambda a: _StrPos(a[0], a[1]) == 1, "string, prefix"),
    "endswith": _Function(_STRINGS, Kind.BOOLEAN, _endswith, "string, suffix"),
    "tolower": _Function((Kind.STRING,), Kind.STRING, lambda a: func.lower(a[0], type_=String), "a string"),
    "toupper": _Function((Kind.STRING,), Kind.STRING, lambda a: func.upper(a[0], type_=String), "a string"),
    "length": _Function((Kind.STRING,), Kind.NUMBER, lambda a: func.length(a[0], type_=Integer), "a string"),
    **{part: _date_function(part) for part in ("year", "month", "day", "hour", "minute", "second")},
}


def _function(name: _Token) -> _Function:
    if name.text in FUNCTIONS:
        return FUNCTIONS[name.text]
    verb = "is not supported" if name.text in _UNSUPPORTED_FUNCTIONS else "is unknown"
    raise ODataError(
        f"Function '{name.text}' at position {name.position} {verb}: expected one of {', '.join(FUNCTIONS)}",
        name.position,
    )


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
    def __init__(self, fields: Mapping[str, ColumnElement[Any]]) -> None:
        self.fields = fields

    def condition(self, node: Node) -> ColumnElement[bool]:
        typed = self.value(node)
        if not _accepts(Kind.BOOLEAN, typed.kind):
            raise ODataError(
                f"Expected a condition at position {node.position} (a comparison, a boolean property or "
                f"function, combined with and/or/not), found {typed.kind.value}",
                node.position,
            )
        condition: ColumnElement[bool] = typed.expr
        return condition

    def value(self, node: Node, partner: _Typed | None = None) -> _Typed:
        if isinstance(node, Constant):
            return _bind(node, partner)
        if isinstance(node, Property):
            return self.property(node)
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
            raise ODataError(
                f"'{operator}' at position {position} expected a condition, found {typed.kind.value} "
                f"at position {node.position}; to negate a comparison write not (A eq B)",
                node.position,
            )
        return typed.expr

    def property(self, node: Property) -> _Typed:
        column = self.fields.get(node.name)
        if column is None:
            close = get_close_matches(node.name, list(self.fields), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ODataError(
                f"Unknown property '{node.name}' at position {node.position}{hint}: expected one of "
                f"{', '.join(sorted(self.fields))}",
                node.position,
            )
        return _Typed(column, kind_of(column.type))

    def call(self, node: Call) -> _Typed:
        function = FUNCTIONS[node.name]
        args = []
        for index, (arg, expected) in enumerate(zip(node.args, function.params, strict=True), start=1):
            typed = self.value(arg)
            if not _accepts(expected, typed.kind):
                raise ODataError(
                    f"{node.name}() at position {node.position} expected {expected.value} as argument "
                    f"{index}, found {typed.kind.value} at position {arg.position}",
                    arg.position,
                )
            args.append(typed.expr)
        return _Typed(function.build(args), function.result)

    def comparison(self, node: Comparison) -> ColumnElement[bool]:
        left, right = self.operands(node.left, node.right)
        if Kind.NULL in (left.kind, right.kind):
            return _null_comparison(node, left, right)
        if not (_accepts(left.kind, right.kind) or _accepts(right.kind, left.kind)):
            raise ODataError(
                f"Cannot compare {left.kind.value} with {right.kind.value} using '{node.op}' "
                f"at position {node.position}",
                node.position,
            )
        if Kind.BOOLEAN in (left.kind, right.kind) and node.op not in ("eq", "ne"):
            raise ODataError(
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
        raise ODataError(
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
            raise ODataError(f"Expected a guid at position {position}, found '{value}'", position) from None
    if partner_type is None or not isinstance(base, String) or isinstance(base, SqlEnum):
        return literal(value, String())  # an Enum type would refuse values outside the enum
    return literal(value, partner_type)


def compile_filter(node: Node, fields: Mapping[str, ColumnElement[Any]]) -> ColumnElement[bool]:
    """A `$filter` tree as one SQL condition over `fields` (vendor property name -> column)."""
    return _Compiler(fields).condition(node)


def parse_orderby(text: str, fields: Mapping[str, ColumnElement[Any]]) -> list[ColumnElement[Any]]:
    """`$orderby` keys as ORDER BY clauses; nulls first ascending, last descending."""
    keys = _Parser(text).orderby()
    for node, _descending in keys:
        check_size(node)
    return compile_orderby(keys, fields)


def compile_orderby(
    keys: list[tuple[Node, bool]], fields: Mapping[str, ColumnElement[Any]]
) -> list[ColumnElement[Any]]:
    """Order keys (a value and whether it is descending) as ORDER BY clauses."""
    compiler = _Compiler(fields)
    clauses: list[ColumnElement[Any]] = []
    for node, descending in keys:
        if isinstance(node, Constant):
            raise ODataError(
                f"Expected a property or a function at position {node.position}, found a literal",
                node.position,
            )
        expr = compiler.value(node).expr
        clauses.append(expr.desc().nulls_last() if descending else expr.asc().nulls_first())
    return clauses


# ---------------------------------------------------------------------------------------- paging

_S = TypeVar("_S", bound="Select[Any]")


def _whole_number(params: Mapping[str, str], name: str, default: int, maximum: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]+", raw.strip()) or int(raw) > maximum:
        raise ODataError(f"Expected {name} to be a whole number from 0 to {maximum}, found '{raw}'")
    return int(raw)


@dataclass(frozen=True)
class QueryOptions:
    """`$top` (default 25, at most 1000), `$skip` (default 0), `$inlinecount` (allpages|none).
    `$take` is another name for `$top`: the vendor's pages list it among the options."""

    top: int = DEFAULT_TOP
    skip: int = 0
    inlinecount: bool = False

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> QueryOptions:
        inlinecount = params.get("$inlinecount", "none")
        if inlinecount not in ("allpages", "none"):
            raise ODataError(f"Expected $inlinecount to be 'allpages' or 'none', found '{inlinecount}'")
        top = _whole_number(params, "$top", DEFAULT_TOP, MAX_TOP)
        take = _whole_number(params, "$take", top, MAX_TOP)
        if "$top" in params and "$take" in params and take != top:
            raise ODataError(f"$top ({top}) and $take ({take}) name the same option: give one of them")
        return cls(
            top=take,
            skip=_whole_number(params, "$skip", 0, MAX_SKIP),
            inlinecount=inlinecount == "allpages",
        )

    def paginate(self, statement: _S) -> _S:
        return statement.limit(self.top).offset(self.skip)
