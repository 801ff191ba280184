"""Apply a bundle: create or update environments, test cases, suites and plans by name.

Idempotent: applying the same bundle twice changes nothing the second time: a document that
matches what is stored is not written at all (no new version, no new `updated_at`). The
whole bundle is validated before anything is written, so a bad document leaves the
workspace as it was.
"""

from dataclasses import dataclass
from functools import partial
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from testament.domain.access import Permission, Principal
from testament.domain.content import problems_from_validation, validate_content
from testament.domain.errors import InvalidInput, Problem
from testament.domain.model import TEST_CASE_NAME_MAX, Environment, Plan, Suite, TestCase, TestCaseStatus
from testament.domain.plan_settings import check_machines
from testament.domain.requirements import check_requires
from testament.services import environments, plans, suites, test_cases
from testament.services.context import AppContext
from testament.services.paging import all_items

__all__ = ["Bundle", "apply_bundle", "parse_bundle"]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EnvironmentDoc(_Doc):
    name: str = Field(min_length=1, max_length=200)
    variables: dict[str, Any] = Field(default_factory=dict)
    secrets: dict[str, str] | None = Field(
        default=None, description="kept encrypted; omitted: left as they are"
    )


class DataSetDoc(_Doc):
    name: str = Field(min_length=1, max_length=200)
    variables: dict[str, Any] = Field(default_factory=dict)


class TestCaseDoc(_Doc):
    __test__ = False
    name: str = Field(min_length=1, max_length=TEST_CASE_NAME_MAX)
    kind: str
    description: str = ""
    tags: dict[str, str] = Field(default_factory=dict)
    retries: int = Field(default=0, ge=0, le=10)
    publish: bool = True
    content: Any
    data_sets: list[DataSetDoc] = Field(default_factory=list)
    requires: dict[str, str] = Field(default_factory=dict, description="labels its worker must have")


class SuiteDoc(_Doc):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    test_cases: list[str] = Field(default_factory=list, description="test case names")


class MachineDoc(_Doc):
    name: str = Field(min_length=1, max_length=200)
    variables: dict[str, Any] = Field(default_factory=dict)
    suites: list[str] = Field(default_factory=list, description="suite names")
    requires: dict[str, str] = Field(
        default_factory=dict, description="labels a worker must have to run this machine's executions"
    )


class PlanDoc(_Doc):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    suites: list[str] = Field(default_factory=list, description="suite names")
    environment: str | None = None
    retries: int | None = Field(default=None, ge=0, le=10)
    pass_ratio: float | None = Field(default=None, ge=0, le=1, description="the plan's quality gate")
    machines: list[MachineDoc] = Field(default_factory=list, description="named targets; none: one default")


class Bundle(_Doc):
    environments: list[EnvironmentDoc] = Field(default_factory=list)
    test_cases: list[TestCaseDoc] = Field(default_factory=list)
    suites: list[SuiteDoc] = Field(default_factory=list)
    plans: list[PlanDoc] = Field(default_factory=list)


def parse_bundle(data: Any) -> Bundle:
    try:
        return Bundle.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput.of(problems_from_validation(exc, "bundle")) from None


