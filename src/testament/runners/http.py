"""The `http` runner: send each step's request, capture values, check expectations, record it.

Content is the validated `HttpContent` (see `testament.domain.content.http`). Steps run in
order on one `httpx.Client` of the run's own (its cookies and connections are no other run's);
values captured by a step are variables for the steps after it. The runs of a process share one
TLS context: building one loads the CA bundle, ~30 ms of CPU, more than the rest of a one-step
run costs (`_tls_context`).
Each step writes exactly one record, so a reader can see what was sent, what came back,
every expectation that did not hold (`failures`, read by the CLI and the vendor surfaces) and
every check made, passed ones too (`checks`: each capture and each expectation, with what was
expected, what was found and whether it held; at most MAX_CHECKS of them, failed ones kept
first, `checks_left_out` counting the rest). The first failed step ends the run: later steps
depend on its captures and their results would only be noise.

What must not happen here:

- An exception out of `run()` because of what the system under test did (refused
  connection, timeout, a body that is not JSON) or because of a missing variable. Those
  are FAILED steps with the reason spelled out.
- A secret in a record. Credential-bearing headers are masked by name, and the values of
  the variables listed in `content.secrets` are replaced wherever they appear, in every
  encoding this runner sends them in (`testament.domain.masking`). Bodies are masked
  *before* they are truncated, so a secret cut in half by the 4 KiB limit cannot leak; so is
  the excerpt of a body a failed check shows, and every value in `checks` before it is shortened.

Pitfall: python-jsonpath parses a `str` given as data as a JSON document, so a response whose
JSON is a bare string is handed to it re-encoded (see `_find`).
"""

import base64
import json
import operator
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import httpx
import jsonpath

from testament.domain.content.http import (
    TEMPLATE,
    Capture,
    Expect,
    HttpContent,
    Request,
    Step,
    is_operator_spec,
)
from testament.domain.execution import ExecutionStatus, Outcome, RecordStatus
from testament.domain.masking import MASK, Masker
from testament.runners.base import RunContext

__all__ = ["HttpRunner"]

BODY_LIMIT = 4096
MIN_TIMEOUT_S = 0.1
SHOWN_CHARS = 200
MAX_CHECKS = 100  # checks kept in one record; the failed ones first
SECRET_MARGIN = 65536  # a long value is masked on this much more than is shown, then shortened
BODY_WINDOW = 40  # characters of the body shown on each side of a part it was found to contain
MASKED_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-auth-token"}
)
MASKED_HEADER_WORDS = ("secret", "token", "password")

# Errors raised while building or sending a request, with how they read in a record. Order
# matters: the first matching class wins.
_REQUEST_ERRORS: tuple[tuple[type[Exception], str], ...] = (
    (httpx.TimeoutException, "timed out"),
    (httpx.ConnectError, "could not connect"),
    (httpx.InvalidURL, "invalid URL"),
    (httpx.UnsupportedProtocol, "invalid URL"),
    (httpx.HTTPError, "request failed"),
    (httpx.StreamError, "request failed"),
    (UnicodeError, "cannot encode the request"),
)
_REQUEST_ERROR_TYPES = tuple(kind for kind, _ in _REQUEST_ERRORS)
_NOT_JSON = object()

Failure = dict[str, Any]
Check = Callable[[Any, Any], str | None]


@dataclass(frozen=True)
class _Checked:
    """One check made: a capture or one operator of one expectation. `message` is None when it
    held. `in_body`: the actual value is the response body (shown from its masked text, around
    `expected` when it held)."""

    expectation: str
    operator: str
    expected: Any
    actual: Any
    message: str | None
    in_body: bool = False

    @property
    def passed(self) -> bool:
        return self.message is None

    def failure(self) -> Failure:
        return _failure(self.expectation, self.operator, self.expected, self.actual, str(self.message))


