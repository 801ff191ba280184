"""The `http` kind: a list of steps, each one request, its captures and its expectations
(see `EXAMPLE`).

An expectation on a JSONPath or a header is either a plain value (equality) or an object
of operators: eq, ne, contains, not_contains, matches, exists, lt, lte, gt, gte, in,
length, type. Every key of such an object must be an operator, so a misspelt one is
refused instead of silently becoming a literal comparison; to compare with an object as it
is, wrap it in `eq`: `{"$.user": {"eq": {"name": "alice"}}}`.
"""

import re
from difflib import get_close_matches
from typing import Annotated, Any

from jsonpath import JSONPathError
from jsonpath import compile as compile_jsonpath
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from testament.domain.errors import Problem
from testament.domain.scoring import Effect, Scorable

__all__ = [
    "EXAMPLE",
    "OPERATORS",
    "Capture",
    "Expect",
    "HttpContent",
    "Request",
    "Step",
    "check_references",
    "is_operator_spec",
]

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
OPERATORS = (
    "eq",
    "ne",
    "contains",
    "not_contains",
    "matches",
    "exists",
    "lt",
    "lte",
    "gt",
    "gte",
    "in",
    "length",
    "type",
)
JSON_TYPES = ("string", "number", "integer", "boolean", "object", "array", "null")
NAME = r"^[A-Za-z_][A-Za-z0-9_.-]*$"
EXAMPLE: dict[str, Any] = {
    "variables": {"base_url": "https://staging.example.com", "user": "alice"},
    "secrets": ["password"],
    "steps": [
        {
            "name": "log in",
            "request": {
                "method": "POST",
                "url": "{{base_url}}/login",
                "json": {"user": "{{user}}", "password": "{{password}}"},
                "timeout_s": 10,
            },
            "capture": {"token": {"jsonpath": "$.token"}},
            "expect": {
                "status": 200,
                "json": {"$.user.name": "{{user}}", "$.expires_in": {"gt": 0, "lte": 3600}},
                "max_ms": 800,
            },
        },
        {
            "name": "profile",
            "request": {"url": "{{base_url}}/me", "headers": {"Authorization": "Bearer {{token}}"}},
            "expect": {
                "status": [200, 304],
                "headers": {"content-type": {"contains": "json"}},
                "json": {"$.roles": {"contains": "admin"}, "$.address": {"eq": {"city": "Lyon"}}},
            },
            "points": 2,
            "section": "account",
        },
    ],
}
TEMPLATE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}")


def is_operator_spec(value: Any) -> bool:
    """An expected value made of operators. Content saved today holds no other object here
    (`_check_expected` refuses it); content saved before that rule may, and its object still
    compares as a literal."""
    return isinstance(value, dict) and bool(value) and all(key in OPERATORS for key in value)


def _check_expected(value: Any) -> Any:
    """An object given as an expected value is read as operators, always: guessing which
    objects are meant literally would let a misspelt operator through as a literal."""
    if not isinstance(value, dict):
        return value
    if not value:
        raise ValueError("an empty object checks nothing; to compare with {}, write {eq: {}}")
    if unknown := [str(key) for key in value if key not in OPERATORS]:
        raise ValueError(_unknown_operators(unknown))
    if "matches" in value:
        _check_regex(value["matches"])
    if "type" in value and value["type"] not in JSON_TYPES:
        raise ValueError(f"type must be one of {', '.join(JSON_TYPES)}")
    if "exists" in value and not isinstance(value["exists"], bool):
        raise ValueError("exists must be true or false")
    if "in" in value and not isinstance(value["in"], list):
        raise ValueError("in must be a list")
    for op in ("lt", "lte", "gt", "gte", "length"):
        if op in value and not (_is_number(value[op]) or _is_placeholder(value[op])):
            raise ValueError(f"{op} must be a number or a {{{{variable}}}}")
    return value


