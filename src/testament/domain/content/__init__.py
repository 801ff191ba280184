"""Test content: one schema per kind, validated before anything is stored.

`validate_content(kind, content)` returns the normalized content or raises InvalidInput
naming every broken field as `content.<path>`. Kinds say whether a SAVED draft is
validated in full too (http: yes, so a bad step is refused at once) or only its shape
(connect: its Testing language is checked on publish, as AWS does).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from testament.domain.content import connect, http, manual, noop
from testament.domain.errors import InvalidInput, Problem

__all__ = ["KINDS", "ContentKind", "problems_from_validation", "validate_content"]


@dataclass(frozen=True)
class ContentKind:
    name: str
    model: type[BaseModel]
    validate_on_save: bool
    summary: str
    extra_check: Callable[[BaseModel], list[Problem]] | None = None


KINDS: dict[str, ContentKind] = {
    "http": ContentKind(
        "http",
        http.HttpContent,
        validate_on_save=True,
        summary="declarative HTTP steps",
        extra_check=http.check_references,
    ),
    "noop": ContentKind("noop", noop.NoopContent, validate_on_save=True, summary="does nothing; passes"),
    "manual": ContentKind(
        "manual", manual.ManualContent, validate_on_save=True, summary="steps a person walks through"
    ),
    "connect": ContentKind(
        "connect",
        connect.ConnectContent,
        validate_on_save=False,
        summary="an Amazon Connect test case (Testing language) against a stored flow",
        extra_check=connect.check_connect,
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
        path = prefix
        for part in item["loc"]:
            path += f"[{part}]" if isinstance(part, int) else f".{part}"
        problems.append(Problem(path, item["msg"].removeprefix("Value error, ")))
    return problems


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
    return model.model_dump(mode="json", exclude_none=True, by_alias=True)