class HttpRunner:
    kind = "http"

    def run(self, content: Any, ctx: RunContext) -> Outcome:
        http = HttpContent.model_validate(content)
        variables: dict[str, Any] = {**http.variables, **ctx.variables}
        first_failure: str | None = None
        with httpx.Client(verify=_tls_context()) as client:
            for step in http.steps:
                if (reason := ctx.cancelled) is not None:
                    return _cancelled(reason)
                result = _run_step(client, step, variables, ctx.remaining_s())
                variables.update(result.captures)
                masker = _masker_for([*http.secrets, *ctx.secret_names], variables, result.sent)
                status = RecordStatus.PASSED if result.passed else RecordStatus.FAILED
                result.mask_body(masker)
                record = _record(step, result, masker)
                if step.partial_credit:
                    record["credit"] = result.credit(step)
                if artifact_id := _keep_full_body(ctx, step, result):
                    record["response"]["artifact_id"] = artifact_id
                ctx.record(step.name, status, record)
                if not result.passed:
                    first_failure = first_failure or masker.text(
                        f"step '{step.name}' failed: {result.reason}"
                    )
                    if not http.continue_on_failure:
                        break
        if first_failure is not None:
            return Outcome(ExecutionStatus.FAILED, first_failure)
        return Outcome(ExecutionStatus.PASSED)


_tls_lock = threading.Lock()
_tls: ssl.SSLContext | None = None


def _tls_context() -> ssl.SSLContext:
    """The context every run's client verifies servers with, made once, as httpx makes its own
    (certifi's CA bundle, or SSL_CERT_FILE / SSL_CERT_DIR when set). A context is safe to share
    between threads and holds no state of a connection."""
    global _tls
    with _tls_lock:
        if _tls is None:
            _tls = httpx.create_ssl_context()
        return _tls


def _keep_full_body(ctx: RunContext, step: Step, result: "_StepResult") -> str | None:
    """A response body too long for its record is kept whole (masked) as an artifact."""
    response = result.response
    if response is None or len(response.text.encode()) <= BODY_LIMIT:
        return None
    media_type = response.headers.get("content-type", "application/octet-stream")
    return ctx.add_artifact(f"{step.name} response body", result.masked_body.encode(), media_type)


def _cancelled(reason: str) -> Outcome:
    status = ExecutionStatus.STOPPED if reason.startswith("stop") else ExecutionStatus.FAILED
    return Outcome(status, reason)


# --- one step -------------------------------------------------------------------------------


@dataclass
class _Response:
    """What came back, read once: the body text, its JSON (or `_NOT_JSON`), the time it took."""

    status: int
    headers: httpx.Headers
    text: str
    size: int
    elapsed_ms: float
    json_body: Any

    @classmethod
    def read(cls, response: httpx.Response, elapsed_ms: float) -> "_Response":
        try:
            body: Any = json.loads(response.content)
        except ValueError:  # includes JSONDecodeError and UnicodeDecodeError
            body = _NOT_JSON
        return cls(
            response.status_code, response.headers, response.text, len(response.content), elapsed_ms, body
        )


@dataclass
class _StepResult:
    declared: Request
    sent: httpx.Request | None = None
    response: _Response | None = None
    captures: dict[str, Any] = field(default_factory=dict)
    checks: list[_Checked] = field(default_factory=list)
    error: str | None = None

    masked_body: str = ""  # the response body with its secrets masked (mask_body)

    @property
    def failures(self) -> list[Failure]:
        return [check.failure() for check in self.checks if not check.passed]

    def mask_body(self, masker: Masker) -> None:
        """Failed checks that show the body show it masked, then shortened: shortened first, a
        secret cut at the end of what is shown would not be recognised, and leak in part."""
        if self.response is None:
            return
        self.masked_body = masker.text(self.response.text)
        snippet = _show(self.masked_body)
        self.checks = [
            replace(
                check,
                actual=snippet,
                message=_not_json(snippet) if check.expectation == "json" else check.message,
            )
            if check.in_body and not check.passed
            else check
            for check in self.checks
        ]

    @property
    def passed(self) -> bool:
        return self.error is None and not self.failures

    def credit(self, step: Step) -> float:
        """The share of the step's checks that held (a request that failed earns none)."""
        if self.error is not None:
            return 0.0
        checks = step.expect.check_count() + len(step.capture)
        if checks == 0:
            return 1.0 if self.passed else 0.0
        failures = self.failures
        missed = len(failures)
        if any(f["expectation"] == "json" and f["operator"] == "type" for f in failures):
            missed += step.expect.check_count(only="json") - 1  # one failure stood for every JSON check
        return max(0, checks - missed) / checks

    @property
    def reason(self) -> str:
        if self.error is not None:
            return _shorten(self.error)
        failures = self.failures
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        return _shorten(str(failures[0]["message"])) + more