def _unknown_operators(keys: list[str]) -> str:
    named = ", ".join(_with_suggestion(key) for key in keys)
    noun = "is not an operator" if len(keys) == 1 else "are not operators"
    return (
        f"{named} {noun}; the operators are {', '.join(OPERATORS)}. "
        "To compare with an object as it is, write {eq: {...}}"
    )


def _with_suggestion(key: str) -> str:
    close = get_close_matches(key, OPERATORS, n=1)
    return f"{key!r} (did you mean {close[0]!r}?)" if close else repr(key)


# An expected value under a JSONPath or a header: a plain value, or an object of operators
Expected = Annotated[Any, AfterValidator(_check_expected)]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_placeholder(value: Any) -> bool:
    return isinstance(value, str) and TEMPLATE.fullmatch(value) is not None


def _check_regex(pattern: Any) -> None:
    if not isinstance(pattern, str):
        raise ValueError("a regular expression must be a string")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Request(_Strict):
    """The request a step sends. Its strings may hold `{{variable}}` placeholders."""

    method: str = Field(default="GET", description=f"one of {', '.join(METHODS)} (any case)")
    url: str = Field(
        min_length=1,
        max_length=8192,
        description="absolute (http:// or https://), or starting with a {{variable}}",
    )
    headers: dict[str, str] = Field(default_factory=dict)
    json_body: Any = Field(
        default=None,
        alias="json",
        description="a JSON body; a string that is one {{variable}} keeps its type",
    )
    body: str | None = Field(default=None, description="a raw body (at most one of json, body, form)")
    form: dict[str, str] | None = Field(default=None, description="form fields, sent url-encoded")
    timeout_s: float = Field(
        default=30.0, gt=0, le=300, description="seconds; never more than the time the execution has left"
    )
    follow_redirects: bool = False

    @field_validator("method")
    @classmethod
    def _known_method(cls, value: str) -> str:
        method = value.upper()
        if method not in METHODS:
            raise ValueError(f"must be one of {', '.join(METHODS)}")
        return method

    @field_validator("url")
    @classmethod
    def _absolute_or_templated(cls, value: str) -> str:
        if not (value.startswith(("http://", "https://")) or value.startswith("{{")):
            raise ValueError("must start with http:// or https:// (or a {{variable}})")
        return value

    @model_validator(mode="after")
    def _one_body(self) -> "Request":
        given = [
            n
            for n, v in (("json", self.json_body), ("body", self.body), ("form", self.form))
            if v is not None
        ]
        if len(given) > 1:
            raise ValueError(f"give at most one of json, body, form (got {', '.join(given)})")
        return self


