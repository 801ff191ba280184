"""A simple TQL for the Enterprise Tester collections the vendor searches with `tql`
(`/api/scriptruns`, `/api/scripts`, `/api/scriptassignments`, `/api/scriptpackages`,
`/api/executionpackages`), parsed into the one filter tree that `$filter` parses into.

The vendor's TQL is a JQL-like language whose grammar is not published; this is the subset of
vendor-apis.md §4 decision 6::

    query   := [or] ["ORDER BY" key ("," key)*] EOF
    or      := and ("OR" and)*
    and     := unary ("AND" unary)*
    unary   := "NOT" unary | "(" or ")" | Field op value
    op      := "=" | "!=" | "~" | "!~" | ">" | ">=" | "<" | "<="
    value   := "text" | 'text' | word          (EMPTY and NULL mean no value)
    key     := Field ["ASC" | "DESC"]

Keywords and field names are case-insensitive (`status = Passed` works); values are
case-sensitive except with `~` (contains, ignoring case). A bare value takes the field's
type: `ScriptVersion = 2` is a number, `CreatedAt >= 2011-05-01` a UTC time, `Name = 2011`
the text "2011" (the read side tells each field's kind). The tree is `$filter`'s, so the SQL,
the typing rules and the error messages are the same as `$filter`'s.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from testament.compat.enterprise_tester import odata
from testament.compat.enterprise_tester.odata import (
    Call,
    Comparison,
    Constant,
    Kind,
    Logical,
    Node,
    Not,
    ODataError,
    Property,
)
from testament.domain.filters import SortKey

__all__ = ["TqlQuery", "parse_tql"]

_OPERATORS = {"=": "eq", "!=": "ne", ">": "gt", ">=": "ge", "<": "lt", "<=": "le"}
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>!=|>=|<=|!~|[=~<>])
      | (?P<punct>[(),])
      | (?P<word>[^\s()=!~<>,"']+)
    )""",
    re.VERBOSE,
)
_UNQUOTE = re.compile(r"\\(.)")


@dataclass(frozen=True)
class _Token:
    kind: str  # string | op | punct | word | end
    text: str
    position: int

    def describe(self) -> str:
        return "end of input" if self.kind == "end" else f"'{self.text}'"


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        if text[i:].strip() == "":
            break
        match = _TOKEN.match(text, i)
        if match is None or match.lastgroup is None:
            start = len(text) - len(text[i:].lstrip())
            if text[start] in "'\"":
                raise ODataError(f"Unterminated quoted value at position {start}", start)
            raise ODataError(
                f"Unexpected character '{text[start]}' at position {start}: quote a value that has one", start
            )
        tokens.append(_Token(match.lastgroup, match.group(match.lastgroup), match.start(match.lastgroup)))
        i = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


@dataclass(frozen=True)
class TqlQuery:
    where: Node | None
    order_by: list[SortKey]


