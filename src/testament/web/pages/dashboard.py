"""The dashboard (/): the workspace's runs of the last days (per day, pass rate), its slowest and
flakiest test cases, and what runs now on which worker. `?days=7|14|30` sets the range."""

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from testament.services import dashboard, workers
from testament.services.dashboard import Overview
from testament.web.charts import Chart, Series, bars, line
from testament.web.render import render
from testament.web.session import Viewer

__all__ = ["router"]

router = APIRouter()


def day_label(day: date) -> str:
    return f"{day:%b} {day.day}"


def charts(view: Overview) -> tuple[Chart, Chart]:
    labels = [day_label(d.day) for d in view.days]
    runs = bars(
        "Runs per day",
        labels,
        [
            Series("Passed", "passed", [d.passed for d in view.days]),
            Series("Failed", "failed", [d.failed for d in view.days]),
            Series("Error", "error", [d.error for d in view.days]),
            Series("Stopped", "stopped", [d.stopped for d in view.days]),
            Series("Running or queued", "running", [d.running for d in view.days]),
        ],
        ident="chart-runs",
    )
    rate = line(
        "Pass rate per day",
        labels,
        [d.pass_rate for d in view.days],
        name="Pass rate",
        tone="passed",
        ident="chart-pass-rate",
    )
    return runs, rate


@router.get("/running-now", response_class=HTMLResponse)
def running_now_fragment(request: Request, user: Viewer) -> HTMLResponse:
    """The dashboard's "Running now" section alone (htmx refreshes it)."""
    fleet = workers.list_workers(user.ctx, user.principal)
    return render(
        request,
        "dashboard/_running.html",
        now=dashboard.running_now(user.ctx, user.principal),
        on_worker={e.id: w for w in fleet for e in w.executions},
    )


@router.get("/", response_class=HTMLResponse)
def dashboard_page(request: Request, user: Viewer, days: str | None = None) -> HTMLResponse:
    span = dashboard.check_days(days)
    view = dashboard.overview(user.ctx, user.principal, days=span)
    fleet = workers.list_workers(user.ctx, user.principal)
    on_worker = {e.id: w for w in fleet for e in w.executions}
    runs_chart, rate_chart = charts(view)
    return render(
        request,
        "dashboard/index.html",
        title="Dashboard",
        nav="/",
        view=view,
        days=span,
        ranges=dashboard.RANGES,
        on_worker=on_worker,
        alive=sum(1 for w in fleet if w.liveness == "alive"),
        runs_chart=runs_chart,
        rate_chart=rate_chart,
    )