def _run_step(client: httpx.Client, step: Step, variables: dict[str, Any], remaining_s: float) -> _StepResult:
    result = _StepResult(step.request)
    timeout = max(min(step.request.timeout_s, remaining_s), MIN_TIMEOUT_S)
    try:
        expect = _render_expect(step.expect, variables)
        result.sent = _build_request(client, step.request, variables, timeout)
        started = time.perf_counter()
        response = client.send(result.sent, follow_redirects=step.request.follow_redirects)
        elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    except _UnknownVariable as exc:
        result.error = str(exc)
        return result
    except _REQUEST_ERROR_TYPES as exc:
        url = str(result.sent.url) if result.sent else step.request.url
        result.error = _explain(exc, f"{step.request.method} {url}", timeout)
        return result
    result.response = _Response.read(response, elapsed_ms)
    result.captures, result.checks = _capture_all(step.capture, result.response)
    result.checks += _check_expectations(expect, result.response)
    return result


def _build_request(
    client: httpx.Client, request: Request, variables: dict[str, Any], timeout: float
) -> httpx.Request:
    render = partial(_render_text, variables=variables)
    body: dict[str, Any] = {}
    if request.json_body is not None:
        body["json"] = _render_json(request.json_body, variables)
    elif request.body is not None:
        body["content"] = render(request.body, where="body")
    elif request.form is not None:
        body["data"] = {
            name: render(value, where=f"form field {name!r}") for name, value in request.form.items()
        }
    return client.build_request(
        request.method,
        render(request.url, where="url"),
        headers={name: render(value, where=f"header {name!r}") for name, value in request.headers.items()},
        timeout=httpx.Timeout(timeout),
        **body,
    )


def _explain(exc: Exception, target: str, timeout: float) -> str:
    label = next(text for kind, text in _REQUEST_ERRORS if isinstance(exc, kind))
    if isinstance(exc, httpx.TimeoutException):
        label += f" after {timeout:g}s"
    return f"{label}: {type(exc).__name__}: {str(exc) or 'no detail'} ({target})"


# --- templating -----------------------------------------------------------------------------


class _UnknownVariable(Exception):
    def __init__(self, name: str, where: str) -> None:
        super().__init__(f"unknown variable {name!r} in {where}")


def _render_text(template: str, *, variables: dict[str, Any], where: str) -> str:
    def substitute(match: re.Match[str]) -> str:
        value = _lookup(match.group(1), variables, where)
        return value if isinstance(value, str) else json.dumps(value)

    return TEMPLATE.sub(substitute, template)


def _render_json(value: Any, variables: dict[str, Any], where: str = "json body") -> Any:
    """Render every string in a JSON value; a string that is one placeholder keeps the value's type."""
    if isinstance(value, str):
        if whole := TEMPLATE.fullmatch(value):
            return _lookup(whole.group(1), variables, where)
        return _render_text(value, variables=variables, where=where)
    if isinstance(value, list):
        return [_render_json(item, variables, where) for item in value]
    if isinstance(value, dict):
        return {
            _render_text(key, variables=variables, where=where): _render_json(item, variables, where)
            for key, item in value.items()
        }
    return value


