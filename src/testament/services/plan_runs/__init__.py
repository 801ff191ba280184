"""Plan runs: a run of a plan, its executions grouped, with counts and a status derived from
theirs. Reading them (read.py), the sheets a numbering surface shows (sheets.py: the read
model with names and surface numbers in one go), stopping and rerunning them (write.py).
A plan run is made with its executions when a plan starts (services/executions/start.py).
"""

from testament.services.plan_runs.read import (
    PLAN_RUNS,
    PlanRunView,
    get_plan_run,
    list_plan_runs,
    load_plan_run,
    query_plan_runs,
)
from testament.services.plan_runs.sheets import (
    PlanRunSheet,
    RunExecution,
    plan_run_sheet,
    plan_run_sheets,
    start_and_show,
)
from testament.services.plan_runs.write import rerun_plan_run, stop_plan_run

__all__ = [
    "PLAN_RUNS",
    "PlanRunSheet",
    "PlanRunView",
    "RunExecution",
    "get_plan_run",
    "list_plan_runs",
    "load_plan_run",
    "plan_run_sheet",
    "plan_run_sheets",
    "query_plan_runs",
    "rerun_plan_run",
    "start_and_show",
    "stop_plan_run",
]