def _check(
    bundle: Bundle, existing_cases: set[str], existing_suites: set[str], existing_envs: set[str]
) -> None:
    problems: list[Problem] = []
    sections: dict[str, list[str]] = {
        "environments": [d.name for d in bundle.environments],
        "test_cases": [d.name for d in bundle.test_cases],
        "suites": [d.name for d in bundle.suites],
        "plans": [d.name for d in bundle.plans],
    }
    for section, names in sections.items():
        first: dict[str, int] = {}
        for i, name in enumerate(names):
            if name in first:
                problems.append(
                    Problem(f"{section}[{i}].name", f"repeats the name of {section}[{first[name]}]")
                )
            first.setdefault(name, i)
    for i, case in enumerate(bundle.test_cases):
        try:
            validate_content(case.kind, case.content)
        except InvalidInput as exc:
            problems += [Problem(f"test_cases[{i}].{p.field}", p.rule) for p in exc.problems]
        problems += _requirement_problems(f"test_cases[{i}].requires", case.requires)
    cases = existing_cases | {c.name for c in bundle.test_cases}
    suites = existing_suites | {s.name for s in bundle.suites}
    envs = existing_envs | {e.name for e in bundle.environments}
    for i, suite in enumerate(bundle.suites):
        problems += [
            Problem(f"suites[{i}].test_cases[{j}]", f"no test case named {n!r}")
            for j, n in enumerate(suite.test_cases)
            if n not in cases
        ]
    for i, plan in enumerate(bundle.plans):
        problems += [
            Problem(f"plans[{i}].suites[{j}]", f"no suite named {n!r}")
            for j, n in enumerate(plan.suites)
            if n not in suites
        ]
        if plan.environment and plan.environment not in envs:
            problems.append(Problem(f"plans[{i}].environment", f"no environment named {plan.environment!r}"))
        for m, machine in enumerate(plan.machines):
            problems += [
                Problem(f"plans[{i}].machines[{m}].suites[{j}]", f"no suite named {n!r}")
                for j, n in enumerate(machine.suites)
                if n not in suites
            ]
            problems += _requirement_problems(f"plans[{i}].machines[{m}].requires", machine.requires)
    if problems:
        raise InvalidInput.of(problems)


def _requirement_problems(field: str, requires: dict[str, str]) -> list[Problem]:
    try:
        check_requires(field, requires)
    except InvalidInput as exc:
        return list(exc.problems)
    return []


def _stored(app: AppContext, principal: Principal, list_page: Any) -> dict[str, Any]:
    """Every stored asset a list use case pages through, by name."""
    return {a.name: a for a in all_items(partial(list_page, app, principal))}


def _stored_cases(app: AppContext, principal: Principal) -> dict[str, TestCase]:
    return {c.name: c for c in all_items(partial(test_cases.list_test_cases, app, principal))}


def apply_bundle(app: AppContext, principal: Principal, bundle: Bundle) -> list[dict[str, str]]:
    """Returns one line per document: kind, name, id and what happened (created/updated/unchanged).

    A document that says what is stored already writes nothing (`unchanged`: no new version,
    no new `updated_at`). All of it is one transaction: the use cases below join it, so a
    refusal anywhere leaves the workspace as it was.
    """
    principal.require(Permission.WRITE)
    envs = _stored(app, principal, environments.list_environments)
    cases = _stored_cases(app, principal)
    stored_suites = _stored(app, principal, suites.list_suites)
    stored_plans = _stored(app, principal, plans.list_plans)
    _check(bundle, set(cases), set(stored_suites), set(envs))
    ids = _Ids(
        environments={n: e.id for n, e in envs.items()},
        test_cases={n: c.id for n, c in cases.items()},
        suites={n: s.id for n, s in stored_suites.items()},
    )
    with app.uow() as uow:
        report = [_apply_environment(app, principal, doc, envs, ids) for doc in bundle.environments]
        report += [_apply_case(app, principal, doc, cases, ids) for doc in bundle.test_cases]
        report += [_apply_suite(app, principal, doc, stored_suites, ids) for doc in bundle.suites]
        report += [_apply_plan(app, principal, doc, stored_plans, ids) for doc in bundle.plans]
        uow.commit()
    return report


@dataclass
class _Ids:
    """The ids of what the bundle may name, by name: stored ones, then those it creates."""

    environments: dict[str, str]
    test_cases: dict[str, str]
    suites: dict[str, str]


def _line(kind: str, name: str, ident: str, action: str) -> dict[str, str]:
    return {"kind": kind, "name": name, "id": ident, "action": action}


def _apply_environment(
    app: AppContext, principal: Principal, doc: EnvironmentDoc, stored: dict[str, Environment], ids: _Ids
) -> dict[str, str]:
    current = stored.get(doc.name)
    if current is None:
        made = environments.create_environment(
            app, principal, name=doc.name, variables=doc.variables, secrets=doc.secrets
        )
        ids.environments[doc.name] = made.id
        return _line("environment", doc.name, made.id, "created")
    unchanged = current.variables == doc.variables and (
        doc.secrets is None or environments.secrets_match(app, current, doc.secrets)
    )
    if not unchanged:
        environments.update_environment(
            app, principal, current.id, variables=doc.variables, secrets=doc.secrets
        )
    return _line("environment", doc.name, current.id, "unchanged" if unchanged else "updated")