class _Parser:
    def __init__(self, text: str, kinds: Mapping[str, Kind]) -> None:
        self.tokens = _tokenize(text)
        self.index = 0
        self.kinds = kinds
        self.names = {name.lower(): name for name in kinds}
        self.depth = 0

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def advance(self) -> _Token:
        token = self.peek()
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def at_keyword(self, *words: str) -> bool:
        token = self.peek()
        return token.kind == "word" and token.text.upper() in words

    def error(self, expected: str) -> ODataError:
        token = self.peek()
        return ODataError(
            f"Expected {expected} at position {token.position}, found {token.describe()}", token.position
        )

    def query(self) -> tuple[Node | None, list[tuple[Node, bool]]]:
        condition = None if self.at_order_by() or self.peek().kind == "end" else self.or_()
        order: list[tuple[Node, bool]] = []
        if self.at_order_by():
            self.index += 2
            order.append(self.order_key())
            while self.peek().text == ",":
                self.advance()
                order.append(self.order_key())
        if self.peek().kind != "end":
            raise self.error("AND, OR, ORDER BY or the end of the query")
        return condition, order

    def at_order_by(self) -> bool:
        after = self.peek(1)
        return self.at_keyword("ORDER") and after.kind == "word" and after.text.upper() == "BY"

    def order_key(self) -> tuple[Node, bool]:
        field = self.field()
        descending = self.at_keyword("DESC")
        if descending or self.at_keyword("ASC"):
            self.advance()
        return field, descending

    def or_(self) -> Node:
        node = self.and_()
        while self.at_keyword("OR"):
            position = self.advance().position
            node = Logical("or", node, self.and_(), position)
        return node

    def and_(self) -> Node:
        node = self.unary()
        while self.at_keyword("AND"):
            position = self.advance().position
            node = Logical("and", node, self.unary(), position)
        return node

    def unary(self) -> Node:
        token = self.peek()
        if self.at_keyword("NOT") or (token.text == "(" and token.kind == "punct"):
            self.depth += 1  # bounded, so no input recurses far
            if self.depth > odata.MAX_NESTING:
                raise odata.too_deep(token.position)
            node = self.nested()
            self.depth -= 1
            return node
        return self.clause()

    def nested(self) -> Node:
        if self.at_keyword("NOT"):
            position = self.advance().position
            return Not(self.unary(), position)
        self.advance()  # "("
        node = self.or_()
        if self.peek().text != ")":
            raise self.error("AND, OR or ')'")
        self.advance()
        return node

    def field(self) -> Property:
        token = self.peek()
        if token.kind != "word":
            raise self.error("a field name")
        self.advance()
        # an unknown name goes through as written: the compiler names the fields it knows
        return Property(self.names.get(token.text.lower(), token.text), token.position)

    def clause(self) -> Node:
        field = self.field()
        operator = self.peek()
        if operator.kind != "op":
            raise self.error("an operator (=, !=, ~, !~, >, >=, <, <=)")
        self.advance()
        value = self.value(field)
        if operator.text in ("~", "!~"):
            contains = _contains(field, value, operator.position)
            return Not(contains, operator.position) if operator.text == "!~" else contains
        return Comparison(_OPERATORS[operator.text], field, value, operator.position)

    def value(self, field: Property) -> Constant:
        """A value in the field's type, quoted or not (`"2011-05-01"` is a time for CreatedAt);
        EMPTY and NULL, bare, mean no value."""
        token = self.peek()
        if token.kind not in ("string", "word"):
            raise self.error("a value")
        self.advance()
        if token.kind == "word" and token.text.upper() in ("EMPTY", "NULL"):
            return Constant(None, Kind.NULL, token.position)
        text = _UNQUOTE.sub(r"\1", token.text[1:-1]) if token.kind == "string" else token.text
        return _typed(text, token.position, self.kinds.get(field.name, Kind.STRING))


def _typed(text: str, position: int, kind: Kind) -> Constant:
    """A value as one of the field's type."""
    if kind is Kind.NUMBER:
        if not re.fullmatch(r"-?\d+(\.\d+)?", text):
            raise ODataError(f"Expected a number at position {position}, found '{text}'", position)
        return Constant(odata.number(text, "." not in text, position), Kind.NUMBER, position)
    if kind is Kind.BOOLEAN:
        if text.lower() not in ("true", "false"):
            raise ODataError(f"Expected true or false at position {position}, found '{text}'", position)
        return Constant(text.lower() == "true", Kind.BOOLEAN, position)
    if kind is Kind.DATETIME:
        return Constant(odata.parse_datetime(text, position), Kind.DATETIME, position)
    return Constant(text, Kind.STRING, position)


def _contains(field: Property, value: Constant, position: int) -> Node:
    if not isinstance(value.value, str):
        raise ODataError(f"'~' at position {position} expected a text to look for", position)
    needle = Constant(value.value.lower(), Kind.STRING, value.position)
    return Call("substringof", (needle, Call("tolower", (field,), field.position)), position)


def parse_tql(text: str, kinds: Mapping[str, Kind]) -> TqlQuery:
    """A TQL query as a filter tree (None when it only orders) and sort keys over the fields
    `kinds` names (vendor field name -> the kind of value it holds); raises ODataError saying
    where it failed. An unknown field is the read side's to refuse, naming the ones it knows."""
    condition, order = _Parser(text, kinds).query()
    if condition is not None:
        odata.check_size(condition)
    return TqlQuery(condition, [SortKey(node, descending) for node, descending in order])
