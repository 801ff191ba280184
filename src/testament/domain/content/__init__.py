"""Test content: one schema per kind, validated before anything is stored.

`validate_content(kind, content)` returns the normalized content or raises InvalidInput
naming every broken field as `content.<path>`. Kinds say whether a SAVED draft is
validated in full too (http: yes, so a bad step is refused at once) or only its shape
(connect: its Testing language is checked on publish, as AWS does).
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from testament.domain.content import connect, http, manual, noop
from testament.domain.errors import InvalidInput, Problem
from testament.domain.scoring import formula_problems

__all__ = [
    "KINDS",
    "ContentKind",
    "Unit",
    "problems_from_validation",
    "scoring_units",
    "unit_key",
    "validate_content",
]


@dataclass(frozen=True)
class Unit:
    """One scorable unit of a test case: what it is worth and what it measures. `key` is
    what its records are found by (see `unit_key`)."""

    key: str
    points: float = 1.0
    section: str | None = None
    dimensions: tuple[str, ...] = ()

    @classmethod
    def of(cls, key: str, spec: dict[str, Any]) -> "Unit":
        points = spec.get("points")
        return cls(
            key,
            1.0 if points is None else float(points),
            spec.get("section"),
            tuple(spec.get("dimensions") or ()),
        )


def _step_units(content: dict[str, Any]) -> list[Unit]:
    """http steps, found by name."""
    return [Unit.of(step["name"], step) for step in content.get("steps", [])]


def _numbered_units(content: dict[str, Any]) -> list[Unit]:
    """manual steps, found by number (1-based)."""
    return [Unit.of(str(n), step) for n, step in enumerate(content.get("steps", []), start=1)]


def _observation_units(content: dict[str, Any]) -> list[Unit]:
    """Connect observations, found by Identifier; their scoring sits beside the Testing language."""
    try:
        observations = json.loads(content.get("Content") or "{}").get("Observations") or []
    except (ValueError, AttributeError):
        return []
    scoring = content.get("scoring") or {}
    idents = [o.get("Identifier") for o in observations if isinstance(o, dict)]
    return [Unit.of(i, scoring.get(i) or {}) for i in idents if isinstance(i, str) and i]


def _no_units(_content: dict[str, Any]) -> list[Unit]:
    return []


def _by_observation(observation_id: str, _record: dict[str, Any]) -> str | None:
    return observation_id


def _by_step_number(_observation_id: str, record: dict[str, Any]) -> str | None:
    step = record.get("step")
    return str(step) if isinstance(step, int) else None


@dataclass(frozen=True)
class ContentKind:
    name: str
    model: type[BaseModel]
    validate_on_save: bool
    summary: str
    extra_check: Callable[[BaseModel], list[Problem]] | None = None
    units: Callable[[dict[str, Any]], list[Unit]] = _no_units
    record_key: Callable[[str, dict[str, Any]], str | None] = _by_observation


KINDS: dict[str, ContentKind] = {
    "http": ContentKind(
        "http",
        http.HttpContent,
        validate_on_save=True,
        summary="declarative HTTP steps",
        extra_check=http.check_references,
        units=_step_units,
    ),
    "noop": ContentKind("noop", noop.NoopContent, validate_on_save=True, summary="does nothing; passes"),
    "manual": ContentKind(
        "manual",
        manual.ManualContent,
        validate_on_save=True,
        summary="steps a person walks through",
        units=_numbered_units,
        record_key=_by_step_number,
    ),
    "connect": ContentKind(
        "connect",
        connect.ConnectContent,
        validate_on_save=False,
        summary="an Amazon Connect test case (Testing language) against a stored flow",
        extra_check=connect.check_connect,
        units=_observation_units,
    ),
}


def kind_of(name: str) -> ContentKind:
    try:
        return KINDS[name]
    except KeyError:
        raise InvalidInput("kind", f"must be one of {', '.join(sorted(KINDS))}") from None


def problems_from_validation(error: ValidationError, prefix: str) -> list[Problem]:
    problems = []
    for item in error.errors():
        path = prefix + "".join(_path_part(part) for part in item["loc"])
        problems.append(Problem(path, item["msg"].removeprefix("Value error, ")))
    return problems


_PATH_SIGNS = re.compile(r'[.\[\]"]')


def _path_part(part: int | str) -> str:
    """`[0]` for an index, `.name` for a key, `["$.a.b"]` for a key that holds the path's own
    signs (a JSONPath, say), so that the path reads back unambiguously."""
    if isinstance(part, int):
        return f"[{part}]"
    return f"[{json.dumps(part)}]" if not part or _PATH_SIGNS.search(part) else f".{part}"


def validate_content(kind: str, content: Any, *, publishing: bool = True) -> Any:
    """The content's shape is always checked; a kind that validates only on publish (as
    Amazon Connect does) skips its deeper checks for a SAVED draft."""
    spec = kind_of(kind)
    try:
        model = spec.model.model_validate(content)
    except ValidationError as exc:
        raise InvalidInput.of(problems_from_validation(exc, "content")) from None
    deep = publishing or spec.validate_on_save
    if deep and spec.extra_check and (problems := spec.extra_check(model)):
        raise InvalidInput.of(problems)
    normalized = model.model_dump(mode="json", exclude_none=True, by_alias=True)
    if deep and (problems := _scoring_problems(spec, normalized)):
        raise InvalidInput.of(problems)
    return normalized


def scoring_units(kind: str, content: dict[str, Any]) -> list[Unit]:
    """The scorable units of a test case's (stored) content, in order."""
    return kind_of(kind).units(content)


def unit_key(kind: str, observation_id: str, record: dict[str, Any]) -> str | None:
    """The unit a record scores, by the kind's rule (None: it scores none)."""
    return kind_of(kind).record_key(observation_id, record)


def _scoring_problems(spec: ContentKind, content: dict[str, Any]) -> list[Problem]:
    """Effects must be computable over the units' sections and dimensions; a Connect
    scoring entry must name an observation."""
    units = spec.units(content)
    problems = []
    keys = {u.key for u in units}
    for ident in content.get("scoring") or {}:
        if ident not in keys:
            problems.append(
                Problem(f"content.scoring.{ident}", "names no observation Identifier of the test")
            )
    sections = {u.section for u in units if u.section}
    dimensions = {d for u in units for d in u.dimensions}
    for i, effect in enumerate(content.get("effects") or []):
        formulas = [(f"content.effects[{i}].formula", effect["formula"])]
        formulas += [
            (f"content.effects[{i}].sub_effects[{j}].formula", sub["formula"])
            for j, sub in enumerate(effect.get("sub_effects") or [])
        ]
        for path, formula in formulas:
            if (why := formula_problems(formula, sections, dimensions)) is not None:
                problems.append(Problem(path, why))
    return problems
