"""OData v2 query options for the Enterprise Tester surface: `$filter`, `$orderby`, `$top`,
`$skip`, `$inlinecount`.

`parse_filter` turns the text into the one filter tree (`testament.domain.filters`) and
`parse_orderby` into its sort keys; the read side compiles them against a collection's fields
(a feature's view, `testament.services.read_side`), so the database does the filtering and
every literal travels as a bound parameter (no SQL is ever built from strings, nothing is
filtered in Python).
`QueryOptions` does the rest. Every mistake is an `ODataError` whose message says where it failed and what was
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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, Self, TypeVar

from testament.domain.filters import (
    COMPARISONS,
    FUNCTIONS,
    MAX_NESTING,
    MAX_NODES,
    Call,
    Comparison,
    Constant,
    FilterError,
    Kind,
    Logical,
    Node,
    Not,
    Signature,
    SortKey,
    check_size,
    too_deep,
)
from testament.domain.filters import Field as Property

__all__ = [  # the tree's names too, so this module reads as the OData surface's whole query side
    "DEFAULT_TOP",
    "MAX_NESTING",
    "MAX_NODES",
    "Call",
    "Comparison",
    "Constant",
    "Kind",
    "Logical",
    "Node",
    "Not",
    "ODataError",
    "Property",
    "QueryOptions",
    "check_size",
    "parse_datetime",
    "parse_filter",
    "parse_orderby",
    "too_deep",
]

DEFAULT_TOP = 25
MAX_TOP = 1000
MAX_SKIP = 2**31 - 1


# The tree, its errors and its bounds are the one filter tree's (testament.domain.filters);
# this module parses OData text into it.
ODataError = FilterError

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
                f"argument(s) ({function.text}), found {len(args)}",
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


def parse_filter(text: str) -> Node:
    """The tree of a `$filter` expression; ODataError says where the text stopped making sense."""
    try:
        return check_size(_Parser(text).filter())
    except RecursionError:
        raise too_deep() from None


def _function(name: _Token) -> Signature:
    if name.text in FUNCTIONS:
        return FUNCTIONS[name.text]
    verb = "is not supported" if name.text in _UNSUPPORTED_FUNCTIONS else "is unknown"
    raise ODataError(
        f"Function '{name.text}' at position {name.position} {verb}: expected one of {', '.join(FUNCTIONS)}",
        name.position,
    )


def parse_orderby(text: str) -> list[SortKey]:
    """`$orderby` keys (the read side sorts nulls first ascending, last descending)."""
    return [SortKey(check_size(node), descending) for node, descending in _Parser(text).orderby()]


# ---------------------------------------------------------------------------------------- paging


class _Pageable(Protocol):
    """A statement that takes a limit and an offset (a SQL select)."""

    def limit(self, limit: int, /) -> Self: ...

    def offset(self, offset: int, /) -> Self: ...


_S = TypeVar("_S", bound=_Pageable)


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
