"""Apply a bundle: create or update environments, test cases, suites and plans by name.

Idempotent: applying the same bundle twice changes nothing the second time (an unchanged
content makes no new version). The whole bundle is validated before anything is written,
so a bad document leaves the workspace as it was.
"""

from functools import partial
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from testament.domain.access import Permission, Principal
from testament.domain.content import problems_from_validation, validate_content
from testament.domain.errors import InvalidInput, Problem
from testament.domain.model import Environment, Plan, Suite
from testament.services import assets, test_cases
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
    name: str = Field(min_length=1, max_length=200)
    kind: str
    description: str = ""
    tags: dict[str, str] = Field(default_factory=dict)
    retries: int = Field(default=0, ge=0, le=10)
    publish: bool = True
    content: Any
    data_sets: list[DataSetDoc] = Field(default_factory=list)


class SuiteDoc(_Doc):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    test_cases: list[str] = Field(default_factory=list, description="test case names")


class PlanDoc(_Doc):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    suites: list[str] = Field(default_factory=list, description="suite names")
    environment: str | None = None
    retries: int | None = Field(default=None, ge=0, le=10)
    pass_ratio: float | None = Field(default=None, ge=0, le=1, description="the plan's quality gate")


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
    if problems:
        raise InvalidInput.of(problems)


def _names(app: AppContext, principal: Principal, cls: Any) -> dict[str, str]:
    found = all_items(partial(assets.list_assets, app, principal, cls))
    return {a.name: a.id for a in found}


def _case_names(app: AppContext, principal: Principal) -> dict[str, str]:
    found = all_items(partial(test_cases.list_test_cases, app, principal))
    return {c.name: c.id for c in found}


def apply_bundle(app: AppContext, principal: Principal, bundle: Bundle) -> list[dict[str, str]]:
    """Returns one line per document: kind, name, id and what happened (created/updated/unchanged).

    All of it is one transaction: the use cases below join it, so a refusal anywhere leaves
    the workspace as it was.
    """
    principal.require(Permission.WRITE)
    envs = _names(app, principal, Environment)
    cases = _case_names(app, principal)
    suites = _names(app, principal, Suite)
    plans = _names(app, principal, Plan)
    _check(bundle, set(cases), set(suites), set(envs))
    with app.uow() as uow:
        report = [_apply_environment(app, principal, env, envs) for env in bundle.environments]
        report += [_apply_case(app, principal, case, cases) for case in bundle.test_cases]
        report += [_apply_suite(app, principal, suite, suites, cases) for suite in bundle.suites]
        report += [_apply_plan(app, principal, plan, plans, suites, envs) for plan in bundle.plans]
        uow.commit()
    return report


def _line(kind: str, name: str, ident: str, action: str) -> dict[str, str]:
    return {"kind": kind, "name": name, "id": ident, "action": action}


def _apply_environment(
    app: AppContext, principal: Principal, doc: EnvironmentDoc, envs: dict[str, str]
) -> dict[str, str]:
    if doc.name in envs:
        assets.update_environment(
            app, principal, envs[doc.name], variables=doc.variables, secrets=doc.secrets
        )
        return _line("environment", doc.name, envs[doc.name], "updated")
    envs[doc.name] = assets.create_environment(
        app, principal, name=doc.name, variables=doc.variables, secrets=doc.secrets
    ).id
    return _line("environment", doc.name, envs[doc.name], "created")


def _apply_suite(
    app: AppContext, principal: Principal, doc: SuiteDoc, suites: dict[str, str], cases: dict[str, str]
) -> dict[str, str]:
    ids = [cases[n] for n in doc.test_cases]
    if doc.name in suites:
        assets.update_suite(app, principal, suites[doc.name], description=doc.description, test_case_ids=ids)
        return _line("suite", doc.name, suites[doc.name], "updated")
    suite = assets.create_suite(app, principal, name=doc.name, description=doc.description, test_case_ids=ids)
    suites[doc.name] = suite.id
    return _line("suite", doc.name, suite.id, "created")


def _apply_plan(
    app: AppContext,
    principal: Principal,
    doc: PlanDoc,
    plans: dict[str, str],
    suites: dict[str, str],
    envs: dict[str, str],
) -> dict[str, str]:
    fields: dict[str, Any] = {
        "description": doc.description,
        "suite_ids": [suites[n] for n in doc.suites],
        "environment_id": envs[doc.environment] if doc.environment else None,
        "retries": doc.retries,
        "pass_ratio": doc.pass_ratio,
    }
    if doc.name in plans:
        assets.update_plan(app, principal, plans[doc.name], **fields)
        return _line("plan", doc.name, plans[doc.name], "updated")
    plans[doc.name] = assets.create_plan(app, principal, name=doc.name, **fields).id
    return _line("plan", doc.name, plans[doc.name], "created")


def _apply_case(
    app: AppContext, principal: Principal, doc: TestCaseDoc, cases: dict[str, str]
) -> dict[str, str]:
    sets = [test_cases.DataSetInput(d.name, d.variables) for d in doc.data_sets]
    fields: dict[str, Any] = {
        "content": doc.content,
        "description": doc.description,
        "tags": doc.tags,
        "retries": doc.retries,
        "data_sets": sets,
    }
    if doc.name not in cases:
        view = test_cases.create_test_case(
            app, principal, kind=doc.kind, name=doc.name, publish=doc.publish, **fields
        )
        cases[doc.name] = view.test_case.id
        return {"kind": "test_case", "name": doc.name, "id": view.test_case.id, "action": "created"}
    before = test_cases.get_test_case(app, principal, cases[doc.name]).test_case
    if before.kind != doc.kind:
        raise InvalidInput("kind", f"test case {doc.name!r} is of kind {before.kind}, not {doc.kind}")
    publish = doc.publish and not (before.status.value == "PUBLISHED" and before.sha256 == _sha(doc))
    after = test_cases.update_test_case(app, principal, cases[doc.name], publish=publish, **fields).test_case
    changed = after.version != before.version or after.status != before.status
    return {
        "kind": "test_case",
        "name": doc.name,
        "id": after.id,
        "action": "updated" if changed else "unchanged",
    }


def _sha(doc: TestCaseDoc) -> str:
    return test_cases.content_sha256(validate_content(doc.kind, doc.content))
