"""Saved run configurations: a named part of a plan, for partial runs.

A config runs what all its filters let through: a filter's key is `suite` (suites by id or
name, kept as ids), `assignee` or `reviewer` (the test case's tags of those names), or `tag`
(`key` or `key=value`), and its operation IN keeps, NOT_IN drops what matches. The condition
(INCLUDED or EXCLUDED) labels the config as Testsigma does (its own "exclude" configs are
EXCLUDED with NOT_IN filters); the filters alone decide. Stored as workspace resources of
kind `plan.run_config`.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from testament.domain.access import Principal
from testament.domain.errors import InvalidInput, NotFound
from testament.domain.model import Resource
from testament.services import plans, references, resources
from testament.services.context import AppContext
from testament.services.executions import RunDetails, Slot, Started, start_execution
from testament.services.paging import all_items
from testament.services.test_cases import matches_tag

__all__ = [
    "KIND",
    "RunConfig",
    "create_run_config",
    "find_run_config",
    "list_run_configs",
    "selector",
    "update_run_config",
]

KIND = "plan.run_config"
KEYS = ("suite", "assignee", "reviewer", "tag")
CONDITIONS = ("INCLUDED", "EXCLUDED")


@dataclass(frozen=True)
class RunConfig:
    id: str
    name: str
    plan_id: str
    condition: str
    filters: list[dict[str, Any]]

    @classmethod
    def of(cls, resource: Resource) -> "RunConfig":
        body = resource.body
        return cls(resource.id, resource.name, body["plan_id"], body["condition"], list(body["filters"]))


def _check(
    app: AppContext, principal: Principal, plan_ref: str, condition: str, filters: list[dict[str, Any]]
) -> dict[str, Any]:
    """The stored body: the plan and the suites filtered on by id, however they were named."""
    plan_id = plans.get_plan(app, principal, plan_ref).id
    if condition not in CONDITIONS:
        raise InvalidInput("condition", f"must be one of {', '.join(CONDITIONS)}")
    checked = []
    for i, item in enumerate(filters):
        key, values, operation = item.get("key"), item.get("values"), item.get("operation", "IN")
        if key not in KEYS:
            raise InvalidInput(f"filters[{i}].key", f"must be one of {', '.join(KEYS)}")
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            raise InvalidInput(f"filters[{i}].values", "must be a non-empty list of strings")
        if operation not in ("IN", "NOT_IN"):
            raise InvalidInput(f"filters[{i}].operation", "must be IN or NOT_IN")
        if key == "suite":
            values = references.resolve_list(app, principal, references.SUITE, f"filters[{i}].values", values)
        checked.append({"key": key, "values": list(values), "operation": operation})
    return {"plan_id": plan_id, "condition": condition, "filters": checked}


def create_run_config(
    app: AppContext,
    principal: Principal,
    *,
    plan_id: str,
    name: str,
    condition: str,
    filters: list[dict[str, Any]],
) -> RunConfig:
    body = _check(app, principal, plan_id, condition, filters)
    return RunConfig.of(
        resources.create_resource(app, principal, kind=KIND, name=name, body=body, managed=True)
    )


def update_run_config(
    app: AppContext,
    principal: Principal,
    config_id: str,
    *,
    condition: str,
    filters: list[dict[str, Any]],
    name: str | None = None,
) -> RunConfig:
    current = RunConfig.of(resources.get_resource(app, principal, KIND, config_id))
    body = _check(app, principal, current.plan_id, condition, filters)
    return RunConfig.of(
        resources.update_resource(app, principal, KIND, config_id, name=name, body=body, managed=True)
    )


def list_run_configs(app: AppContext, principal: Principal, plan_ref: str | None = None) -> list[RunConfig]:
    """Every saved configuration, or those of one plan (by its id or name)."""
    plan_id = plans.get_plan(app, principal, plan_ref).id if plan_ref else None
    found = all_items(partial(resources.list_resources, app, principal, KIND))
    configs = [RunConfig.of(r) for r in found]
    return [c for c in configs if plan_id is None or c.plan_id == plan_id]


def find_run_config(app: AppContext, principal: Principal, plan_id: str, id_or_name: str) -> RunConfig:
    for config in list_run_configs(app, principal, plan_id):
        if id_or_name in (config.id, config.name):
            return config
    raise NotFound("run configuration of this plan", id_or_name)


def _matches(slot: Slot, item: dict[str, Any]) -> bool:
    values = item["values"]
    tags = slot.case.tags
    if item["key"] == "suite":
        hit = slot.suite_id in values
    elif item["key"] == "tag":
        hit = any(matches_tag(tags, v) for v in values)
    else:
        hit = tags.get(item["key"]) in values
    return hit if item["operation"] == "IN" else not hit


def selector(config: RunConfig) -> Callable[[Slot, str | None], bool]:
    """Which slots a run with this config runs."""

    def select(slot: Slot, _data_set: str | None) -> bool:
        return all(_matches(slot, item) for item in config.filters)

    return select


def delete_run_config(app: AppContext, principal: Principal, config_id: str) -> None:
    resources.delete_resource(app, principal, KIND, config_id)


def start_partial_run(
    app: AppContext,
    principal: Principal,
    *,
    plan_id: str,
    config: str,
    details: RunDetails | None = None,
    **start: Any,
) -> Started:
    """Start the part of a plan a saved configuration selects (by its id or name)."""
    plan = plans.get_plan(app, principal, plan_id)
    chosen = find_run_config(app, principal, plan.id, config)
    run = replace(details or RunDetails(), select=selector(chosen))
    return start_execution(app, principal, plan_id=plan.id, run=run, **start)
