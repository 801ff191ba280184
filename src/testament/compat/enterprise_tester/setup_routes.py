"""What a team needs to set up and read manual testing through the Enterprise Tester surface:
projects (named areas of the workspace), users, script packages (suites), scripts (manual test cases),
execution packages and script assignments."""

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from testament.compat.enterprise_tester import translate
from testament.compat.enterprise_tester.calls import (
    Call,
    Caller,
    assignment_wire,
    odata_query,
    run_wire_of,
    tql_query,
    user_name_of,
)
from testament.compat.enterprise_tester.errors import EtError
from testament.compat.enterprise_tester.schemas import (
    AssignmentInput,
    ExecutionPackageInput,
    ExecutionPackageWire,
    ProjectInput,
    ProjectWire,
    QueryResults,
    ScriptAssignmentWire,
    ScriptChange,
    ScriptInput,
    ScriptPackageChange,
    ScriptPackageInput,
    ScriptPackageWire,
    ScriptWire,
)
from testament.compat.wire import sent
from testament.domain.attachments import Holder
from testament.domain.model import Project, Suite
from testament.services import assignments, attachments, projects, read_side, suites, test_cases, workspaces
from testament.services import packages as execution_packages
from testament.services.paging import MAX_LIMIT

router = APIRouter(prefix="/api")


def _project_wire(call: Caller, project: Project) -> ProjectWire:
    """The vendor's Project: the workspace is its organisation; numbering, categories and
    managers are not kept, so they read as the vendor's defaults."""
    return ProjectWire(
        Id=project.id,
        Name=project.name,
        OrganisationId=project.workspace_id,
        OrganisationName=workspaces.get_workspace(call.ctx, project.workspace_id).name,
        ProjectCategoryId=None,
        ProjectCategoryName=None,
        Description=None,
        ManagerId=None,
        ManagerUserName=None,
        Slug="-".join(project.name.lower().split()),
        AutoNumberRequirements=False,
        AutoNumberScripts=False,
        Independent=True,
        RequirementNumberReadOnly=False,
        ScriptNumberReadOnly=False,
        OrderNumber=0,
        ProjectTypeId=None,
        CreatedAt=translate.iso(project.created_at),
        Self=f"{call.base}api/project/{project.id}",
    )


@router.get("/projects", responses={200: {"model": QueryResults[ProjectWire]}})
def list_projects(call: Call) -> dict[str, Any]:
    """The workspace's projects (its default one has the workspace's id and name); OData
    options apply."""
    query = odata_query(call, translate.PROJECT_FIELDS)
    found, total = projects.query_projects(call.ctx, call.principal, query.selection)
    return query.envelope([_project_wire(call, p) for p in found], total)


@router.get("/project/{project_id}", responses={200: {"model": ProjectWire}})
def get_project(project_id: str, call: Call) -> dict[str, Any]:
    return sent(_project_wire(call, projects.get_project(call.ctx, call.principal, project_id.lower())))


@router.post("/projects", status_code=201, responses={201: {"model": ProjectWire}})
def create_project(call: Call, response: Response, body: ProjectInput) -> dict[str, Any]:
    """A project in the key's workspace (administrators); 409 when the name is taken."""
    project = projects.create_project(call.ctx, call.principal, name=body.Name or "")
    wire = _project_wire(call, project)
    response.headers["Location"] = wire.Self
    return sent(wire)


def _package_wire(call: Caller, suite: Suite) -> ScriptPackageWire:
    expand = call.expand
    wire = ScriptPackageWire(
        Id=suite.id,
        ParentId=suite.parent_id,
        ProjectId=suite.project_id or suite.workspace_id,
        Name=suite.name,
        Description=suite.description or None,
        OrderNumber=0,
        CreatedAt=translate.iso(suite.created_at),
        LastUpdatedAt=translate.iso(suite.updated_at),
        Expands=[e for e in ("Children", "Parent") if e not in expand],
        Self=f"{call.base}api/scriptpackage/{suite.id}",
    )
    if "Parent" in expand:
        parent = suites.get_suite(call.ctx, call.principal, suite.parent_id) if suite.parent_id else None
        wire.Parent = _package_wire(replace(call, params={}), parent) if parent else None
    if "Children" in expand:
        children, _ = suites.query_suites(
            call.ctx, call.principal, read_side.Selection(limit=MAX_LIMIT), children_of=suite.id
        )
        wire.Children = [_package_wire(replace(call, params={}), c) for c in children]
    return wire


