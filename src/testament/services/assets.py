"""Suites, plans and environments: named groups and settings that executions use."""

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from testament.domain.access import Permission, Principal
from testament.domain.errors import Conflict, InvalidInput
from testament.domain.execution import ExecutionStatus
from testament.domain.model import Environment, Plan, Suite
from testament.domain.plan_settings import check_machines, check_plan_settings
from testament.kit.ids import new_id
from testament.kit.sentinels import UNSET
from testament.services import references
from testament.services.context import AppContext, UnitOfWork
from testament.services.paging import Page, Window, check_limit, decode_cursor, make_page
from testament.services.projects import check_project
from testament.services.test_cases import refuse_if_in_a_task
from testament.store.repository import Repository
from testament.store.tables import (
    executions,
    plan_runs,
    suites,
    task_steps,
)

__all__ = [
    "create_environment",
    "create_plan",
    "create_suite",
    "delete_asset",
    "get_asset",
    "list_assets",
    "query_suites",
    "update_environment",
    "update_plan",
    "update_suite",
]

Asset = TypeVar("Asset", Suite, Plan, Environment)
_NAMED: dict[type, references.Named[Any]] = {
    Suite: references.SUITE,
    Plan: references.PLAN,
    Environment: references.ENVIRONMENT,
}


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 200:  # surfaces pass what they were sent
        raise InvalidInput("name", "must be a text of 1 to 200 characters")
    return name.strip()


def _check_description(description: str) -> str:
    if not isinstance(description, str) or len(description) > 4096:
        raise InvalidInput("description", "must be at most 4096 characters")
    return description


def _check_variables(variables: dict[str, Any]) -> dict[str, Any]:
    for key in variables:
        if not 1 <= len(key) <= 128:
            raise InvalidInput(f"variables.{key}", "names are 1 to 128 characters")
    return dict(variables)


def _load(
    session: Session, cls: type[Asset], principal: Principal, ident: str, *, retired: bool = False
) -> Asset:
    """An asset by id or name (`retired`: a deleted plan too, by its id)."""
    found: Asset = references.load(session, principal, _NAMED[cls], ident, retired=retired)
    return found


def _mine(session: Session, principal: Principal, cls: type[Asset]) -> Repository[Asset]:
    """The workspace's live assets of one class."""
    return Repository(session, cls, principal.workspace_id, _NAMED[cls].kind)


def _check_members(
    session: Session, principal: Principal, named: references.Named[Any], field: str, refs: list[str]
) -> list[str]:
    """The ids of the members a list names (by id or name), each once."""
    ids = references.resolve_all(session, principal, named, field, refs)
    if len(set(ids)) != len(ids):
        raise InvalidInput(field, "lists an id twice")
    return ids


def _save(uow: UnitOfWork, obj: Any, kind: str) -> None:
    uow.save_named(obj, kind)
    uow.commit()


def _check_retries(retries: int | None) -> int | None:
    if retries is not None and not 0 <= retries <= 10:
        raise InvalidInput("retries", "must be between 0 and 10")
    return retries


def _check_pass_ratio(ratio: float | None) -> float | None:
    if ratio is not None and (isinstance(ratio, bool) or not 0 <= ratio <= 1):
        raise InvalidInput("pass_ratio", "must be a score ratio from 0 to 1 (e.g. 0.8), or null")
    return None if ratio is None else float(ratio)


def create_suite(
    app: AppContext,
    principal: Principal,
    *,
    name: str,
    description: str = "",
    test_case_ids: list[str],
    parent_id: str | None = None,
    project_id: str | None = None,
) -> Suite:
    """A suite, at the top of a project (the default one unless named) or inside `parent_id`
    (and so in the parent's project)."""
    principal.require(Permission.WRITE)
    now = app.clock()
    with app.uow() as uow:
        project = check_project(uow.session, principal, project_id)
        parent_id = _check_parent(uow.session, principal, None, parent_id)
        if parent_id is not None:
            project = _parents_project(uow.session, principal, parent_id, project_id, project)
        suite = Suite(
            id=new_id(),
            workspace_id=principal.workspace_id,
            name=_check_name(name),
            description=_check_description(description),
            test_case_ids=_check_members(
                uow.session, principal, references.TEST_CASE, "test_case_ids", test_case_ids
            ),
            created_at=now,
            updated_at=now,
            parent_id=parent_id,
            project_id=project,
        )
        _save(uow, suite, "suite")
    return suite


