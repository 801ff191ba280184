"""Runners: one per test kind. A runner gets the content of one published version and a
`RunContext`; it reports records through the context and returns an Outcome. It never
touches the database, and it checks `ctx.cancelled` between steps (stop is cooperative).

Runners are found by kind name and imported lazily.
"""

import importlib

from testament.runners.base import RunContext, Runner

__all__ = ["KINDS", "RunContext", "Runner", "runner_for"]

_RUNNERS = {
    "http": "testament.runners.http:HttpRunner",
    "noop": "testament.runners.noop:NoopRunner",
    "connect": "testament.runners.connect:ConnectRunner",
}
KINDS = tuple(_RUNNERS)  # the test kinds a worker can run


def runner_for(kind: str) -> Runner:
    try:
        module_name, _, class_name = _RUNNERS[kind].partition(":")
    except KeyError:
        raise LookupError(f"no runner for test kind {kind!r}") from None
    runner: Runner = getattr(importlib.import_module(module_name), class_name)()
    return runner
