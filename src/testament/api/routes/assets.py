"""/api/v1/suites, /api/v1/plans, /api/v1/environments"""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from testament.api.deps import Ctx, CurrentPrincipal
from testament.api.schemas import (
    EnvironmentBody,
    EnvironmentPublic,
    EnvironmentUpdate,
    Page,
    PlanBody,
    PlanPublic,
    PlanUpdate,
    SuiteBody,
    SuitePublic,
    SuiteUpdate,
)
from testament.services import environments, plans, suites

router = APIRouter()
Limit = Annotated[int, Query(ge=1, le=1000)]
NO_CONTENT = status.HTTP_204_NO_CONTENT


@router.post(
    "/suites", status_code=201, tags=["suites"], operation_id="createSuite", summary="Create a suite"
)
def create_suite(body: SuiteBody, ctx: Ctx, principal: CurrentPrincipal) -> SuitePublic:
    """An ordered group of test cases, at the top level or inside `parent_id` (suites nest). Testers,
    managers and admins may call it."""
    return SuitePublic.of(suites.create_suite(ctx, principal, **body.model_dump()))


@router.get("/suites", tags=["suites"], operation_id="listSuites", summary="List suites")
def list_suites(
    ctx: Ctx, principal: CurrentPrincipal, limit: Limit = 50, cursor: str | None = None
) -> Page[SuitePublic]:
    """The workspace's suites, cursor-paginated. Any role may call it."""
    page = suites.list_suites(ctx, principal, limit=limit, cursor=cursor)
    return Page(items=[SuitePublic.of(s) for s in page.items], next_cursor=page.next_cursor)


@router.get("/suites/{suite_id}", tags=["suites"], operation_id="getSuite", summary="Get a suite")
def get_suite(suite_id: str, ctx: Ctx, principal: CurrentPrincipal) -> SuitePublic:
    """A suite by id or name. Any role may call it."""
    return SuitePublic.of(suites.get_suite(ctx, principal, suite_id))


@router.patch("/suites/{suite_id}", tags=["suites"], operation_id="updateSuite", summary="Change a suite")
def update_suite(suite_id: str, body: SuiteUpdate, ctx: Ctx, principal: CurrentPrincipal) -> SuitePublic:
    """Change the fields given; `parent_id: null` moves the suite to the top level. Testers, managers and
    admins may call it."""
    return SuitePublic.of(
        suites.update_suite(ctx, principal, suite_id, **body.model_dump(exclude_unset=True))
    )


@router.delete(
    "/suites/{suite_id}",
    status_code=NO_CONTENT,
    tags=["suites"],
    operation_id="deleteSuite",
    summary="Delete a suite",
)
def delete_suite(suite_id: str, ctx: Ctx, principal: CurrentPrincipal) -> Response:
    """Delete a suite and the suites inside it. Refused (409) while a plan uses one of them. Managers and
    admins may call it."""
    suites.delete_suite(ctx, principal, suite_id)
    return Response(status_code=NO_CONTENT)


@router.post("/plans", status_code=201, tags=["plans"], operation_id="createPlan", summary="Create a plan")
def create_plan(body: PlanBody, ctx: Ctx, principal: CurrentPrincipal) -> PlanPublic:
    """What a run starts: suites, with an environment, retries, machines (named targets with their own
    variables and suites), run settings and an optional quality gate (`pass_ratio`). Testers, managers
    and admins may call it."""
    return PlanPublic.of(plans.create_plan(ctx, principal, **body.model_dump()))


@router.get("/plans", tags=["plans"], operation_id="listPlans", summary="List plans")
def list_plans(
    ctx: Ctx, principal: CurrentPrincipal, limit: Limit = 50, cursor: str | None = None
) -> Page[PlanPublic]:
    """The workspace's plans, cursor-paginated. Any role may call it."""
    page = plans.list_plans(ctx, principal, limit=limit, cursor=cursor)
    return Page(items=[PlanPublic.of(p) for p in page.items], next_cursor=page.next_cursor)


