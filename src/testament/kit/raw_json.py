"""Checks of a JSON text made before (or instead of) trusting a parser with it.

How deeply it nests arrays and objects: parsers recurse once per level, so a text nested a
thousand levels deep exhausts the stack before any rule can be checked. The depth is measured
on the raw text (brackets inside strings do not count), and a text deeper than the limit is
refused unparsed.

Whether it escapes a lone surrogate (`"\\ud800"`): JSON allows the escape, but the string it
makes is not Unicode text, and neither a database nor a UTF-8 answer can carry it.
"""

import json
import re
from typing import Any

__all__ = ["MAX_JSON_DEPTH", "has_lone_surrogate", "json_depth", "loads", "nests_deeper_than"]

MAX_JSON_DEPTH = 64

_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)
_OPENERS = frozenset(b"[{")


def json_depth(text: bytes | str) -> int:
    """The deepest nesting of arrays and objects in `text` (0 for a scalar)."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if data.count(b"[") + data.count(b"{") == 0:
        return 0
    depth = deepest = 0
    for match in _TOKENS.finditer(data):
        token = match.group()
        if token[0] in _OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        elif token[0] != ord('"'):
            depth = max(depth - 1, 0)
    return deepest


def nests_deeper_than(text: bytes | str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether `text` nests more than `limit` levels; quick when it has fewer brackets than that."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    return json_depth(data) > limit


def loads(text: str | bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """`json.loads`, but a text nested deeper than `max_depth` is refused (ValueError, as any
    text that is not JSON) before it is parsed."""
    if nests_deeper_than(text, max_depth):
        raise ValueError(f"nested deeper than {max_depth} levels of arrays and objects")
    return json.loads(text)


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def has_lone_surrogate(data: bytes) -> bool:
    """Whether a JSON text (nested no deeper than the limit) holds a string with a lone
    surrogate. Parsed only when it escapes a surrogate at all, which text rarely does."""
    if not _SURROGATE_ESCAPE.search(data):
        return False
    try:
        parsed = json.loads(data)
    except ValueError:
        return False  # not JSON: the route that reads it says so
    return _any_lone_surrogate(parsed)


def _any_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, str):
            try:
                current.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(current, dict):
            stack += [*current.keys(), *current.values()]
        elif isinstance(current, list):
            stack += current
    return False
