"""Which variables a test case can use, so that a caller can be told about one nothing uses.

A start may set variables (`--var NAME=VALUE`, `variables` in the API); a name no test case of
the start refers to is almost always a typo, which would otherwise pass silently.
"""

from typing import Any

from testament.domain.content.http import TEMPLATE

__all__ = ["BUILT_IN", "variables_used"]

# Every execution sees these, whatever its kind.
BUILT_IN = frozenset({"testament_url"})

# Variables a runner reads itself (the connect runner pins time, randomness and matching).
_RUNNER_VARIABLES: dict[str, frozenset[str]] = {
    "connect": frozenset(
        {"connect.start_time", "connect.seed", "connect.similarity_threshold", "connect.region"}
    ),
    "manual": frozenset(),
    "noop": frozenset(),
}


def variables_used(kind: str, content: Any) -> frozenset[str] | None:
    """The names a test case of `kind` with `content` refers to; None when that cannot be known."""
    if kind == "http":
        declared = content.get("variables") if isinstance(content, dict) else None
        return BUILT_IN | frozenset(declared or {}) | frozenset(_placeholders(content))
    runner = _RUNNER_VARIABLES.get(kind)
    return None if runner is None else BUILT_IN | runner


def _placeholders(value: Any) -> list[str]:
    if isinstance(value, str):
        return TEMPLATE.findall(value)
    if isinstance(value, list):
        return [name for item in value for name in _placeholders(item)]
    if isinstance(value, dict):
        return [name for key, item in value.items() for name in (*_placeholders(key), *_placeholders(item))]
    return []