def _render_expect(expect: Expect, variables: dict[str, Any]) -> Expect:
    """Expected values are templated too (JSONPaths and header names are not)."""
    body = expect.body_contains
    return expect.model_copy(
        update={
            "json_": {
                path: _render_json(spec, variables, f"expect.json {path}")
                for path, spec in (expect.json_ or {}).items()
            }
            or None,
            "headers": _render_json(expect.headers, variables, "expect.headers") if expect.headers else None,
            "body_contains": _render_json(body, variables, "expect.body_contains")
            if body is not None
            else None,
        }
    )


def _lookup(name: str, variables: dict[str, Any], where: str) -> Any:
    try:
        return variables[name]
    except KeyError:
        raise _UnknownVariable(name, where) from None


# --- captures -------------------------------------------------------------------------------


def _capture_all(captures: dict[str, Capture], response: _Response) -> tuple[dict[str, Any], list[_Checked]]:
    values: dict[str, Any] = {}
    checks: list[_Checked] = []
    for name, capture in captures.items():
        found = _capture(capture, response)
        if found:
            values[name] = found[0]
            source, pattern = _capture_source(capture)
            checks.append(_Checked(f"capture {name}", source, pattern, found[0], None))
        else:
            checks.append(_capture_failure(name, capture, response))
    return values, checks


def _capture_source(capture: Capture) -> tuple[str, str]:
    if capture.jsonpath is not None:
        return "jsonpath", capture.jsonpath
    if capture.header is not None:
        return "header", capture.header
    return "regex", str(capture.regex)


def _capture(capture: Capture, response: _Response) -> list[Any]:
    """The captured value in a one-item list, or an empty list when nothing was found."""
    if capture.jsonpath is not None:
        return _find(capture.jsonpath, response.json_body)[:1]
    if capture.header is not None:
        return [response.headers[capture.header]] if capture.header in response.headers else []
    assert capture.regex is not None  # the schema requires exactly one source
    match = re.search(capture.regex, response.text)
    if match is None or capture.group > (match.re.groups or 0) or match.group(capture.group) is None:
        return []
    return [match.group(capture.group)]


def _capture_failure(name: str, capture: Capture, response: _Response) -> _Checked:
    source, pattern = _capture_source(capture)
    if source == "jsonpath":
        detail = "the body is not JSON" if response.json_body is _NOT_JSON else f"no match for {pattern}"
    elif source == "header":
        detail = f"no header {pattern!r}"
    else:
        detail = f"/{pattern}/ (group {capture.group}) found nothing in the body"
    return _Checked(f"capture {name}", source, pattern, None, f"capture {name!r}: {detail}")


def _find(path: str, data: Any) -> list[Any]:
    if data is _NOT_JSON:
        return []
    # python-jsonpath would parse a str as a JSON document: hand it a document that is that string.
    return jsonpath.findall(path, json.dumps(data) if isinstance(data, str) else data)


# --- expectations ---------------------------------------------------------------------------


def _check_expectations(expect: Expect, response: _Response) -> list[_Checked]:
    return [
        *_check_status(expect.status, response.status),
        *_check_json(expect.json_ or {}, response),
        *_check_headers(expect.headers or {}, response.headers),
        *_check_body(expect.body_contains, response.text),
        *_check_time(expect.max_ms, response.elapsed_ms),
    ]


def _check_status(expected: int | list[int] | None, actual: int) -> list[_Checked]:
    if expected is None:
        return []
    allowed = expected if isinstance(expected, list) else [expected]
    op, wanted = ("in", allowed) if isinstance(expected, list) else ("eq", expected)
    message = None if actual in allowed else f"status: expected {_show(wanted)}, got {actual}"
    return [_Checked("status", op, wanted, actual, message)]


def _check_json(expected: dict[str, Any], response: _Response) -> list[_Checked]:
    if expected and response.json_body is _NOT_JSON:
        snippet = _show(response.text)
        return [_Checked("json", "type", "a JSON body", snippet, _not_json(snippet), in_body=True)]
    checks: list[_Checked] = []
    for path, spec in expected.items():
        checks += _check_value(f"json {path}", spec, _find(path, response.json_body)[:1])
    return checks