def update_suite(
    app: AppContext,
    principal: Principal,
    suite_id: str,
    *,
    name: str | None = None,
    description: str | None = None,
    test_case_ids: list[str] | None = None,
    parent_id: str | None = UNSET,
) -> Suite:
    """Only what is given changes; `parent_id=None` moves the suite to the top level."""
    principal.require(Permission.WRITE)
    with app.uow() as uow:
        uow.lock_workspace(principal.workspace_id)  # two moves cannot each pass the cycle check
        suite = _load(uow.session, Suite, principal, suite_id)
        if parent_id is not UNSET:
            suite.parent_id = _check_parent(uow.session, principal, suite.id, parent_id)
            parent = uow.session.get(Suite, suite.parent_id) if suite.parent_id else None
            if parent is not None and parent.project_id != suite.project_id:
                raise InvalidInput("parent_id", "must be a suite of the same project")
        if description is not None:
            suite.description = _check_description(description)
        if test_case_ids is not None:
            suite.test_case_ids = _check_members(
                uow.session, principal, references.TEST_CASE, "test_case_ids", test_case_ids
            )
        if name is not None:  # after the queries above: a taken name must meet _save's write, not theirs
            suite.name = _check_name(name)
        suite.updated_at = app.clock()
        _save(uow, suite, "suite")
    return suite


def _parents_project(
    session: Session, principal: Principal, parent_id: str, given: str | None, project: str | None
) -> str | None:
    parent = references.load(session, principal, references.SUITE, parent_id)
    if given is not None and project != parent.project_id:
        raise InvalidInput("project_id", "must be the parent suite's project")
    return parent.project_id


def _check_parent(
    session: Session, principal: Principal, suite_id: str | None, parent_id: str | None
) -> str | None:
    """The id of the suite `parent_id` names (by id or name): one of this workspace that is
    neither the suite itself nor inside it (no cycles)."""
    if parent_id is None:
        return None
    parent_id = references.resolve(session, principal, references.SUITE, "parent_id", parent_id)
    ancestor: str | None = parent_id
    seen: set[str] = set()
    while ancestor is not None and ancestor not in seen:  # `seen`: never loop, whatever is stored
        if ancestor == suite_id:
            raise InvalidInput("parent_id", "must not be the suite itself or a suite inside it")
        seen.add(ancestor)
        ancestor = session.scalar(select(suites.c.parent_id).where(suites.c.id == ancestor))
    return parent_id


def _check_environment(session: Session, principal: Principal, environment_id: str | None) -> str | None:
    if environment_id is None:
        return None
    return references.resolve(session, principal, references.ENVIRONMENT, "environment_id", environment_id)


def create_plan(
    app: AppContext,
    principal: Principal,
    *,
    name: str,
    description: str = "",
    suite_ids: list[str],
    environment_id: str | None = None,
    retries: int | None = None,
    machines: list[dict[str, Any]] | None = None,
    settings: dict[str, Any] | None = None,
    pass_ratio: float | None = None,
) -> Plan:
    principal.require(Permission.WRITE)
    now = app.clock()
    with app.uow() as uow:
        plan = Plan(
            id=new_id(),
            workspace_id=principal.workspace_id,
            name=_check_name(name),
            description=_check_description(description),
            suite_ids=_check_members(uow.session, principal, references.SUITE, "suite_ids", suite_ids),
            environment_id=_check_environment(uow.session, principal, environment_id),
            retries=_check_retries(retries),
            created_at=now,
            updated_at=now,
            machines=_check_plan_machines(uow.session, principal, machines or []),
            settings=check_plan_settings(settings or {}),
            pass_ratio=_check_pass_ratio(pass_ratio),
        )
        _save(uow, plan, "plan")
    return plan