@router.get("/scriptpackages", responses={200: {"model": QueryResults[ScriptPackageWire]}})
def list_script_packages(call: Call) -> dict[str, Any]:
    """Every script package of the project, searched with TQL."""
    query = tql_query(call, translate.SCRIPT_PACKAGE_FIELDS)
    found, total = suites.query_suites(call.ctx, call.principal, query.selection)
    return query.envelope([_package_wire(call, s) for s in found], total)


@router.post("/scriptpackages", status_code=201, responses={201: {"model": ScriptPackageWire}})
def create_script_package(call: Call, response: Response, body: ScriptPackageInput) -> dict[str, Any]:
    """A script package, at the top level or inside `ParentId`."""
    suite = suites.create_suite(
        call.ctx,
        call.principal,
        name=body.Name or "",
        description=body.Description or "",
        test_case_ids=[],
        parent_id=body.ParentId,
        project_id=body.ProjectId,
    )
    wire = _package_wire(call, suite)
    response.headers["Location"] = wire.Self
    return sent(wire)


@router.get("/scriptpackage/{package_id}", responses={200: {"model": ScriptPackageWire}})
def get_script_package(package_id: str, call: Call) -> dict[str, Any]:
    return sent(_package_wire(call, suites.get_suite(call.ctx, call.principal, package_id)))


@router.put("/scriptpackage/{package_id}", responses={200: {"model": ScriptPackageWire}})
def update_script_package(package_id: str, call: Call, body: ScriptPackageChange) -> dict[str, Any]:
    """Rename, describe or move a script package (`ParentId` null: to the top level)."""
    changes: dict[str, Any] = {}
    if "Name" in body.model_fields_set:
        changes["name"] = body.Name or ""
    if "Description" in body.model_fields_set:
        changes["description"] = body.Description or ""
    if "ParentId" in body.model_fields_set:
        changes["parent_id"] = body.ParentId
    return sent(_package_wire(call, suites.update_suite(call.ctx, call.principal, package_id, **changes)))


@router.delete("/scriptpackage/{package_id}")
def delete_script_package(package_id: str, call: Call) -> Response:
    """Deletes the package and the packages inside it; its scripts stay."""
    suites.delete_suite(call.ctx, call.principal, package_id)
    return Response(status_code=200)


@router.get(
    "/scriptpackage/{package_id}/children", responses={200: {"model": QueryResults[ScriptPackageWire]}}
)
def list_script_package_children(package_id: str, call: Call) -> dict[str, Any]:
    """The script packages directly inside one; OData options apply."""
    parent = suites.get_suite(call.ctx, call.principal, package_id)
    query = odata_query(call, translate.SCRIPT_PACKAGE_FIELDS)
    found, total = suites.query_suites(call.ctx, call.principal, query.selection, children_of=parent.id)
    return query.envelope([_package_wire(call, s) for s in found], total)


def _packages_by_script(call: Caller) -> dict[str, Suite]:
    """The script package each script is in (its first suite), looked up once per request."""
    every_suite, _ = suites.query_suites(call.ctx, call.principal, read_side.Selection(limit=MAX_LIMIT))
    found: dict[str, Suite] = {}
    for suite in every_suite:
        for case_id in suite.test_case_ids:
            found.setdefault(case_id, suite)
    return found


def _script_wire(
    call: Caller, view: test_cases.TestCaseView, packages: dict[str, Suite] | None = None
) -> ScriptWire:
    case = view.test_case
    package = (packages if packages is not None else _packages_by_script(call)).get(case.id)
    expand = call.expand
    project_id = (package.project_id if package else None) or case.workspace_id
    attached = attachments.count_attachments(call.ctx, call.principal, Holder.TEST_CASE, case.id)
    wire = ScriptWire(
        Id=case.id,
        Name=case.name,
        Description=case.description or None,
        PackageId=package.id if package else None,
        PackageName=package.name if package else None,
        ProjectId=project_id,
        ProjectName=projects.get_project(call.ctx, call.principal, project_id).name,
        VersionNumber=case.published_version or case.version,
        FieldValues=dict(case.tags),  # custom field values set with PATCH script/{id}
        **_SCRIPT_FIELDS_NOT_KEPT,
        HasAttachments=attached > 0,
        CreatedAt=translate.iso(case.created_at),
        LastUpdatedAt=translate.iso(case.updated_at),
        Expands=[e for e in ("Steps", "Package", "Assignments") if e not in expand],
        Self=f"{call.base}api/script/{case.id}",
    )
    if "Steps" in expand:
        wire.Steps = translate.steps_of(view.content or {})
    return wire