@router.get("/plans/{plan_id}", tags=["plans"], operation_id="getPlan", summary="Get a plan")
def get_plan(plan_id: str, ctx: Ctx, principal: CurrentPrincipal) -> PlanPublic:
    """A plan by id or name. Any role may call it."""
    return PlanPublic.of(plans.get_plan(ctx, principal, plan_id))


@router.patch("/plans/{plan_id}", tags=["plans"], operation_id="updatePlan", summary="Change a plan")
def update_plan(plan_id: str, body: PlanUpdate, ctx: Ctx, principal: CurrentPrincipal) -> PlanPublic:
    """Change the fields given; `environment_id: null` removes the environment, `retries: null` the
    plan's retries (each test case's own count applies again), `pass_ratio: null` the quality gate.
    Testers, managers and admins may call it."""
    return PlanPublic.of(plans.update_plan(ctx, principal, plan_id, **body.model_dump(exclude_unset=True)))


@router.delete(
    "/plans/{plan_id}",
    status_code=NO_CONTENT,
    tags=["plans"],
    operation_id="deletePlan",
    summary="Delete a plan",
)
def delete_plan(plan_id: str, ctx: Ctx, principal: CurrentPrincipal) -> Response:
    """A plan that never ran is deleted; one that ran is retired (hidden, its name freed) so that its
    runs stay readable. Refused (409) while it has a run in progress or a task step uses it. Managers and
    admins may call it."""
    plans.delete_plan(ctx, principal, plan_id)
    return Response(status_code=NO_CONTENT)


@router.post(
    "/environments",
    status_code=201,
    tags=["environments"],
    operation_id="createEnvironment",
    summary="Create an environment",
)
def create_environment(body: EnvironmentBody, ctx: Ctx, principal: CurrentPrincipal) -> EnvironmentPublic:
    """Named variables and secrets that runs use. Secrets are kept encrypted, masked in records and never
    returned: only their names are. Testers, managers and admins may call it."""
    return EnvironmentPublic.of(environments.create_environment(ctx, principal, **body.model_dump()))


@router.get(
    "/environments", tags=["environments"], operation_id="listEnvironments", summary="List environments"
)
def list_environments(
    ctx: Ctx, principal: CurrentPrincipal, limit: Limit = 50, cursor: str | None = None
) -> Page[EnvironmentPublic]:
    """The workspace's environments (secret names, never values), cursor-paginated. Any role may call it."""
    page = environments.list_environments(ctx, principal, limit=limit, cursor=cursor)
    return Page(items=[EnvironmentPublic.of(e) for e in page.items], next_cursor=page.next_cursor)


@router.get(
    "/environments/{environment_id}",
    tags=["environments"],
    operation_id="getEnvironment",
    summary="Get an environment",
)
def get_environment(environment_id: str, ctx: Ctx, principal: CurrentPrincipal) -> EnvironmentPublic:
    """An environment by id or name, with its variables and the names of its secrets. Any role may call
    it."""
    return EnvironmentPublic.of(environments.get_environment(ctx, principal, environment_id))


@router.patch(
    "/environments/{environment_id}",
    tags=["environments"],
    operation_id="updateEnvironment",
    summary="Change an environment",
)
def update_environment(
    environment_id: str, body: EnvironmentUpdate, ctx: Ctx, principal: CurrentPrincipal
) -> EnvironmentPublic:
    """Change the fields given; given `variables` or `secrets` replace the current ones whole. Testers,
    managers and admins may call it."""
    return EnvironmentPublic.of(
        environments.update_environment(ctx, principal, environment_id, **body.model_dump())
    )


@router.delete(
    "/environments/{environment_id}",
    status_code=NO_CONTENT,
    tags=["environments"],
    operation_id="deleteEnvironment",
    summary="Delete an environment",
)
def delete_environment(environment_id: str, ctx: Ctx, principal: CurrentPrincipal) -> Response:
    """Delete an environment. Managers and admins may call it."""
    environments.delete_environment(ctx, principal, environment_id)
    return Response(status_code=NO_CONTENT)