def update_plan(
    app: AppContext,
    principal: Principal,
    plan_id: str,
    *,
    name: str | None = None,
    description: str | None = None,
    suite_ids: list[str] | None = None,
    environment_id: str | None = UNSET,
    retries: int | None = UNSET,
    machines: list[dict[str, Any]] | None = None,
    settings: dict[str, Any] | None = None,
    pass_ratio: float | None = UNSET,
) -> Plan:
    """Only what is given changes; `environment_id=None` (or "") removes the environment,
    `retries=None` the plan's retries (each test case's own count again), `pass_ratio=None`
    the quality gate."""
    principal.require(Permission.WRITE)
    with app.uow() as uow:
        plan = _load(uow.session, Plan, principal, plan_id)
        if pass_ratio is not UNSET:
            plan.pass_ratio = _check_pass_ratio(pass_ratio)
        if machines is not None:
            plan.machines = _check_plan_machines(uow.session, principal, machines)
        if settings is not None:
            plan.settings = check_plan_settings({**plan.settings, **settings})
        if description is not None:
            plan.description = _check_description(description)
        if suite_ids is not None:
            plan.suite_ids = _check_members(uow.session, principal, references.SUITE, "suite_ids", suite_ids)
        if environment_id is not UNSET:
            plan.environment_id = _check_environment(uow.session, principal, environment_id or None)
        if retries is not UNSET:
            plan.retries = _check_retries(retries)
        if name is not None:  # after the queries above: a taken name must meet _save's write, not theirs
            plan.name = _check_name(name)
        plan.updated_at = app.clock()
        _save(uow, plan, "plan")
    return plan


def _check_plan_machines(
    session: Session, principal: Principal, machines: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    checked = check_machines(machines)
    for i, machine in enumerate(checked):
        field = f"machines[{i}].suite_ids"
        machine["suite_ids"] = _check_members(
            session, principal, references.SUITE, field, machine["suite_ids"]
        )
    return checked


def _encrypt_secrets(
    app: AppContext, secrets: dict[str, Any], variables: dict[str, Any], current: dict[str, str] | None = None
) -> dict[str, str]:
    """Secret values are kept only encrypted; a name is either a variable or a secret.
    A value of None keeps that secret's current value (clients never see it to send it back)."""
    kept = current or {}
    for key, value in secrets.items():
        if not 1 <= len(key) <= 128:
            raise InvalidInput(f"secrets.{key}", "names are 1 to 128 characters")
        if key in variables:
            raise InvalidInput(f"secrets.{key}", "is also a plain variable; give it once, as a secret")
        if value is None and key not in kept:
            raise InvalidInput(f"secrets.{key}", "has no current value to keep; give its value")
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"secrets.{key}", "must be a string")
    return {
        key: kept[key] if value is None else app.secret_box.encrypt(value.encode()).decode()
        for key, value in secrets.items()
    }


def secrets_match(app: AppContext, env: Environment, secrets: dict[str, str]) -> bool:
    """Whether the environment keeps exactly these secrets. Values are compared decrypted,
    in memory only: they are never logged or returned."""
    if set(env.secrets) != set(secrets):
        return False
    return all(app.secret_box.decrypt(env.secrets[k].encode()).decode() == v for k, v in secrets.items())


def create_environment(
    app: AppContext,
    principal: Principal,
    *,
    name: str,
    variables: dict[str, Any],
    secrets: dict[str, Any] | None = None,
) -> Environment:
    principal.require(Permission.WRITE)
    now = app.clock()
    plain = _check_variables(variables)
    env = Environment(
        id=new_id(),
        workspace_id=principal.workspace_id,
        name=_check_name(name),
        variables=plain,
        created_at=now,
        updated_at=now,
        secrets=_encrypt_secrets(app, secrets or {}, plain),
    )
    with app.uow() as uow:
        _save(uow, env, "environment")
    return env


