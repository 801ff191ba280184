"""Changing and deleting what the setup routes create: execution packages, script assignments
(also listed and made per script) and projects.

Refusals are the vendor's 403: a package that still holds script assignments, a project that
still holds packages, the default project. Deleting a project answers 202, as the vendor's
(which deletes in the background) does.
"""

from typing import Any

from fastapi import APIRouter, Response

from testament.compat.enterprise_tester import translate
from testament.compat.enterprise_tester.calls import Call, tql_query, user_name_of
from testament.compat.enterprise_tester.schemas import (
    AssignmentChange,
    ExecutionPackageChange,
    ExecutionPackageWire,
    ProjectInput,
    ProjectWire,
    QueryResults,
    ScriptAssignmentInput,
    ScriptAssignmentWire,
)
from testament.compat.enterprise_tester.setup_routes import (
    _assignment_full,
    _execution_package_wire,
    _manual_case,
    _project_wire,
)
from testament.compat.wire import sent
from testament.domain.filters import equals
from testament.services import assignments, packages, projects

__all__ = ["router"]

router = APIRouter(prefix="/api")


@router.put("/executionpackage/{package_id}", responses={200: {"model": ExecutionPackageWire}})
def update_execution_package(package_id: str, call: Call, body: ExecutionPackageChange) -> dict[str, Any]:
    """Rename (`Name`) or move (`ParentId`; null: to the top) an execution package."""
    changes: dict[str, Any] = {}
    if "Name" in body.model_fields_set:
        changes["name"] = body.Name or ""
    if "ParentId" in body.model_fields_set:
        changes["parent_id"] = body.ParentId
    package = packages.update_package(call.ctx, call.principal, package_id, **changes)
    return sent(_execution_package_wire(call, package))


@router.delete("/executionpackage/{package_id}")
def delete_execution_package(package_id: str, call: Call) -> Response:
    """Deletes the package and those inside it; 403 while any holds script assignments."""
    packages.delete_package(call.ctx, call.principal, package_id)
    return Response(status_code=200)


@router.put("/scriptassignment/{assignment_id}", responses={200: {"model": ScriptAssignmentWire}})
def update_script_assignment(assignment_id: str, call: Call, body: AssignmentChange) -> dict[str, Any]:
    """Give the assignment to another user (`AssignedToId`) or move it (`PackageId`)."""
    assignee, package_id = body.AssignedToId, body.PackageId
    updated = assignments.update_assignment(
        call.ctx,
        call.principal,
        assignment_id,
        assignee=user_name_of(call, assignee) if assignee else None,
        package_id=package_id,
    )
    return sent(_assignment_full(call, updated))


@router.delete("/scriptassignment/{assignment_id}")
def delete_script_assignment(assignment_id: str, call: Call) -> Response:
    """Deletes the assignment and its runs."""
    assignments.delete_assignment(call.ctx, call.principal, assignment_id)
    return Response(status_code=200)


@router.get("/script/{script_id}/assignments", responses={200: {"model": QueryResults[ScriptAssignmentWire]}})
def list_script_assignments_of_script(script_id: str, call: Call) -> dict[str, Any]:
    """The script's assignments, searched with TQL."""
    script = _manual_case(call, script_id)
    query = tql_query(call, translate.ASSIGNMENT_FIELDS).narrowed(equals("ScriptId", script.test_case.id))
    found, total = assignments.query_assignments(call.ctx, call.principal, query.selection)
    return query.envelope([_assignment_full(call, a) for a in found], total)


@router.post(
    "/script/{script_id}/assignments", status_code=201, responses={201: {"model": ScriptAssignmentWire}}
)
def create_script_assignment_of_script(
    script_id: str, call: Call, response: Response, body: ScriptAssignmentInput
) -> dict[str, Any]:
    """Assign the script (to `AssignedToId`, else the caller) in the execution package `PackageId`."""
    package_id = body.PackageId
    assignee = body.AssignedToId
    script = _manual_case(call, script_id)
    assignment = assignments.create_assignment(
        call.ctx,
        call.principal,
        package_id=package_id,
        test_case_id=script.test_case.id,
        assignee=user_name_of(call, assignee) if assignee else call.principal.user_name,
    )
    wire = _assignment_full(call, assignment)
    response.headers["Location"] = wire.Self
    return sent(wire)


@router.put("/project/{project_id}", responses={200: {"model": ProjectWire}})
def update_project(project_id: str, call: Call, body: ProjectInput) -> dict[str, Any]:
    """Rename a project (administrators); 409 when the name is taken, as the vendor answers."""
    project = projects.rename_project(call.ctx, call.principal, project_id.lower(), name=body.Name or "")
    return sent(_project_wire(call, project))


@router.delete("/project/{project_id}", status_code=202)
def delete_project(project_id: str, call: Call) -> Response:
    """Delete an empty project (administrators); 403 for the default project or one that still
    holds packages."""
    projects.delete_project(call.ctx, call.principal, project_id.lower())
    return Response(status_code=202)