# the vendor's Script fields Testament does not keep for a manual test case, as it writes them unset
_SCRIPT_FIELDS_NOT_KEPT: dict[str, Any] = {
    "AssignedTo": None,
    "AssignedToId": None,
    "PriorityId": None,
    "StatusId": None,
    "TypeId": None,
    "CreatedById": None,
    "CreatedBy": None,
    "LastUpdatedById": None,
    "LastUpdatedBy": None,
    "Objective": None,
    "PreCondition": None,
    "PostCondition": None,
    "EstimatedDuration": None,
    "OrderNumber": 0,
    "ChangeComment": None,
    "Notes": None,
}


def _manual_case(call: Caller, script_id: str) -> test_cases.TestCaseView:
    view = test_cases.get_test_case(call.ctx, call.principal, script_id)
    if view.test_case.kind != "manual":
        raise EtError(404, f"Script {script_id} was not found")
    return view


def _existing_script(script_id: str, call: Call) -> test_cases.TestCaseView:
    """The script a change names, looked up before its body is read: 404 whatever the body."""
    return _manual_case(call, script_id)


ExistingScript = Annotated[test_cases.TestCaseView, Depends(_existing_script)]


@router.get("/scripts", responses={200: {"model": QueryResults[ScriptWire]}})
def list_scripts(call: Call) -> dict[str, Any]:
    """Every script of the project, searched with TQL."""
    query = tql_query(call, translate.SCRIPT_FIELDS)
    cases, total = test_cases.query_test_cases(call.ctx, call.principal, query.selection, kind="manual")
    packages = _packages_by_script(call)
    found = [test_cases.get_test_case(call.ctx, call.principal, c.id) for c in cases]
    return query.envelope([_script_wire(call, v, packages) for v in found], total)


@router.post("/scripts", status_code=201, responses={201: {"model": ScriptWire}})
def create_script(call: Call, response: Response, body: ScriptInput) -> dict[str, Any]:
    """A script with `Steps`; it is published at once, so it can be assigned and run."""
    package_id = body.PackageId
    view = test_cases.create_test_case(
        call.ctx,
        call.principal,
        kind="manual",
        name=body.Name or "",
        description=body.Description or "",
        content=translate.content_of(body.Steps or []),
        publish=True,
        suite_id=package_id,
    )
    wire = _script_wire(call, view)
    response.headers["Location"] = wire.Self
    return sent(wire)


@router.get("/script/{script_id}", responses={200: {"model": ScriptWire}})
def get_script(script_id: str, call: Call) -> dict[str, Any]:
    return sent(_script_wire(call, _manual_case(call, script_id)))


@router.put("/script/{script_id}", responses={200: {"model": ScriptWire}})
def update_script(script_id: str, call: Call, _script: ExistingScript, body: ScriptChange) -> dict[str, Any]:
    """Changing `Steps` makes a new script version; runs in progress keep theirs."""
    view = test_cases.update_test_case(
        call.ctx,
        call.principal,
        script_id,
        name=body.Name,
        description=body.Description,
        content=translate.content_of(body.Steps) if "Steps" in body.model_fields_set else test_cases.UNSET,
        publish=True,
    )
    return sent(_script_wire(call, view))


@router.delete("/script/{script_id}")
def delete_script(script_id: str, call: Call) -> Response:
    _manual_case(call, script_id)
    test_cases.delete_test_case(call.ctx, call.principal, script_id)
    return Response(status_code=200)


def _execution_package_wire(call: Caller, package: Any) -> ExecutionPackageWire:
    return ExecutionPackageWire(
        Id=package.id,
        ParentId=package.parent_id,
        ProjectId=package.project_id or package.workspace_id,
        Name=package.name,
        Stereotype=None,
        OrderNumber=0,
        Expands=["Children", "Parent", "Project", "ScriptAssignments"],
        Self=f"{call.base}api/executionpackage/{package.id}",
    )


