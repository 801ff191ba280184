"""Every documented input constraint, checked against botocore's own model of the service.

botocore's ParamValidator checks required members, types and minimums (its client never
needs more); maximums, map sizes, enums and patterns are checked here, for every member of
every operation. Patterns written with
`\\p{..}` classes, which Python's `re` lacks, are skipped; the model escapes some
backslashes twice (`\\\\+[1-9]`), which is undone. The model ships inside botocore.
"""

import json
import re
from functools import cache
from typing import Any

import botocore.session
from botocore.model import OperationModel, Shape
from botocore.validate import ParamValidator

from testament.compat.aws_connect.errors import AwsError

__all__ = ["operation_input"]


@cache
def _operation(name: str) -> OperationModel:
    return botocore.session.get_session().get_service_model("connect").operation_model(name)


@cache
def _pattern(expression: str) -> re.Pattern[str] | None:
    try:
        return re.compile(expression.replace("\\\\", "\\"))
    except re.error:
        return None


def _query_value(shape: Shape, raw: list[str]) -> Any:
    if shape.type_name == "list":
        return raw
    value = raw[-1]
    if shape.type_name in ("integer", "long"):
        try:
            return int(value)
        except ValueError:
            raise AwsError(
                "InvalidParameterException", f"{shape.name} must be a whole number, not {value!r}"
            ) from None
    return value


def operation_input(
    name: str, body: bytes, path: dict[str, str], query: dict[str, list[str]]
) -> dict[str, Any]:
    """The operation's input members from the path, the query string and the JSON body,
    validated as the service model says; unknown members are dropped, as AWS ignores them."""
    operation = _operation(name)
    shape = operation.input_shape
    try:
        document = json.loads(body) if body else {}
    except ValueError:
        raise AwsError("SerializationException", "The request body is not valid JSON") from None
    if not isinstance(document, dict):
        raise AwsError("SerializationException", "The request body must be a JSON object")
    params: dict[str, Any] = {}
    for member, member_shape in shape.members.items():
        where = member_shape.serialization.get("location")
        wire_name = member_shape.serialization.get("name", member)
        if where == "uri" and member in path:
            params[member] = path[member]
        elif where == "querystring" and wire_name in query:
            params[member] = _query_value(member_shape, query[wire_name])
        elif where is None and member in document:
            params[member] = document[member]
    report = ParamValidator().validate(params, shape)
    if report.has_errors():
        raise AwsError("InvalidParameterException", report.generate_report())
    if problem := _problem(params, shape, ""):
        raise AwsError("InvalidParameterException", problem)
    return params


def _problem(value: Any, shape: Shape, path: str) -> str | None:
    """The first constraint botocore's validator leaves unchecked that `value` breaks."""
    if found := _own_problem(value, shape, path.rstrip(".") or shape.name):
        return found
    if shape.type_name == "structure" and isinstance(value, dict):
        children = [(value[m], s, f"{path}{m}.") for m, s in shape.members.items() if m in value]
    elif shape.type_name == "list" and isinstance(value, list):
        children = [(item, shape.member, f"{path}[{i}].") for i, item in enumerate(value)]
    elif shape.type_name == "map" and isinstance(value, dict):
        children = [(k, shape.key, f"{path}{k}(key).") for k in value]
        children += [(v, shape.value, f"{path}{k}.") for k, v in value.items()]
    else:
        children = []
    return next((found for v, s, p in children if (found := _problem(v, s, p))), None)


def _own_problem(value: Any, shape: Shape, where: str) -> str | None:
    limits = shape.metadata
    size = len(value) if isinstance(value, str | list | dict) else None
    if size is not None and "max" in limits and size > limits["max"]:
        return f"Value at '{where}' failed to satisfy constraint: length must be at most {limits['max']}"
    if isinstance(value, dict) and "min" in limits and len(value) < limits["min"]:
        return f"Value at '{where}' failed to satisfy constraint: must hold at least {limits['min']} entries"
    number = isinstance(value, int) and not isinstance(value, bool)
    if number and "max" in limits and value > limits["max"]:
        return f"Value at '{where}' failed to satisfy constraint: must be at most {limits['max']}"
    enum = limits.get("enum")
    if isinstance(value, str) and enum and value not in enum:
        return (
            f"Value {value!r} at '{where}' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(enum)}]"
        )
    pattern = _pattern(limits["pattern"]) if isinstance(value, str) and limits.get("pattern") else None
    if pattern is not None and not pattern.search(value):
        return f"Value at '{where}' failed to satisfy constraint: must match {pattern.pattern}"
    return None
