"""One filter and sort tree for every door.

Each surface parses its own query language (OData `$filter`/`$orderby`, TQL, AWS search
criteria, Testsigma `query=`, TestInvite filters) into this tree; the read side compiles the
tree against its own columns (`testament.store.filters`), so the database does the filtering
and no surface builds SQL. The tree is plain data: frozen dataclasses naming fields by the
caller's vocabulary (a view maps each name to a column or a derived value).

What the languages need today is here: comparisons (`eq ne gt ge lt le`), `and`/`or`/`not`,
typed constants (strings, numbers, datetimes, booleans, null), and functions (`substringof`,
`startswith`, `endswith`, `tolower`, `toupper`, `length`, `year` … `second`). Every mistake
is a `FilterError` saying where it failed (a 0-based character `position` in the caller's
text when there is one) and what was expected; each surface answers it in its own wire format.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

__all__ = [
    "COMPARISONS",
    "FUNCTIONS",
    "MAX_NESTING",
    "MAX_NODES",
    "Call",
    "Comparison",
    "Constant",
    "Field",
    "FilterError",
    "Kind",
    "Logical",
    "Node",
    "Not",
    "Signature",
    "SortKey",
    "all_of",
    "any_of",
    "check_size",
    "equals",
    "too_deep",
]


class FilterError(ValueError):
    """A filter or sort the read side cannot honour; `position` is a 0-based character offset."""

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


Value = str | int | float | bool | datetime | None


@dataclass(frozen=True)
class Constant:
    value: Value
    kind: Kind
    position: int = 0


@dataclass(frozen=True)
class Field:
    """A value of the row by the caller's name for it (a view maps the name to a column)."""

    name: str
    position: int = 0


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]
    position: int = 0


@dataclass(frozen=True)
class Comparison:
    op: str
    left: Node
    right: Node
    position: int = 0


@dataclass(frozen=True)
class Not:
    operand: Node
    position: int = 0


@dataclass(frozen=True)
class Logical:
    op: str  # "and" | "or"
    left: Node
    right: Node
    position: int = 0


Node = Constant | Field | Call | Comparison | Not | Logical

COMPARISONS = ("eq", "ne", "gt", "ge", "lt", "le")


@dataclass(frozen=True)
class SortKey:
    """One ORDER BY key: a value (a field or a function of fields) and its direction."""

    value: Node
    descending: bool = False


@dataclass(frozen=True)
class Signature:
    """What a function takes and gives, so a parser can check a call before any compiling."""

    params: tuple[Kind, ...]
    result: Kind
    text: str  # the arguments as a person reads them, for error messages


_STRINGS = (Kind.STRING, Kind.STRING)
_DATE_PART = Signature((Kind.DATETIME,), Kind.NUMBER, "a datetime")
FUNCTIONS: dict[str, Signature] = {
    "substringof": Signature(_STRINGS, Kind.BOOLEAN, "needle, string"),
    "startswith": Signature(_STRINGS, Kind.BOOLEAN, "string, prefix"),
    "endswith": Signature(_STRINGS, Kind.BOOLEAN, "string, suffix"),
    "tolower": Signature((Kind.STRING,), Kind.STRING, "a string"),
    "toupper": Signature((Kind.STRING,), Kind.STRING, "a string"),
    "length": Signature((Kind.STRING,), Kind.NUMBER, "a string"),
    **{part: _DATE_PART for part in ("year", "month", "day", "hour", "minute", "second")},
}

MAX_NESTING = 50
MAX_NODES = 500


def too_deep(position: int | None = None) -> FilterError:
    return FilterError(f"The expression is nested too deeply (at most {MAX_NESTING} levels)", position)


def check_size(node: Node) -> Node:
    """A bounded tree (and/or chains included), so compiling it never recurses far."""
    count, depth_of, stack = 0, 0, [(node, 1)]
    while stack:
        current, depth = stack.pop()
        count, depth_of = count + 1, max(depth_of, depth)
        if count > MAX_NODES or depth_of > 4 * MAX_NESTING:
            raise FilterError(f"The expression is too long (at most {MAX_NODES} parts)", current.position)
        if isinstance(current, (Comparison, Logical)):
            stack += [(current.left, depth + 1), (current.right, depth + 1)]
        elif isinstance(current, Not):
            stack.append((current.operand, depth + 1))
        elif isinstance(current, Call):
            stack += [(arg, depth + 1) for arg in current.args]
    return node


# ------------------------------------------------------------------------- builders for surfaces


def equals(name: str, value: str | int | bool) -> Comparison:
    """`name eq value`, for surfaces that filter by plain fields (no text of their own)."""
    kind = Kind.BOOLEAN if isinstance(value, bool) else Kind.NUMBER if isinstance(value, int) else Kind.STRING
    return Comparison("eq", Field(name), Constant(value, kind))


def _combine(op: str, nodes: list[Node]) -> Node | None:
    """Nodes joined by `op` as a balanced tree (so long lists stay shallow); None for none."""
    if not nodes:
        return None
    if len(nodes) == 1:
        return nodes[0]
    middle = len(nodes) // 2
    left, right = _combine(op, nodes[:middle]), _combine(op, nodes[middle:])
    assert left is not None and right is not None
    return Logical(op, left, right)


def all_of(*nodes: Node | None) -> Node | None:
    return _combine("and", [n for n in nodes if n is not None])


def any_of(*nodes: Node | None) -> Node | None:
    return _combine("or", [n for n in nodes if n is not None])
