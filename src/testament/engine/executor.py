"""Executors: where executions run, behind one small interface, chosen by name.

`local` is an in-process thread pool (the embedded default). A `celery` executor will
sit beside it: its task takes an execution id and calls the same `worker.run_job`.
"""

import importlib
from typing import Protocol

from testament.services.context import AppContext

__all__ = ["EXECUTORS", "Executor", "load_executor"]


class Executor(Protocol):
    def start(self) -> None:
        """Recover what a previous process left running, then begin taking work."""

    def shutdown(self, wait_s: float = 10.0, grace_s: float = 0.0) -> None:
        """Stop taking work; let running executions finish for `grace_s`, then cut them short and
        give them `wait_s` to hand themselves back to the queue as interrupted attempts."""


EXECUTORS = {"local": "testament.engine.local:LocalExecutor"}


def load_executor(name: str, app: AppContext) -> Executor:
    try:
        module_name, _, class_name = EXECUTORS[name].partition(":")
    except KeyError:
        raise ValueError(f"unknown executor {name!r}; choose one of {', '.join(EXECUTORS)}") from None
    executor: Executor = getattr(importlib.import_module(module_name), class_name)(app)
    return executor
