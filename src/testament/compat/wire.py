"""What every surface's typed wire models share: a rule named in the vendor's words, a body a
route parses itself, and the surface's own OpenAPI document and docs page.

A surface's `schemas.py` holds Pydantic models of what it accepts and answers, in the vendor's
names. A route takes its body as one of those models: a FastAPI body parameter, or, where the
body must wait for something else (Connect checks a request's signature over the raw bytes,
then the service model, then parses), a `ParsedBody` dependency that names its model. Either
way the model is on the route, where the OpenAPI document and the test of typed bodies find it.
"""

from collections.abc import Callable, Iterator
from types import NoneType, UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from pydantic import BaseModel, BeforeValidator, ValidationError, WrapValidator
from pydantic.json_schema import models_json_schema
from pydantic_core import PydanticCustomError

from testament.kit.docs_page import install_docs_page

__all__ = [
    "ParsedBody",
    "api_routes",
    "body_type",
    "install_surface_docs",
    "is_wire_model",
    "rule",
    "sent",
    "shaped",
]

REF = "#/components/schemas/"


def rule(message: str) -> WrapValidator:
    """A plain field's type check that answers, when it fails, with the rule as the surface
    states it ("must be an integer id") instead of Pydantic's words. (A composite field's is
    `shaped`, so that a member inside it names itself.)"""

    def check(value: Any, handler: Callable[[Any], Any]) -> Any:
        try:
            return handler(value)
        except ValidationError:
            raise PydanticCustomError("wire_rule", message) from None

    return WrapValidator(check)


def shaped(message: str, shape: type[dict[Any, Any]] | type[list[Any]]) -> BeforeValidator:
    """A composite field's rule: its value must be an object (`dict`) or a list, or it is refused
    with the rule; what is inside is checked by its members' own rules, which name themselves."""

    def check(value: Any) -> Any:
        if value is not None and not isinstance(value, shape):
            raise PydanticCustomError("wire_rule", message)
        return value

    return BeforeValidator(check)


def sent(answer: BaseModel) -> dict[str, Any]:
    """An answer model as the surface sends it: the members its translator set (a vendor leaves
    out what a mode or an absent value omits), by their wire names."""
    return answer.model_dump(mode="json", by_alias=True, exclude_unset=True)


class ParsedBody:
    """A dependency that parses a route's body into `model` itself; the model it names is the
    route's body in the OpenAPI document."""

    def __init__(self, model: type[BaseModel]) -> None:
        self.model = model


def api_routes(app: FastAPI) -> Iterator[RouteContext]:
    """The app's operations, each as it is served (its path with the prefix it was included at)."""
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute):
            yield route


def body_type(route: RouteContext) -> Any:
    """What a route takes its body as (FastAPI's body field, or a `ParsedBody` dependency's
    model); None when it takes no body."""
    if route.body_field is not None:
        return route.body_field.field_info.annotation
    return _parsed_body(route.dependant)


def is_wire_model(annotation: Any) -> bool:
    """Whether a body type is a Pydantic model: a model, a list of models, or a choice of
    models (a body that may be left out is a choice with None)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return is_wire_model(args[0])
    if origin is list:
        return is_wire_model(args[0])
    if origin in (Union, UnionType):
        return all(is_wire_model(a) for a in args if a is not NoneType)
    return False


def _parsed_body(dependant: Dependant) -> type[BaseModel] | None:
    for sub in dependant.dependencies:
        if isinstance(sub.call, ParsedBody):
            return sub.call.model
        if found := _parsed_body(sub):
            return found
    return None


def install_surface_docs(app: FastAPI, *, error: type[BaseModel], bad_request: int = 400) -> None:
    """Serve the surface's OpenAPI document (at the app's `openapi_url`) and its docs page at `/docs`.

    The document is FastAPI's, in the vendor's shapes: a body a route parses itself is declared
    from its `ParsedBody` model, and bad input answers `bad_request` with the surface's `error`
    body (not FastAPI's 422 `HTTPValidationError`, which no surface answers)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = FastAPI.openapi(app)
            _declare_parsed_bodies(app, document)
            _declare_answers(document)
            _declare_errors(document, error, bad_request)
        return app.openapi_schema  # type: ignore[return-value]  # set by FastAPI.openapi

    app.openapi = openapi  # type: ignore[method-assign]
    install_docs_page(app)


def _declare_parsed_bodies(app: FastAPI, document: dict[str, Any]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for route in api_routes(app):
        if route.body_field is not None or not route.include_in_schema:
            continue
        model = _parsed_body(route.dependant)
        if model is None:
            continue
        ref = _publish(schemas, model)
        for method in route.methods or ():
            operation = document["paths"][route.path_format][method.lower()]
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref}}}


def _declare_errors(document: dict[str, Any], error: type[BaseModel], bad_request: int) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for fastapi_own in ("HTTPValidationError", "ValidationError"):
        schemas.pop(fastapi_own, None)
    ref = _publish(schemas, error, "serialization")
    answer = {"content": {"application/json": {"schema": ref}}}
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if responses.pop("422", None) is not None or "requestBody" in operation:
                responses[str(bad_request)] = {"description": "The input breaks a rule", **answer}
            responses["default"] = {"description": "An error, in the vendor's error body", **answer}


def _declare_answers(document: dict[str, Any]) -> None:
    """Each answer as its route declares it (`responses={200: {"model": ...}}`), without the
    schema of the route's return type (`dict[str, Any]`) that FastAPI keeps beside the `$ref`."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for response in operation.get("responses", {}).values():
                for content in response.get("content", {}).values():
                    if "schema" in content:
                        content["schema"] = _declared(content["schema"])


def _declared(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return {"$ref": schema["$ref"]}
    if schema.get("type") == "array":
        return {"type": "array", "items": _declared(schema.get("items", {}))}
    return schema


def _publish(schemas: dict[str, Any], model: type[BaseModel], mode: Any = "validation") -> dict[str, Any]:
    refs, top = models_json_schema([(model, mode)], ref_template=REF + "{model}")
    for name, schema in top.get("$defs", {}).items():
        if schemas.setdefault(name, schema) != schema:
            raise RuntimeError(f"two different schemas are named {name} in the OpenAPI document")
    return refs[(model, mode)]
