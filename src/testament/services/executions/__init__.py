"""Executions: one run of one published test-case version (one data set), its records, its
artifacts and, for a manual one, its step results. Starting (start.py), stopping, overriding
and deleting (lifecycle.py), reading (read.py); manual runs (manual.py) and artifacts
(artifacts.py) are their own modules, imported by name.
"""

from testament.services.executions.lifecycle import (
    delete_execution,
    override_executions,
    request_stop,
    request_stop_all,
    stop_execution,
)
from testament.services.executions.read import (
    Record,
    get_execution,
    list_executions,
    list_records,
    load_execution,
)
from testament.services.executions.start import (
    ACTIVE,
    SECRET,
    RunDetails,
    Slot,
    Started,
    begin_manual_run,
    start_execution,
)

__all__ = [
    "ACTIVE",
    "SECRET",
    "Record",
    "RunDetails",
    "Slot",
    "Started",
    "begin_manual_run",
    "delete_execution",
    "get_execution",
    "list_executions",
    "list_records",
    "load_execution",
    "override_executions",
    "request_stop",
    "request_stop_all",
    "start_execution",
    "stop_execution",
]