def _not_json(snippet: str) -> str:
    return f"json: the body is not JSON: {snippet}"


def _check_headers(expected: dict[str, Any], headers: httpx.Headers) -> list[_Checked]:
    checks: list[_Checked] = []
    for name, spec in expected.items():
        checks += _check_value(f"header {name}", spec, [headers[name]] if name in headers else [])
    return checks


def _check_body(expected: str | list[str] | None, text: str) -> list[_Checked]:
    wanted = [expected] if isinstance(expected, str) else expected or []
    return [
        _Checked(
            "body",
            "contains",
            part,
            _show(text),
            None if part in text else f"body: expected it to contain {_show(part)}",
            in_body=True,
        )
        for part in wanted
    ]


def _check_time(max_ms: float | None, elapsed_ms: float) -> list[_Checked]:
    if max_ms is None:
        return []
    message = None if elapsed_ms <= max_ms else f"max_ms: took {elapsed_ms:g} ms, over {max_ms:g} ms"
    return [_Checked("max_ms", "lte", max_ms, elapsed_ms, message)]


def _check_value(label: str, spec: Any, found: list[Any]) -> list[_Checked]:
    """Check one JSONPath or header against a plain value (equality) or an operator object.

    `found` holds the value, or is empty when there is none (which is not the same as null).
    """
    operators = spec if is_operator_spec(spec) else {"eq": spec}
    actual = found[0] if found else None
    checks: list[_Checked] = []
    for op, expected in operators.items():
        if op == "exists":
            problem = _exists(bool(found), expected, actual)
        elif not found:
            problem = "nothing found"
        else:
            problem = _CHECKS[op](actual, expected)
        message = None if problem is None else f"{label}: {problem}"
        checks.append(_Checked(label, op, expected, actual, message))
    return checks


def _failure(expectation: str, op: str, expected: Any, actual: Any, message: str) -> Failure:
    return {
        "expectation": expectation,
        "operator": op,
        "expected": expected,
        "actual": actual,
        "message": message,
    }


# --- operators: each returns None when the check holds, else what went wrong -----------------


def _exists(present: bool, expected: bool, actual: Any) -> str | None:
    if present == expected:
        return None
    return f"expected nothing, found {_show(actual)}" if present else "expected a value, found nothing"


def _eq(actual: Any, expected: Any) -> str | None:
    return None if _json_equal(actual, expected) else f"expected {_show(expected)}, got {_show(actual)}"


def _ne(actual: Any, expected: Any) -> str | None:
    return f"expected anything but {_show(expected)}" if _json_equal(actual, expected) else None


def _contains(actual: Any, expected: Any) -> str | None:
    held = _holds(actual, expected)
    if held is None:
        return f"cannot look for {_show(expected)} in {_show(actual)}"
    return None if held else f"expected {_show(actual)} to contain {_show(expected)}"


def _not_contains(actual: Any, expected: Any) -> str | None:
    held = _holds(actual, expected)
    if held is None:
        return f"cannot look for {_show(expected)} in {_show(actual)}"
    return f"expected {_show(actual)} not to contain {_show(expected)}" if held else None


def _holds(container: Any, item: Any) -> bool | None:
    """Substring for strings, an equal element for arrays, a key for objects; None when it makes no sense."""
    if isinstance(container, str):
        return isinstance(item, str) and item in container
    if isinstance(container, list):
        return any(_json_equal(element, item) for element in container)
    if isinstance(container, dict):
        return isinstance(item, str) and item in container
    return None


def _matches(actual: Any, pattern: str) -> str | None:
    if not isinstance(actual, str):
        return f"expected a string matching /{pattern}/, got {_show(actual)}"
    return None if re.search(pattern, actual) else f"expected {_show(actual)} to match /{pattern}/"


