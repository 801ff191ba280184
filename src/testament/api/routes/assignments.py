"""/api/v1/packages and /api/v1/assignments: who runs what by hand, and their runs."""

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from testament.api.deps import Ctx, CurrentPrincipal
from testament.api.errors import raises
from testament.api.schemas import ExecutionPublic, FromDomain, Items
from testament.domain.errors import QuotaExceeded
from testament.services import assignments as svc
from testament.services import packages, references

router = APIRouter(tags=["assignments"])


class PackageBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    parent_id: str | None = None


class PackagePublic(FromDomain):
    id: str
    name: str
    parent_id: str | None
    project_id: str | None = Field(description="the project it is in; null: the workspace's default")
    created_at: datetime


class AssignmentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    package_id: str
    test_case_id: str
    assignee: str = Field(min_length=1, max_length=200, description="the user name of the person who runs it")


class AssignmentPublic(FromDomain):
    id: str
    package_id: str
    test_case_id: str
    assignee: str
    created_by: str
    created_at: datetime


@router.post("/packages", status_code=201, operation_id="createPackage", summary="Create a package")
def create_package(body: PackageBody, ctx: Ctx, principal: CurrentPrincipal) -> PackagePublic:
    """A folder of assignments, at the top level or inside `parent_id` (packages nest). Testers, managers
    and admins may call it."""
    return PackagePublic.of(packages.create_package(ctx, principal, name=body.name, parent_id=body.parent_id))


@router.get("/packages", operation_id="listPackages", summary="List packages")
def list_packages(
    ctx: Ctx, principal: CurrentPrincipal, parent_id: str | None = None
) -> Items[PackagePublic]:
    """Top-level packages, or those directly inside `parent_id`. Any role may call it."""
    parent_id = references.resolve_filter(ctx, principal, references.PACKAGE, parent_id, field="parent_id")
    return Items(
        items=[PackagePublic.of(p) for p in packages.list_packages(ctx, principal, parent_id=parent_id)]
    )


@router.get("/packages/{package_id}", operation_id="getPackage", summary="Get a package")
def get_package(package_id: str, ctx: Ctx, principal: CurrentPrincipal) -> PackagePublic:
    """A package by id, or by a name only one package has. Any role may call it."""
    return PackagePublic.of(packages.get_package(ctx, principal, package_id))


@router.post("/assignments", status_code=201, operation_id="createAssignment", summary="Assign a test case")
def create_assignment(body: AssignmentBody, ctx: Ctx, principal: CurrentPrincipal) -> AssignmentPublic:
    """Give a test case, in a package, to the person who will run it by hand (`assignee`: the user name
    of their key). Testers, managers and admins may call it."""
    return AssignmentPublic.of(svc.create_assignment(ctx, principal, **body.model_dump()))


@router.get("/assignments", operation_id="listAssignments", summary="List assignments")
def list_assignments(
    ctx: Ctx, principal: CurrentPrincipal, package_id: str | None = None, assignee: str | None = None
) -> Items[AssignmentPublic]:
    """Assignments, optionally of one package or one assignee. Any role may call it."""
    package_id = references.resolve_filter(ctx, principal, references.PACKAGE, package_id)
    found = svc.list_assignments(ctx, principal, package_id=package_id, assignee=assignee)
    return Items(items=[AssignmentPublic.of(a) for a in found])


@router.get("/assignments/{assignment_id}", operation_id="getAssignment", summary="Get an assignment")
def get_assignment(assignment_id: str, ctx: Ctx, principal: CurrentPrincipal) -> AssignmentPublic:
    """An assignment: its package, test case and assignee. Any role may call it."""
    return AssignmentPublic.of(svc.get_assignment(ctx, principal, assignment_id))


@router.post(
    "/assignments/{assignment_id}/runs",
    status_code=201,
    operation_id="startAssignmentRun",
    summary="Start an assignment's run",
    responses={
        200: {
            "model": ExecutionPublic,
            "description": "the assignment's incomplete run, returned instead of a new one",
        },
        **raises(QuotaExceeded),
    },
)
def start_run(
    assignment_id: str, ctx: Ctx, principal: CurrentPrincipal, response: Response
) -> ExecutionPublic:
    """Start a run of the assignment's test case (its published version), or get its incomplete run
    (200): an assignment has one open run at a time. Testers start the assignments given to them;
    managers and admins start any."""
    run = svc.start_assignment_run(ctx, principal, assignment_id)
    if not run.created:
        response.status_code = 200
    return ExecutionPublic.of(run.execution)


@router.get(
    "/assignments/{assignment_id}/runs",
    operation_id="listAssignmentRuns",
    summary="List an assignment's runs",
)
def list_runs(assignment_id: str, ctx: Ctx, principal: CurrentPrincipal) -> Items[ExecutionPublic]:
    """The assignment's runs. Any role may call it."""
    return Items(
        items=[ExecutionPublic.of(x) for x in svc.list_assignment_runs(ctx, principal, assignment_id)]
    )