@router.get("/executionpackages", responses={200: {"model": QueryResults[ExecutionPackageWire]}})
def list_execution_packages(call: Call) -> dict[str, Any]:
    """Every execution package of the project, searched with TQL."""
    query = tql_query(call, translate.PACKAGE_FIELDS)
    found, total = execution_packages.query_packages(call.ctx, call.principal, query.selection)
    return query.envelope([_execution_package_wire(call, p) for p in found], total)


@router.post("/executionpackages", status_code=201, responses={201: {"model": ExecutionPackageWire}})
def create_execution_package(call: Call, response: Response, body: ExecutionPackageInput) -> dict[str, Any]:
    package = execution_packages.create_package(
        call.ctx, call.principal, name=body.Name or "", parent_id=body.ParentId, project_id=body.ProjectId
    )
    wire = _execution_package_wire(call, package)
    response.headers["Location"] = wire.Self
    return sent(wire)


@router.get("/executionpackage/{package_id}", responses={200: {"model": ExecutionPackageWire}})
def get_execution_package(package_id: str, call: Call) -> dict[str, Any]:
    return sent(
        _execution_package_wire(call, execution_packages.get_package(call.ctx, call.principal, package_id))
    )


@router.get(
    "/executionpackage/{package_id}/children", responses={200: {"model": QueryResults[ExecutionPackageWire]}}
)
def list_children(package_id: str, call: Call) -> dict[str, Any]:
    """The packages directly inside one; OData options apply."""
    package = execution_packages.get_package(call.ctx, call.principal, package_id)
    query = odata_query(call, translate.PACKAGE_FIELDS)
    children, total = execution_packages.query_packages(
        call.ctx, call.principal, query.selection, children_of=package.id
    )
    return query.envelope([_execution_package_wire(call, p) for p in children], total)


@router.get("/scriptassignments", responses={200: {"model": QueryResults[ScriptAssignmentWire]}})
def list_script_assignments(call: Call) -> dict[str, Any]:
    """Every script assignment of the project, searched with TQL."""
    query = tql_query(call, translate.ASSIGNMENT_FIELDS)
    found, total = assignments.query_assignments(call.ctx, call.principal, query.selection)
    packages = _packages_by_script(call) if "Script" in call.expand else None  # once per page
    summaries = assignments.summarize_assignments(call.ctx, call.principal, [a.id for a in found])
    return query.envelope([_assignment_full(call, a, packages, summaries[a.id]) for a in found], total)


@router.post("/scriptassignments", status_code=201, responses={201: {"model": ScriptAssignmentWire}})
def create_script_assignment(call: Call, response: Response, body: AssignmentInput) -> dict[str, Any]:
    package_id = body.PackageId
    script = _manual_case(call, body.ScriptId or "")
    assignee = user_name_of(call, body.AssignedToId) if body.AssignedToId else call.principal.user_name
    assignment = assignments.create_assignment(
        call.ctx,
        call.principal,
        package_id=package_id,
        test_case_id=script.test_case.id,
        assignee=assignee,
    )
    wire = _assignment_full(call, assignment)
    response.headers["Location"] = wire.Self
    return sent(wire)


def _assignment_full(
    call: Caller,
    assignment: Any,
    packages: dict[str, Suite] | None = None,
    summary: assignments.AssignmentSummary | None = None,
) -> ScriptAssignmentWire:
    wire = assignment_wire(call, assignment, summary)
    expand = call.expand
    runs = (
        assignments.list_assignment_runs(call.ctx, call.principal, assignment.id)
        if {"Runs", "LastRun"} & set(expand)
        else []
    )
    wire.Expands = [e for e in ("Package", "Runs", "LastRun", "Script") if e not in expand]
    if "Runs" in expand:
        wire.Runs = [run_wire_of(call, x.id) for x in runs]
    if "LastRun" in expand:
        wire.LastRun = run_wire_of(call, runs[-1].id) if runs else None
    if "Script" in expand:
        script = test_cases.get_test_case(call.ctx, call.principal, assignment.test_case_id, retired=True)
        wire.Script = _script_wire(call, script, packages)
    if "Package" in expand:
        wire.Package = _execution_package_wire(
            call, execution_packages.get_package(call.ctx, call.principal, assignment.package_id)
        )
    return wire


@router.get("/scriptassignment/{assignment_id}", responses={200: {"model": ScriptAssignmentWire}})
def get_script_assignment(assignment_id: str, call: Call) -> dict[str, Any]:
    return sent(_assignment_full(call, assignments.get_assignment(call.ctx, call.principal, assignment_id)))
