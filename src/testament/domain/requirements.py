"""Routing: what an execution requires of the worker that runs it, and which workers satisfy it.

A requirement set (`requires`) maps a label to the one value a worker's label must have:
`{browser: chromium}` is met by a worker with `--labels browser=chromium,os=linux`, not by one
with `browser=firefox` or no `browser` label. Values are plain strings compared exactly; there
are no lists of allowed values and no wildcards (a test case that runs on any browser requires
no `browser` label). Requirements are declared on test cases and on a plan's machines; an
execution carries the merged set (the machine's value wins on a conflict: the plan says where
this run goes), fixed when it is queued.

So that a claim is one indexed comparison on both SQLite and PostgreSQL, an execution stores its
requirements' canonical key (`requirement_key`), and a worker claims the executions whose key is
one of the keys of its labels' subsets (`satisfiable_keys`): at most `MAX_LABELS` labels, so at
most 2^MAX_LABELS keys.
"""

import json
import re
from collections.abc import Mapping
from itertools import combinations
from typing import Any

from testament.domain.errors import InvalidInput

__all__ = [
    "MAX_LABELS",
    "check_labels",
    "check_requires",
    "describe",
    "merged",
    "requirement_key",
    "satisfiable_keys",
    "satisfies",
]

MAX_LABELS = 8
LABEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,62}$")
VALUE_MAX = 100


def check_requires(field: str, value: Any) -> dict[str, str]:
    """A requirement set as given through the API or YAML; InvalidInput names the field."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInput(field, "must be an object of label names to values")
    return _checked(field, value, "requirements")


def check_labels(labels: Mapping[str, str]) -> dict[str, str]:
    """A worker's labels: the same rules as requirements, so any requirement can be met."""
    return _checked("labels", labels, "labels")


def _checked(field: str, pairs: Mapping[Any, Any], what: str) -> dict[str, str]:
    if len(pairs) > MAX_LABELS:
        raise InvalidInput(field, f"at most {MAX_LABELS} {what}")
    for name, value in pairs.items():
        if not isinstance(name, str) or not LABEL_NAME.match(name):
            raise InvalidInput(field, f"{name!r} is not a label name (letters, digits, _ . -; up to 63)")
        if not isinstance(value, str) or not 1 <= len(value) <= VALUE_MAX or "\n" in value:
            raise InvalidInput(f"{field}.{name}", f"must be a string of 1 to {VALUE_MAX} characters")
    return {name: pairs[name] for name in sorted(pairs)}


def merged(case: Mapping[str, str], machine: Mapping[str, str]) -> dict[str, str]:
    """An execution's requirements: its test case's, and its plan machine's over them."""
    both = {**case, **machine}
    return {name: both[name] for name in sorted(both)}


def requirement_key(requires: Mapping[str, str]) -> str:
    """The canonical text of a requirement set ("" for none): equal sets, equal keys."""
    if not requires:
        return ""
    return json.dumps(dict(sorted(requires.items())), separators=(",", ":"), ensure_ascii=False)


def satisfiable_keys(labels: Mapping[str, str]) -> list[str]:
    """The keys of every requirement set these labels meet: one per subset of the labels."""
    pairs = sorted(labels.items())
    return [
        requirement_key(dict(subset))
        for size in range(len(pairs) + 1)
        for subset in combinations(pairs, size)
    ]


def satisfies(labels: Mapping[str, str], requires: Mapping[str, str]) -> bool:
    return all(labels.get(name) == value for name, value in requires.items())


def describe(kind: str, requires: Mapping[str, str]) -> str:
    """Why an execution waits: what no live worker has."""
    wanted = f"kind {kind!r}"
    if requires:
        wanted += " and labels " + ",".join(f"{name}={value}" for name, value in requires.items())
    return f"no live worker has {wanted}"