def update_environment(
    app: AppContext,
    principal: Principal,
    environment_id: str,
    *,
    name: str | None = None,
    variables: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> Environment:
    """Given `variables` or `secrets` replace the current ones whole."""
    principal.require(Permission.WRITE)
    with app.uow() as uow:
        env = _load(uow.session, Environment, principal, environment_id)
        if name is not None:
            env.name = _check_name(name)
        if variables is not None:
            env.variables = _check_variables(variables)
        if secrets is not None:
            env.secrets = _encrypt_secrets(app, secrets, env.variables, env.secrets)
        elif variables is not None and set(env.secrets) & set(env.variables):
            raise InvalidInput("variables", "names a secret of this environment; a name is one or the other")
        env.updated_at = app.clock()
        _save(uow, env, "environment")
    return env


def get_asset(
    app: AppContext, principal: Principal, cls: type[Asset], ident: str, *, retired: bool = False
) -> Asset:
    """An asset (`retired=True`: a deleted plan that ran too, for its runs' sake)."""
    principal.require(Permission.READ)
    with app.db.reading() as session:
        return _load(session, cls, principal, ident, retired=retired)


def find_asset(app: AppContext, principal: Principal, cls: type[Asset], id_or_name: str) -> Asset:
    """Look an asset up by id, or else by its unique name."""
    return get_asset(app, principal, cls, id_or_name)


def query_suites(
    app: AppContext, principal: Principal, window: Window, *, children_of: str | None = None
) -> tuple[list[Suite], int]:
    """Suites in a surface's query window (over the suites table): every suite of the
    workspace, or those directly inside `children_of`."""
    principal.require(Permission.READ)
    inside = [] if children_of is None else [suites.c.parent_id == children_of]
    with app.db.reading() as session:
        return _mine(session, principal, Suite).offset_page(window, suites.c.id, *inside)


def list_assets(
    app: AppContext, principal: Principal, cls: type[Asset], *, limit: int = 50, cursor: str | None = None
) -> Page[Asset]:
    principal.require(Permission.READ)
    check_limit(limit)
    table, kind = _NAMED[cls].table, _NAMED[cls].kind
    after = decode_cursor(app.cursors, kind, cursor)
    with app.db.reading() as session:
        rows = _mine(session, principal, cls).keyset(table.c.id, after, limit)
    return make_page(app.cursors, kind, rows, limit, key=lambda a: a.id)


def delete_asset(app: AppContext, principal: Principal, cls: type[Asset], ident: str) -> None:
    principal.require(Permission.DELETE)
    with app.uow() as uow:
        uow.lock_workspace(principal.workspace_id)  # a start of this plan cannot slip in between
        obj = _load(uow.session, cls, principal, ident)
        if cls is Suite:
            _refuse_if_referenced(uow.session, principal, obj.id)
        if isinstance(obj, Plan):
            _refuse_if_running(uow.session, obj.id)
            refuse_if_in_a_task(uow.session, task_steps.c.plan_id, obj.id, f"plan {obj.name!r}")
            if uow.session.scalar(select(plan_runs.c.id).where(plan_runs.c.plan_id == obj.id).limit(1)):
                obj.retire(app.clock())  # its runs, their executions and records stay readable
                uow.commit()
                return
        uow.session.delete(obj)
        uow.commit()


def _refuse_if_running(session: Session, plan_id: str) -> None:
    active = session.execute(
        select(executions.c.id)
        .join(plan_runs, plan_runs.c.id == executions.c.plan_run_id)
        .where(
            plan_runs.c.plan_id == plan_id,
            executions.c.status.in_([ExecutionStatus.QUEUED, ExecutionStatus.RUNNING]),
        )
    ).first()
    if active is not None:
        raise Conflict(f"plan {plan_id} has a run in progress; stop it before deleting the plan")


def _subtree(session: Session, suite_id: str) -> list[str]:
    """The suite and every suite inside it, at any depth (they are deleted with it)."""
    found, frontier = [suite_id], [suite_id]
    while frontier:
        inside = session.scalars(select(suites.c.id).where(suites.c.parent_id.in_(frontier)))
        frontier = [ident for ident in inside if ident not in found]
        found += frontier
    return found


def _refuse_if_referenced(session: Session, principal: Principal, suite_id: str) -> None:
    doomed = _subtree(session, suite_id)
    for plan in session.scalars(_mine(session, principal, Plan).select()):
        used = [*plan.suite_ids, *(ident for m in plan.machines for ident in m.get("suite_ids") or [])]
        for ident in doomed:
            if ident in used:
                inside = "" if ident == suite_id else f" (inside suite {suite_id})"
                raise Conflict(
                    f"suite {ident}{inside} is used by plan {plan.name!r}; remove it from the plan first"
                )


__all__ += ["find_asset", "secrets_match"]
