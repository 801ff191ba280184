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
from testament.domain.model import Environment, Plan, Suite
from testament.services import assets as svc

router = APIRouter()
Limit = Annotated[int, Query(ge=1, le=1000)]
NO_CONTENT = status.HTTP_204_NO_CONTENT


@router.post("/suites", status_code=201, tags=["suites"], operation_id="createSuite")
def create_suite(body: SuiteBody, ctx: Ctx, principal: CurrentPrincipal) -> SuitePublic:
    return SuitePublic.of(svc.create_suite(ctx, principal, **body.model_dump()))


@router.get("/suites", tags=["suites"], operation_id="listSuites")
def list_suites(
    ctx: Ctx, principal: CurrentPrincipal, limit: Limit = 50, cursor: str | None = None
) -> Page[SuitePublic]:
    page = svc.list_assets(ctx, principal, Suite, limit=limit, cursor=cursor)
    return Page(items=[SuitePublic.of(s) for s in page.items], next_cursor=page.next_cursor)


@router.get("/suites/{suite_id}", tags=["suites"], operation_id="getSuite")
def get_suite(suite_id: str, ctx: Ctx, principal: CurrentPrincipal) -> SuitePublic:
    return SuitePublic.of(svc.find_asset(ctx, principal, Suite, suite_id))


@router.patch("/suites/{suite_id}", tags=["suites"], operation_id="updateSuite")
def update_suite(suite_id: str, body: SuiteUpdate, ctx: Ctx, principal: CurrentPrincipal) -> SuitePublic:
    return SuitePublic.of(svc.update_suite(ctx, principal, suite_id, **body.model_dump(exclude_unset=True)))


@router.delete("/suites/{suite_id}", status_code=NO_CONTENT, tags=["suites"], operation_id="deleteSuite")
def delete_suite(suite_id: str, ctx: Ctx, principal: CurrentPrincipal) -> Response:
    svc.delete_asset(ctx, principal, Suite, suite_id)
    return Response(status_code=NO_CONTENT)


@router.post("/plans", status_code=201, tags=["plans"], operation_id="createPlan")
def create_plan(body: PlanBody, ctx: Ctx, principal: CurrentPrincipal) -> PlanPublic:
    return PlanPublic.of(svc.create_plan(ctx, principal, **body.model_dump()))


@router.get("/plans", tags=["plans"], operation_id="listPlans")
def list_plans(
    ctx: Ctx, principal: CurrentPrincipal, limit: Limit = 50, cursor: str | None = None
) -> Page[PlanPublic]:
    page = svc.list_assets(ctx, principal, Plan, limit=limit, cursor=cursor)
    return Page(items=[PlanPublic.of(p) for p in page.items], next_cursor=page.next_cursor)


@router.get("/plans/{plan_id}", tags=["plans"], operation_id="getPlan")
def get_plan(plan_id: str, ctx: Ctx, principal: CurrentPrincipal) -> PlanPublic:
    return PlanPublic.of(svc.find_asset(ctx, principal, Plan, plan_id))


@router.patch("/plans/{plan_id}", tags=["plans"], operation_id="updatePlan")
def update_plan(plan_id: str, body: PlanUpdate, ctx: Ctx, principal: CurrentPrincipal) -> PlanPublic:
    return PlanPublic.of(svc.update_plan(ctx, principal, plan_id, **body.model_dump(exclude_unset=True)))


@router.delete("/plans/{plan_id}", status_code=NO_CONTENT, tags=["plans"], operation_id="deletePlan")
def delete_plan(plan_id: str, ctx: Ctx, principal: CurrentPrincipal) -> Response:
    svc.delete_asset(ctx, principal, Plan, plan_id)
    return Response(status_code=NO_CONTENT)


@router.post("/environments", status_code=201, tags=["environments"], operation_id="createEnvironment")
def create_environment(body: EnvironmentBody, ctx: Ctx, principal: CurrentPrincipal) -> EnvironmentPublic:
    return EnvironmentPublic.of(svc.create_environment(ctx, principal, **body.model_dump()))


@router.get("/environments", tags=["environments"], operation_id="listEnvironments")
def list_environments(
    ctx: Ctx, principal: CurrentPrincipal, limit: Limit = 50, cursor: str | None = None
) -> Page[EnvironmentPublic]:
    page = svc.list_assets(ctx, principal, Environment, limit=limit, cursor=cursor)
    return Page(items=[EnvironmentPublic.of(e) for e in page.items], next_cursor=page.next_cursor)


@router.get("/environments/{environment_id}", tags=["environments"], operation_id="getEnvironment")
def get_environment(environment_id: str, ctx: Ctx, principal: CurrentPrincipal) -> EnvironmentPublic:
    return EnvironmentPublic.of(svc.find_asset(ctx, principal, Environment, environment_id))


@router.patch("/environments/{environment_id}", tags=["environments"], operation_id="updateEnvironment")
def update_environment(
    environment_id: str, body: EnvironmentUpdate, ctx: Ctx, principal: CurrentPrincipal
) -> EnvironmentPublic:
    return EnvironmentPublic.of(svc.update_environment(ctx, principal, environment_id, **body.model_dump()))


@router.delete(
    "/environments/{environment_id}",
    status_code=NO_CONTENT,
    tags=["environments"],
    operation_id="deleteEnvironment",
)
def delete_environment(environment_id: str, ctx: Ctx, principal: CurrentPrincipal) -> Response:
    svc.delete_asset(ctx, principal, Environment, environment_id)
    return Response(status_code=NO_CONTENT)