def _compare(actual: Any, expected: Any, *, test: Callable[[Any, Any], bool], symbol: str) -> str | None:
    if not _is_number(expected):  # a {{variable}} from an environment may be numeric text
        try:
            expected = float(expected)
        except (TypeError, ValueError):
            return f"cannot compare with {_show(expected)}: it is not a number"
    if not _is_number(actual):
        return f"expected a number {symbol} {_show(expected)}, got {_show(actual)}"
    return None if test(actual, expected) else f"expected {symbol} {_show(expected)}, got {_show(actual)}"


def _one_of(actual: Any, allowed: list[Any]) -> str | None:
    if any(_json_equal(actual, item) for item in allowed):
        return None
    return f"expected one of {_show(allowed)}, got {_show(actual)}"


def _length(actual: Any, expected: float) -> str | None:
    if not isinstance(actual, str | list | dict):
        return f"expected something with a length, got {_show(actual)}"
    return None if len(actual) == expected else f"expected length {_show(expected)}, got length {len(actual)}"


def _type(actual: Any, expected: str) -> str | None:
    if _is_json_type(actual, expected):
        return None
    return f"expected type {expected}, got {_json_type(actual)} {_show(actual)}"


_CHECKS: dict[str, Check] = {
    "eq": _eq,
    "ne": _ne,
    "contains": _contains,
    "not_contains": _not_contains,
    "matches": _matches,
    "lt": partial(_compare, test=operator.lt, symbol="<"),
    "lte": partial(_compare, test=operator.le, symbol="<="),
    "gt": partial(_compare, test=operator.gt, symbol=">"),
    "gte": partial(_compare, test=operator.ge, symbol=">="),
    "in": _one_of,
    "length": _length,
    "type": _type,
}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_json_type(value: Any, name: str) -> bool:
    if name == "integer":
        return _is_number(value) and float(value).is_integer()
    if name == "number":
        return _is_number(value)
    return _json_type(value) == name


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if _is_number(value):
        return "number"
    kinds = ((str, "string"), (list, "array"), (dict, "object"))
    return next((name for kind, name in kinds if isinstance(value, kind)), type(value).__name__)


def _json_equal(left: Any, right: Any) -> bool:
    """Equality as JSON sees it: true is not 1, at any depth."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_json_equal, left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_json_equal(left[k], right[k]) for k in left)
    return bool(left == right)


def _show(value: Any) -> str:
    return _shorten(json.dumps(value, ensure_ascii=False, default=str))


def _shorten(text: str) -> str:
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


# --- records --------------------------------------------------------------------------------


def _masker_for(secret_names: Iterable[str], variables: dict[str, Any], sent: httpx.Request | None) -> Masker:
    """The masker of one step's record: the secret variables' values in every encoding, and the
    Basic credentials httpx built from a URL's user info when they hold a secret."""
    masker = Masker.of(secret_names, variables)
    scheme, _, token = (sent.headers.get("authorization", "") if sent else "").partition(" ")
    if scheme.lower() != "basic" or not token:
        return masker
    try:
        credentials = base64.b64decode(token, validate=True).decode("utf-8", "replace")
    except ValueError:  # binascii.Error: not base64 after all
        return masker
    if masker.text(credentials) == credentials:
        return masker
    return Masker.of(secret_names, variables, derived=[token])


def _record(step: Step, result: _StepResult, masker: Masker) -> dict[str, Any]:
    record: dict[str, Any] = {
        "step": step.name,
        "request": _describe_sent(result.sent, masker)
        if result.sent
        else _describe_declared(result.declared),
        "response": _describe_response(result.response, result.masked_body) if result.response else None,
        "captures": {
            name: MASK if name in masker.names else value for name, value in result.captures.items()
        },
        "failures": result.failures,
    }
    if result.error is not None:
        record["error"] = result.error
    masked: dict[str, Any] = masker.value(record)
    if result.response is not None:  # a request that failed checked nothing
        # Masked here, value by value, before each is shortened (so no secret is cut in half).
        masked["checks"], left_out = _checks_shown(result.checks, masker, result.masked_body)
        if left_out:
            masked["checks_left_out"] = left_out
    return masked


