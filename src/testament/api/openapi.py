"""The native API's OpenAPI document and its docs page.

FastAPI derives the document from the routes. This module adds what it cannot derive, from
the same models that validate, so the document cannot drift from the rules:

- A test case's `content` is any JSON on the wire, because the domain validates it by the
  test case's `kind` (`domain/content`). Each kind's content model is published as a named
  schema (`HttpContent`, `ConnectContent`, ...) with its examples, and `content` refers to them.
- Errors are problem+json (`Problem`), not FastAPI's `HTTPValidationError`. Every status an
  operation can answer is declared with that shape: those its shape implies (a key, a path
  parameter, a body: `_answers_by_shape`) and those its route declares (`errors.raises`), each
  described from the one table of answers (`errors.ANSWERS`).

The docs page is `kit/docs_page.py`'s, which every surface serves too.
"""

import re
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.openapi.models import Example
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from testament.api.errors import ANSWERS, BODY_REFUSALS, PROBLEM, Answer, Problem
from testament.api.schemas import TestCaseCreate, TestCasePublic, TestCaseSummary, TestCaseUpdate
from testament.domain.content import KINDS
from testament.domain.errors import (
    Conflict,
    Forbidden,
    IllegalTransition,
    InvalidInput,
    NotFound,
    TestamentError,
    Unauthenticated,
)
from testament.kit.docs_page import install_docs_page

__all__ = ["examples_by_kind", "install_docs_page", "install_openapi"]

REF = "#/components/schemas/"
ANY_ROLE = re.compile(r"any\s+role\s+may\s+call\s+it", re.IGNORECASE)


def install_openapi(api: FastAPI) -> None:
    """Serve FastAPI's document with this module's additions, built once."""

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            document = FastAPI.openapi(api)
            _document_content(document)
            _document_problems(document)
        return api.openapi_schema  # type: ignore[return-value]  # set by FastAPI.openapi

    api.openapi = openapi  # type: ignore[method-assign]


def examples_by_kind() -> dict[str, Example]:
    """One new test case per kind, its content the kind's own example: the request examples
    of the docs page."""
    return {
        name: Example(
            summary=f"{name}: {kind.summary}",
            value={
                "kind": name,
                "name": f"{name} example",
                "content": _examples(kind.model)[0],
                "publish": True,
            },
        )
        for name, kind in KINDS.items()
    }


def _examples(model: type[BaseModel]) -> list[Any]:
    examples: list[Any] = model.model_json_schema()["examples"]
    return examples


def _document_content(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    refs = _publish(schemas, [kind.model for kind in KINDS.values()], "validation")
    by_kind = "; ".join(f"`{name}`: {kind.model.__name__}, {kind.summary}" for name, kind in KINDS.items())
    content = {
        "title": "Content",
        "description": f"What the test case runs; its schema depends on `kind`. {by_kind}.",
        "oneOf": list(refs.values()),
    }
    for with_content in (TestCaseCreate, TestCaseUpdate, TestCasePublic):
        schemas[with_content.__name__]["properties"]["content"] = content
    for with_kind in (TestCaseCreate, TestCaseSummary, TestCasePublic):
        schemas[with_kind.__name__]["properties"]["kind"]["enum"] = list(KINDS)


def _document_problems(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for fastapi_own in ("HTTPValidationError", "ValidationError"):
        schemas.pop(fastapi_own, None)
    [problem] = _publish(schemas, [Problem], "serialization").values()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            whens: dict[str, list[str]] = {}
            for answer in _answers_by_shape(path, method, operation):
                whens.setdefault(str(answer.status), []).append(answer.when)
            for status, response in responses.items():  # declared by the route (`raises`)
                if status not in whens and int(status) >= 400:
                    whens[status] = [response["description"]]
            for status, descriptions in whens.items():
                responses[status] = _problem_response("; or: ".join(descriptions), problem)


def _answers_by_shape(path: str, method: str, operation: dict[str, Any]) -> list[Answer]:
    """The errors an operation can answer because of what it is, whatever its use case:

    - with a key (every operation): 401; and 403 unless any role may call it (its description
      says so, as every description says who may call it);
    - with a path parameter: 404, the entity it names may not be there;
    - with parameters or a body: 422, one may break a rule;
    - one that writes (not GET): 409, it may contradict the current state;
    - with a body (POST, PUT, PATCH): 400 and 413, the body may be refused before it is read.

    Errors only some use cases raise (the queue quota of a start: 429) are declared by their
    routes with `raises`."""
    errors: list[type[TestamentError]] = []
    if operation.get("security"):
        errors.append(Unauthenticated)
        if not ANY_ROLE.search(operation.get("description", "")):
            errors.append(Forbidden)
    if "{" in path:
        errors.append(NotFound)
    if operation.get("parameters") or "requestBody" in operation:
        errors.append(InvalidInput)
    if method != "get":
        errors += [Conflict, IllegalTransition]
    answers = [ANSWERS[error] for error in errors]
    if method in ("post", "put", "patch"):
        answers += BODY_REFUSALS.values()
    return answers


def _problem_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {"schema": schema}}}


def _publish(
    schemas: dict[str, Any],
    models: list[type[BaseModel]],
    mode: Literal["validation", "serialization"],
) -> dict[type[BaseModel], dict[str, Any]]:
    """Add the models' JSON Schemas (and those they use) to the components; return a `$ref` to
    each model's."""
    refs, top = models_json_schema([(m, mode) for m in models], ref_template=REF + "{model}")
    for name, schema in top.get("$defs", {}).items():
        if schemas.setdefault(name, schema) != schema:
            raise RuntimeError(f"two different schemas are named {name} in the OpenAPI document")
    return {model: refs[(model, mode)] for model in models}