def _apply_suite(
    app: AppContext, principal: Principal, doc: SuiteDoc, stored: dict[str, Suite], ids: _Ids
) -> dict[str, str]:
    members = [ids.test_cases[n] for n in doc.test_cases]
    current = stored.get(doc.name)
    if current is None:
        made = suites.create_suite(
            app, principal, name=doc.name, description=doc.description, test_case_ids=members
        )
        ids.suites[doc.name] = made.id
        return _line("suite", doc.name, made.id, "created")
    unchanged = (current.description, current.test_case_ids) == (doc.description, members)
    if not unchanged:
        suites.update_suite(app, principal, current.id, description=doc.description, test_case_ids=members)
    return _line("suite", doc.name, current.id, "unchanged" if unchanged else "updated")


def _apply_plan(
    app: AppContext, principal: Principal, doc: PlanDoc, stored: dict[str, Plan], ids: _Ids
) -> dict[str, str]:
    fields: dict[str, Any] = {
        "description": doc.description,
        "suite_ids": [ids.suites[n] for n in doc.suites],
        "environment_id": ids.environments[doc.environment] if doc.environment else None,
        "retries": doc.retries,
        "pass_ratio": doc.pass_ratio,
        "machines": check_machines([_machine(m, ids) for m in doc.machines]),  # as stored, to compare
    }
    current = stored.get(doc.name)
    if current is None:
        made = plans.create_plan(app, principal, name=doc.name, **fields)
        return _line("plan", doc.name, made.id, "created")
    unchanged = all(getattr(current, key) == value for key, value in fields.items())
    if not unchanged:
        plans.update_plan(app, principal, current.id, **fields)
    return _line("plan", doc.name, current.id, "unchanged" if unchanged else "updated")


def _machine(doc: MachineDoc, ids: _Ids) -> dict[str, Any]:
    suite_ids = [ids.suites[n] for n in doc.suites]
    return {"name": doc.name, "variables": doc.variables, "suite_ids": suite_ids, "requires": doc.requires}


def _apply_case(
    app: AppContext, principal: Principal, doc: TestCaseDoc, stored: dict[str, TestCase], ids: _Ids
) -> dict[str, str]:
    sets = [test_cases.DataSetInput(d.name, d.variables) for d in doc.data_sets]
    fields: dict[str, Any] = {
        "content": doc.content,
        "description": doc.description,
        "tags": doc.tags,
        "retries": doc.retries,
        "data_sets": sets,
        "requires": doc.requires,
    }
    if doc.name not in stored:
        view = test_cases.create_test_case(
            app, principal, kind=doc.kind, name=doc.name, publish=doc.publish, **fields
        )
        ids.test_cases[doc.name] = view.test_case.id
        return _line("test_case", doc.name, view.test_case.id, "created")
    before = test_cases.get_test_case(app, principal, stored[doc.name].id)
    case = before.test_case
    if case.kind != doc.kind:
        raise InvalidInput("kind", f"test case {doc.name!r} is of kind {case.kind}, not {doc.kind}")
    same_content = case.sha256 == _sha(doc)
    publish = doc.publish and not (case.status == TestCaseStatus.PUBLISHED and same_content)
    unchanged = (
        same_content
        and not publish
        and (case.description, case.tags, case.retries, case.requires)
        == (doc.description, doc.tags, doc.retries, doc.requires)
        and [(d.name, d.variables) for d in before.data_sets] == [(d.name, d.variables) for d in sets]
    )
    if not unchanged:
        test_cases.update_test_case(app, principal, case.id, publish=publish, **fields)
    return _line("test_case", doc.name, case.id, "unchanged" if unchanged else "updated")


def _sha(doc: TestCaseDoc) -> str:
    return test_cases.content_sha256(validate_content(doc.kind, doc.content))