class Capture(_Strict):
    """A value of the response kept as a variable for the steps after this one: give exactly
    one of jsonpath, header, regex."""

    jsonpath: str | None = Field(default=None, description="the first value this JSONPath finds in the body")
    header: str | None = Field(default=None, description="a response header, by name in any case")
    regex: str | None = Field(default=None, description="a regular expression searched in the body")
    group: int = Field(default=1, ge=0, description="with regex: the group to keep (0: the whole match)")

    @model_validator(mode="after")
    def _exactly_one_source(self) -> "Capture":
        given = [n for n in ("jsonpath", "header", "regex") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of jsonpath, header, regex")
        if self.jsonpath is not None:
            _check_jsonpath(self.jsonpath)
        if self.regex is not None:
            _check_regex(self.regex)
        return self


def _check_jsonpath(path: str) -> None:
    try:
        compile_jsonpath(path)
    except JSONPathError as exc:
        raise ValueError(f"invalid JSONPath {path!r}: {exc}") from None


def _is_status(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599


_EXPECTED = (
    "a plain value (equality) or an object of operators: "
    + ", ".join(OPERATORS)
    + ". To compare with an object as it is, write {eq: {...}}"
)


class Expect(_Strict):
    """What the response must show. Every check is made, and each one that fails is recorded."""

    # `Any` plus a validator, not a Union: a union's errors would name pydantic's member tags
    status: Any = Field(default=None, description="a status code, or a list of them")
    json_: dict[str, Expected] | None = Field(
        default=None, alias="json", description=f"JSONPath -> expected value: {_EXPECTED}"
    )
    headers: dict[str, Expected] | None = Field(
        default=None, description=f"header name (any case) -> expected value: {_EXPECTED}"
    )
    body_contains: Any = Field(default=None, description="a string, or a list of strings")
    max_ms: float | None = Field(default=None, gt=0, description="the most the request may take, in ms")

    def check_count(self, only: str | None = None) -> int:
        """How many separate checks the expectations make (each operator of a JSONPath or a
        header, each text the body must contain, the status and the time): partial credit
        is the share of them that held. `only="json"` counts the JSONPath checks alone."""

        def operators(spec: Any) -> int:
            return len(spec) if is_operator_spec(spec) else 1

        if only == "json":
            return sum(operators(s) for s in (self.json_ or {}).values())
        texts = self.body_contains if isinstance(self.body_contains, list) else [self.body_contains]
        return (
            (self.status is not None)
            + sum(operators(s) for s in (self.json_ or {}).values())
            + sum(operators(s) for s in (self.headers or {}).values())
            + sum(t is not None for t in texts)
            + (self.max_ms is not None)
        )

    @field_validator("status")
    @classmethod
    def _status_codes(cls, value: Any) -> int | list[int] | None:
        codes = value if isinstance(value, list) else [value]
        if value is not None and (not codes or not all(_is_status(c) for c in codes)):
            raise ValueError("must be an HTTP status code (100 to 599) or a non-empty list of them")
        return value  # type: ignore[no-any-return]

    @field_validator("body_contains")
    @classmethod
    def _strings(cls, value: Any) -> str | list[str] | None:
        texts = value if isinstance(value, list) else [value]
        if value is not None and (not texts or not all(isinstance(t, str) for t in texts)):
            raise ValueError("must be a string or a non-empty list of strings")
        return value  # type: ignore[no-any-return]

    @field_validator("json_")
    @classmethod
    def _valid_paths(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        for path in value or {}:
            _check_jsonpath(path)
        return value


class Step(_Strict, Scorable):
    """One request, the values to capture from its response and what to expect of it."""

    name: str = Field(min_length=1, max_length=200, description="unique in the test case; records carry it")
    request: Request
    capture: dict[Annotated[str, Field(pattern=NAME)], Capture] = Field(
        default_factory=dict, description="variable name -> where its value comes from"
    )
    expect: Expect = Field(default_factory=Expect)
    partial_credit: bool | None = Field(
        default=None, description="score the share of this step's checks that held, not all or nothing"
    )


class HttpContent(_Strict):
    """The content of an `http` test case: steps run in order; the first that fails ends the run
    unless `continue_on_failure` is set."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE]})

    variables: dict[Annotated[str, Field(pattern=NAME)], Any] = Field(
        default_factory=dict,
        description="values of {{placeholders}}; the environment, the data set and the start's variables "
        "override them",
    )
    steps: list[Step] = Field(min_length=1, max_length=500)
    secrets: list[str] = Field(
        default_factory=list, description="variable names whose values are masked in records"
    )
    continue_on_failure: bool | None = Field(
        default=None, description="run every step even after one fails (the score then covers them all)"
    )
    effects: list[Effect] | None = Field(default=None, max_length=50)


def check_references(model: BaseModel) -> list[Problem]:
    """Step names must be unique: records and reports are keyed by them."""
    assert isinstance(model, HttpContent)
    seen: dict[str, int] = {}
    problems = []
    for i, step in enumerate(model.steps):
        if step.name in seen:
            problems.append(
                Problem(f"content.steps[{i}].name", f"duplicates the name of steps[{seen[step.name]}]")
            )
        seen.setdefault(step.name, i)
    return problems
