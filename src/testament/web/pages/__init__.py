"""The UI's pages: one module per page group, each with its `router` (an APIRouter).

To add a page: write a route in its group's module,

    @router.get("/plans/{plan_id}")
    def plan(request: Request, plan_id: str, user: Viewer) -> HTMLResponse:
        found = plans.get_plan(user.ctx, user.principal, plan_id)   # the services, never the store
        return render(request, "pages/plan.html", plan=found)

and a template under templates/pages/ that extends base.html. A new group's module goes into
ROUTERS below, the one list install_web() includes.
"""

from fastapi import APIRouter

from testament.web.pages import (
    dashboard,
    manual,
    plans,
    runs,
    settings,
    sign_in,
    tasks,
    test_cases,
    workers,
)

__all__ = ["ROUTERS"]

ROUTERS: tuple[APIRouter, ...] = (
    sign_in.router,
    dashboard.router,
    runs.router,
    test_cases.router,
    plans.router,
    tasks.router,
    workers.router,
    settings.router,
    manual.router,
)