def _checks_shown(checks: list[_Checked], masker: Masker, body: str) -> tuple[list[dict[str, Any]], int]:
    """Every check as a record shows it, at most MAX_CHECKS (the failed ones kept first, in their
    order), and how many were left out. Each: expectation, operator, expected, actual, passed, and
    for a failed one its message (as in `failures`). Values are masked, then shortened."""
    order = sorted(range(len(checks)), key=lambda i: (checks[i].passed, i))
    kept = sorted(order[:MAX_CHECKS])
    shown: list[dict[str, Any]] = []
    for check in (checks[i] for i in kept):
        if check.in_body:
            actual: Any = check.actual if not check.passed else _around(body, masker.text(check.expected))
        elif check.expectation.startswith("capture ") and check.expectation[8:] in masker.names:
            actual = MASK if check.passed else None
        else:
            actual = _masked_value(check.actual, masker)
        entry: dict[str, Any] = {
            "expectation": check.expectation,
            "operator": check.operator,
            "expected": _masked_value(check.expected, masker),
            "actual": actual,
            "passed": check.passed,
        }
        if check.message is not None:
            entry["message"] = masker.text(check.message)
        shown.append(entry)
    return shown, len(checks) - len(kept)


def _masked_value(value: Any, masker: Masker) -> Any:
    """A value with its secrets masked: as it is when short and without one; else its text
    (JSON for anything but a string), masked, then shortened to SHOWN_CHARS."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    masked = masker.text(text[: SHOWN_CHARS + SECRET_MARGIN])
    if masked == text and len(text) <= SHOWN_CHARS:
        return value
    return _shorten(masked)


def _around(body: str, part: str) -> str:
    """Where the body holds `part`, with a little of the body on each side."""
    at = body.find(part)
    if at < 0:  # the part is (or holds) a secret masked differently in the body
        return _show(body)
    start, end = max(0, at - BODY_WINDOW), at + len(part) + BODY_WINDOW
    text = ("…" if start else "") + body[start:end] + ("…" if end < len(body) else "")
    return _shorten(text)


def _describe_sent(request: httpx.Request, masker: Masker) -> dict[str, Any]:
    text = request.content.decode("utf-8", "replace")
    return {
        "method": request.method,
        "url": str(request.url),
        "headers": _mask_headers(request.headers.items()),
        **_body(masker.text(text), len(request.content)),
    }


def _describe_declared(request: Request) -> dict[str, Any]:
    """The request as written, for a step that failed before its request could be built."""
    if request.json_body is not None:
        text = json.dumps(request.json_body)
    elif request.form is not None:
        text = json.dumps(request.form)
    else:
        text = request.body or ""
    return {
        "method": request.method,
        "url": request.url,
        "headers": _mask_headers(request.headers.items()),
        **_body(text, len(text.encode())),
    }


def _describe_response(response: _Response, masked_body: str) -> dict[str, Any]:
    return {
        "status": response.status,
        "headers": _mask_headers(response.headers.items()),
        **_body(masked_body, response.size),
        "elapsed_ms": response.elapsed_ms,
    }


def _body(text: str, size: int) -> dict[str, Any]:
    """The body as recorded: at most BODY_LIMIT bytes of text; when cut, say so and give the full size."""
    encoded = text.encode()
    if len(encoded) <= BODY_LIMIT:
        return {"body": text}
    return {"body": encoded[:BODY_LIMIT].decode("utf-8", "ignore"), "truncated": True, "size": size}


def _mask_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name: MASK if _is_sensitive(name) else value for name, value in headers}


def _is_sensitive(header: str) -> bool:
    name = header.lower()
    return name in MASKED_HEADERS or any(word in name for word in MASKED_HEADER_WORDS)
