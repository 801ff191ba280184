"""The `http` runner against a real HTTP server on 127.0.0.1, with a fake RunContext."""

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from testament.domain.content import validate_content
from testament.domain.execution import ExecutionStatus, Outcome, RecordStatus
from testament.runners import runner_for
from testament.runners.http import HttpRunner

WIDGET = {
    "name": "widget",
    "count": 3,
    "price": 9.5,
    "tags": ["a", "b"],
    "active": True,
    "owner": None,
    "nested": {"id": 7},
}
SLOW_S = 0.5


# --- the system under test ------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    """A few endpoints, enough to exercise every part of a step."""

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def do_PUT(self) -> None:
        self._route()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet

    def _route(self) -> None:
        path = self.path.split("?")[0]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if path == "/widget":
            self._send(200, WIDGET, {"X-Request-Id": "abc-123", "Set-Cookie": "session=s3cr3t"})
        elif path == "/login":
            user = json.loads(body)["user"]
            self._send(201, {"token": f"tok-{user}", "user": user})
        elif path == "/whoami":
            auth = self.headers.get("Authorization")
            self._send(200, {"auth": auth}) if auth else self._send(401, {"error": "no credentials"})
        elif path == "/echo":
            self._send(200, self._echo(body))
        elif path == "/raw":
            self._send_text(200, body.decode(), "text/plain")
        elif path == "/text":
            self._send_text(200, "hello world; order=42", "text/plain")
        elif path == "/string":
            self._send_text(200, json.dumps("just a string"), "application/json")
        elif path == "/big":
            self._send_text(200, "x" * 10_000, "text/plain")
        elif path == "/redirect":
            self._send_text(302, "", "text/plain", {"Location": "/widget"})
        elif path == "/slow":
            time.sleep(SLOW_S)
            self._send(200, {"slow": True})
        else:
            self._send(404, {"error": "not found"})

    def _echo(self, body: bytes) -> dict[str, Any]:
        text = body.decode()
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        return {
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": text,
            "json": parsed,
        }

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send_text(status, json.dumps(payload), "application/json", headers)

    def _send_text(
        self, status: int, text: str, media_type: str, headers: dict[str, str] | None = None
    ) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


# --- a fake engine --------------------------------------------------------------------------


class FakeContext:
    """Collects records; `cancelled` can be set directly or by a hook run after each record."""

    def __init__(self, variables: dict[str, Any] | None = None, remaining_s: float = 60.0) -> None:
        self.execution_id = "execution-1"
        self.workspace_id = "workspace-1"
        self.attempt = 1
        self.variables = variables or {}
        self.secret_names: frozenset[str] = frozenset()
        self.cancelled: str | None = None
        self.records: list[tuple[str, RecordStatus, dict[str, Any]]] = []
        self.artifacts: list[tuple[str, bytes, str]] = []
        self.after_record: Callable[[FakeContext], None] | None = None
        self._remaining_s = remaining_s

    def remaining_s(self) -> float:
        return self._remaining_s

    def record(self, observation_id: str, status: RecordStatus, record: dict[str, Any]) -> int:
        json.dumps(record)  # a record must be storable as JSON
        self.records.append((observation_id, status, record))
        if self.after_record:
            self.after_record(self)
        return len(self.records)

    def add_artifact(self, name: str, data: bytes, media_type: str, record_seq: int | None = None) -> str:
        self.artifacts.append((name, data, media_type))
        return f"artifact-{len(self.artifacts)}"

    def only_record(self) -> dict[str, Any]:
        assert len(self.records) == 1, self.records
        return self.records[0][2]


def step(
    name: str,
    url: str,
    expect: dict[str, Any] | None = None,
    capture: dict[str, Any] | None = None,
    **request: Any,
) -> dict[str, Any]:
    """One step's content; keyword arguments other than capture and expect go into the request."""
    built: dict[str, Any] = {"name": name, "request": {"url": url, **request}}
    if capture:
        built["capture"] = capture
    if expect:
        built["expect"] = expect
    return built


def run(
    base_url: str,
    *steps: dict[str, Any],
    ctx: FakeContext | None = None,
    variables: dict[str, Any] | None = None,
    secrets: list[str] | None = None,
) -> tuple[Outcome, FakeContext]:
    content = validate_content(
        "http",
        {
            "variables": {"base": base_url, **(variables or {})},
            "steps": list(steps),
            "secrets": secrets or [],
        },
    )
    ctx = ctx or FakeContext()
    return HttpRunner().run(content, ctx), ctx


def json_step(spec: dict[str, Any]) -> dict[str, Any]:
    return step("widget", "{{base}}/widget", expect={"json": spec})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- passing runs and variables -------------------------------------------------------------


def test_the_runner_is_found_by_its_kind() -> None:
    runner = runner_for("http")
    assert isinstance(runner, HttpRunner)
    assert runner.kind == "http"


def test_a_passing_step_records_request_response_and_captures(base_url: str) -> None:
    outcome, ctx = run(
        base_url,
        step(
            "get widget",
            "{{base}}/widget",
            capture={"id": {"jsonpath": "$.nested.id"}},
            expect={"status": 200, "json": {"$.name": "widget"}, "max_ms": 5000},
        ),
    )
    assert outcome == Outcome(ExecutionStatus.PASSED)
    [(observation_id, status, record)] = ctx.records
    assert (observation_id, status) == ("get widget", RecordStatus.PASSED)
    assert record["step"] == "get widget"
    assert record["request"]["method"] == "GET"
    assert record["request"]["url"] == f"{base_url}/widget"
    assert record["response"]["status"] == 200
    assert json.loads(record["response"]["body"]) == WIDGET
    assert record["response"]["headers"]["x-request-id"] == "abc-123"
    assert record["response"]["elapsed_ms"] > 0
    assert record["captures"] == {"id": 7}
    assert record["failures"] == []
    assert "error" not in record
    assert "truncated" not in record["response"]


def test_values_captured_by_a_step_feed_the_requests_of_later_steps(base_url: str) -> None:
    outcome, ctx = run(
        base_url,
        step(
            "login",
            "{{base}}/login",
            method="POST",
            json={"user": "{{user}}"},
            capture={"token": {"jsonpath": "$.token"}},
            expect={"status": 201},
        ),
        step(
            "whoami",
            "{{base}}/whoami",
            headers={"Authorization": "Bearer {{token}}"},
            capture={"auth": {"jsonpath": "$.auth"}},
            expect={"status": 200, "json": {"$.auth": "Bearer tok-ada"}},
        ),
        variables={"user": "ada"},
    )
    assert outcome.status == ExecutionStatus.PASSED, ctx.records
    assert [r[0] for r in ctx.records] == ["login", "whoami"]
    assert ctx.records[0][2]["captures"] == {"token": "tok-ada"}
    assert ctx.records[1][2]["captures"] == {"auth": "Bearer tok-ada"}


def test_context_variables_win_over_the_contents_variables(base_url: str) -> None:
    outcome, ctx = run(
        base_url,
        step("echo", "{{base}}/echo?who={{who}}", expect={"json": {"$.path": "/echo?who=override"}}),
        variables={"who": "default"},
        ctx=FakeContext(variables={"who": "override"}),
    )
    assert outcome.status == ExecutionStatus.PASSED, ctx.records


def test_a_json_value_that_is_one_placeholder_keeps_the_variables_type(base_url: str) -> None:
    outcome, ctx = run(
        base_url,
        step(
            "echo",
            "{{base}}/echo",
            method="POST",
            json={
                "count": "{{count}}",
                "label": "n={{count}}",
                "items": ["{{flags}}", "{{ name }}"],
                "{{name}}": 1,
            },
        ),
        variables={"count": 5, "flags": {"on": True}, "name": "ada"},
    )
    assert outcome.status == ExecutionStatus.PASSED
    sent = json.loads(ctx.only_record()["response"]["body"])["json"]
    assert sent == {"count": 5, "label": "n=5", "items": [{"on": True}, "ada"], "ada": 1}


def test_raw_bodies_and_form_fields_are_templated(base_url: str) -> None:
    outcome, ctx = run(
        base_url,
        step("raw", "{{base}}/echo", method="PUT", body="id={{id}}", headers={"X-Trace": "t-{{id}}"}),
        step("form", "{{base}}/echo", method="POST", form={"id": "{{id}}", "fixed": "a b"}),
        variables={"id": 42},
    )
    assert outcome.status == ExecutionStatus.PASSED
    raw = json.loads(ctx.records[0][2]["response"]["body"])
    form = json.loads(ctx.records[1][2]["response"]["body"])
    assert (raw["method"], raw["body"], raw["headers"]["x-trace"]) == ("PUT", "id=42", "t-42")
    assert form["body"] == "id=42&fixed=a+b"
    assert form["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert ctx.records[0][2]["request"]["body"] == "id=42"


# --- expectations ---------------------------------------------------------------------------

PASSING = [
    ("$.name", "widget"),
    ("$.nested", {"eq": {"id": 7}}),
    ("$.count", {"ne": 4}),
    ("$.name", {"contains": "idg"}),
    ("$.tags", {"contains": "a"}),
    ("$.nested", {"contains": "id"}),
    ("$.name", {"not_contains": "zz"}),
    ("$.tags", {"not_contains": "c"}),
    ("$.name", {"matches": "^wid.et$"}),
    ("$.name", {"exists": True}),
    ("$.owner", {"exists": True}),
    ("$.missing", {"exists": False}),
    ("$.count", {"lt": 4}),
    ("$.count", {"lte": 3}),
    ("$.count", {"gt": 2}),
    ("$.price", {"gte": 9.5}),
    ("$.count", {"in": [1, 2, 3]}),
    ("$.tags", {"length": 2}),
    ("$.name", {"length": 6}),
    ("$.name", {"type": "string"}),
    ("$.count", {"type": "integer"}),
    ("$.price", {"type": "number"}),
    ("$.active", {"type": "boolean"}),
    ("$.nested", {"type": "object"}),
    ("$.tags", {"type": "array"}),
    ("$.owner", {"type": "null"}),
    ("$.count", {"gt": 1, "lt": 5, "type": "integer"}),
]


@pytest.mark.parametrize(("path", "spec"), PASSING, ids=[f"{p} {json.dumps(s)}" for p, s in PASSING])
def test_an_expectation_that_holds_passes_the_step(base_url: str, path: str, spec: Any) -> None:
    outcome, ctx = run(base_url, json_step({path: spec}))
    assert outcome == Outcome(ExecutionStatus.PASSED), ctx.records
    assert ctx.only_record()["failures"] == []


FAILING = [
    ("$.name", "gadget", "eq", "gadget", "widget", 'expected "gadget", got "widget"'),
    ("$.active", {"eq": 1}, "eq", 1, True, "expected 1, got true"),
    ("$.count", {"ne": 3}, "ne", 3, 3, "expected anything but 3"),
    ("$.name", {"contains": "zz"}, "contains", "zz", "widget", 'expected "widget" to contain "zz"'),
    ("$.nested", {"contains": "name"}, "contains", "name", {"id": 7}, 'expected {"id": 7} to contain "name"'),
    ("$.count", {"contains": "3"}, "contains", "3", 3, 'cannot look for "3" in 3'),
    (
        "$.tags",
        {"not_contains": "a"},
        "not_contains",
        "a",
        ["a", "b"],
        'expected ["a", "b"] not to contain "a"',
    ),
    ("$.name", {"matches": "^x"}, "matches", "^x", "widget", 'expected "widget" to match /^x/'),
    ("$.missing", {"exists": True}, "exists", True, None, "expected a value, found nothing"),
    ("$.name", {"exists": False}, "exists", False, "widget", 'expected nothing, found "widget"'),
    ("$.count", {"lt": 3}, "lt", 3, 3, "expected < 3, got 3"),
    ("$.count", {"lte": 2}, "lte", 2, 3, "expected <= 2, got 3"),
    ("$.count", {"gt": 3}, "gt", 3, 3, "expected > 3, got 3"),
    ("$.count", {"gte": 4}, "gte", 4, 3, "expected >= 4, got 3"),
    ("$.name", {"gt": 1}, "gt", 1, "widget", 'expected a number > 1, got "widget"'),
    ("$.count", {"in": [1, 2]}, "in", [1, 2], 3, "expected one of [1, 2], got 3"),
    ("$.tags", {"length": 3}, "length", 3, ["a", "b"], "expected length 3, got length 2"),
    ("$.count", {"length": 1}, "length", 1, 3, "expected something with a length, got 3"),
    ("$.price", {"type": "integer"}, "type", "integer", 9.5, "expected type integer, got number 9.5"),
    ("$.active", {"type": "number"}, "type", "number", True, "expected type number, got boolean true"),
    ("$.owner", {"type": "object"}, "type", "object", None, "expected type object, got null null"),
    ("$.missing", 1, "eq", 1, None, "nothing found"),
]


@pytest.mark.parametrize(
    ("path", "spec", "op", "expected", "actual", "message"),
    FAILING,
    ids=[f"{f[0]} {json.dumps(f[1])}" for f in FAILING],
)
def test_an_expectation_that_does_not_hold_fails_the_step_and_is_spelled_out(
    base_url: str, path: str, spec: Any, op: str, expected: Any, actual: Any, message: str
) -> None:
    outcome, ctx = run(base_url, json_step({path: spec}))
    assert outcome.status == ExecutionStatus.FAILED
    assert outcome.reason == f"step 'widget' failed: json {path}: {message}"
    [(_, status, record)] = ctx.records
    assert status == RecordStatus.FAILED
    assert record["failures"] == [
        {
            "expectation": f"json {path}",
            "operator": op,
            "expected": expected,
            "actual": actual,
            "message": f"json {path}: {message}",
        }
    ]


def test_every_failed_expectation_is_listed_not_only_the_first(base_url: str) -> None:
    outcome, ctx = run(
        base_url,
        json_step({"$.count": {"gt": 5, "lt": 10, "type": "string"}, "$.name": "gadget", "$.price": 9.5}),
    )
    failures = ctx.only_record()["failures"]
    assert [(f["expectation"], f["operator"]) for f in failures] == [
        ("json $.count", "gt"),
        ("json $.count", "type"),
        ("json $.name", "eq"),
    ]
    assert outcome.reason == "step 'widget' failed: json $.count: expected > 5, got 3 (and 2 more)"


def test_a_status_in_the_expected_list_passes(base_url: str) -> None:
    outcome, _ = run(base_url, step("missing", "{{base}}/nowhere", expect={"status": [200, 404]}))
    assert outcome.status == ExecutionStatus.PASSED


def test_a_status_outside_the_expected_list_fails(base_url: str) -> None:
    outcome, ctx = run(base_url, step("missing", "{{base}}/nowhere", expect={"status": [200, 204]}))
    assert outcome.status == ExecutionStatus.FAILED
    assert ctx.only_record()["failures"] == [
        {
            "expectation": "status",
            "operator": "in",
            "expected": [200, 204],
            "actual": 404,
            "message": "status: expected [200, 204], got 404",
        }
    ]


def test_a_single_expected_status_is_compared_for_equality(base_url: str) -> None:
    outcome, ctx = run(base_url, step("missing", "{{base}}/nowhere", expect={"status": 200}))
    assert outcome.reason == "step 'missing' failed: status: expected 200, got 404"
    assert ctx.only_record()["failures"][0]["operator"] == "eq"


def test_header_expectations_ignore_the_case_of_header_names(base_url: str) -> None:
    spec = {"x-REQUEST-id": "abc-123", "Content-Type": {"matches": "json"}, "X-Absent": {"exists": False}}
    outcome, ctx = run(base_url, step("widget", "{{base}}/widget", expect={"headers": spec}))
    assert outcome.status == ExecutionStatus.PASSED, ctx.records


def test_a_header_that_does_not_match_is_spelled_out(base_url: str) -> None:
    outcome, ctx = run(
        base_url,
        step("widget", "{{base}}/widget", expect={"headers": {"X-Request-Id": {"eq": "zzz"}, "X-Nope": "1"}}),
    )
    assert outcome.status == ExecutionStatus.FAILED
    assert ctx.only_record()["failures"] == [
        {
            "expectation": "header X-Request-Id",
            "operator": "eq",
            "expected": "zzz",
            "actual": "abc-123",
            "message": 'header X-Request-Id: expected "zzz", got "abc-123"',
        },
        {
            "expectation": "header X-Nope",
            "operator": "eq",
            "expected": "1",
            "actual": None,
            "message": "header X-Nope: nothing found",
        },
    ]


def test_body_contains_passes_when_the_body_holds_every_string(base_url: str) -> None:
    outcome, _ = run(base_url, step("text", "{{base}}/text", expect={"body_contains": ["hello", "order=42"]}))
    assert outcome.status == ExecutionStatus.PASSED


def test_body_contains_fails_for_each_missing_string(base_url: str) -> None:
    outcome, ctx = run(
        base_url, step("text", "{{base}}/text", expect={"body_contains": ["hello", "bye", "ciao"]})
    )
    failures = ctx.only_record()["failures"]
    assert [(f["expectation"], f["operator"], f["expected"]) for f in failures] == [
        ("body", "contains", "bye"),
        ("body", "contains", "ciao"),
    ]
    assert failures[0]["message"] == 'body: expected it to contain "bye"'
    assert outcome.status == ExecutionStatus.FAILED


def test_max_ms_fails_a_step_slower_than_allowed(base_url: str) -> None:
    outcome, ctx = run(base_url, step("slow", "{{base}}/slow", expect={"status": 200, "max_ms": 100}))
    assert outcome.status == ExecutionStatus.FAILED
    [failure] = ctx.only_record()["failures"]
    assert (failure["expectation"], failure["operator"], failure["expected"]) == ("max_ms", "lte", 100)
    assert failure["actual"] >= SLOW_S * 1000
    assert failure["message"].startswith("max_ms: took ")


def test_json_expectations_on_a_body_that_is_not_json_fail_without_crashing(base_url: str) -> None:
    outcome, ctx = run(base_url, step("text", "{{base}}/text", expect={"json": {"$.a": 1}}))
    assert outcome.status == ExecutionStatus.FAILED
    [failure] = ctx.only_record()["failures"]
    assert failure["expectation"] == "json"
    assert failure["message"] == 'json: the body is not JSON: "hello world; order=42"'


def test_long_values_are_shortened_in_failure_messages(base_url: str) -> None:
    outcome, ctx = run(base_url, step("big", "{{base}}/big", expect={"json": {"$.a": 1}}))
    message = ctx.only_record()["failures"][0]["message"]
    assert message.startswith('json: the body is not JSON: "xxx')
    assert message.endswith("x…")
    assert len(message) < 250
    assert len(outcome.reason) < 250


def test_a_body_that_is_a_json_string_can_be_matched_at_the_root(base_url: str) -> None:
    outcome, ctx = run(
        base_url,
        step(
            "string",
            "{{base}}/string",
            capture={"whole": {"jsonpath": "$"}},
            expect={"json": {"$": {"contains": "just"}}},
        ),
    )
    assert outcome.status == ExecutionStatus.PASSED, ctx.records
    assert ctx.only_record()["captures"] == {"whole": "just a string"}


def test_redirects_are_followed_only_when_the_step_asks(base_url: str) -> None:
    outcome, ctx = run(
        base_url,
        step("stay", "{{base}}/redirect", expect={"status": 302, "headers": {"location": "/widget"}}),
        step(
            "follow",
            "{{base}}/redirect",
            follow_redirects=True,
            expect={"status": 200, "json": {"$.count": 3}},
        ),
    )
    assert outcome.status == ExecutionStatus.PASSED, ctx.records


# --- captures -------------------------------------------------------------------------------


def test_values_can_be_captured_from_a_header_and_by_a_regex(base_url: str) -> None:
    outcome, ctx = run(
        base_url,
        step("widget", "{{base}}/widget", capture={"rid": {"header": "x-request-ID"}}),
        step(
            "text",
            "{{base}}/text",
            capture={"order": {"regex": r"order=(\d+)"}, "all": {"regex": r"hello \w+", "group": 0}},
        ),
        step(
            "use",
            "{{base}}/echo?rid={{rid}}&order={{order}}",
            expect={"json": {"$.path": "/echo?rid=abc-123&order=42"}},
        ),
    )
    assert outcome.status == ExecutionStatus.PASSED, ctx.records
    assert ctx.records[1][2]["captures"] == {"order": "42", "all": "hello world"}


def test_a_jsonpath_capture_takes_the_first_match(base_url: str) -> None:
    outcome, ctx = run(
        base_url, step("widget", "{{base}}/widget", capture={"tag": {"jsonpath": "$.tags[*]"}})
    )
    assert outcome.status == ExecutionStatus.PASSED
    assert ctx.only_record()["captures"] == {"tag": "a"}


@pytest.mark.parametrize(
    ("capture", "message"),
    [
        ({"jsonpath": "$.nope"}, "capture 'it': no match for $.nope"),
        ({"header": "X-Nope"}, "capture 'it': no header 'X-Nope'"),
        ({"regex": r"order=(\d+)"}, r"capture 'it': /order=(\d+)/ (group 1) found nothing in the body"),
        ({"regex": r"widget", "group": 1}, "capture 'it': /widget/ (group 1) found nothing in the body"),
    ],
)
def test_a_capture_that_finds_nothing_fails_the_step_naming_the_capture(
    base_url: str, capture: dict[str, Any], message: str
) -> None:
    outcome, ctx = run(base_url, step("widget", "{{base}}/widget", capture={"it": capture}))
    assert outcome.status == ExecutionStatus.FAILED
    assert outcome.reason == f"step 'widget' failed: {message}"
    record = ctx.only_record()
    assert record["captures"] == {}
    assert [(f["expectation"], f["message"]) for f in record["failures"]] == [("capture it", message)]


# --- records: masking and truncation --------------------------------------------------------


def test_credential_headers_are_masked_in_the_record(base_url: str) -> None:
    outcome, ctx = run(
        base_url,
        step(
            "echo",
            "{{base}}/echo",
            headers={
                "Authorization": "Bearer abc",
                "X-Api-Key": "k1",
                "X-Client-Secret": "s1",
                "X-Plain": "shown",
            },
        ),
        step("widget", "{{base}}/widget"),
    )
    assert outcome.status == ExecutionStatus.PASSED
    sent = ctx.records[0][2]["request"]["headers"]
    assert sent["authorization"] == sent["x-api-key"] == sent["x-client-secret"] == "***"
    assert sent["x-plain"] == "shown"
    assert ctx.records[1][2]["response"]["headers"]["set-cookie"] == "***"
    # The server did get the real values: masking is for the record only.
    echoed = json.loads(ctx.records[0][2]["response"]["body"])["headers"]
    assert echoed["authorization"] == "Bearer abc"


def test_secret_variables_are_masked_wherever_they_appear_in_records(base_url: str) -> None:
    outcome, ctx = run(
        base_url,
        step(
            "login",
            "{{base}}/login?pw={{password}}",
            method="POST",
            json={"user": "{{password}}"},
            headers={"X-Plain": "p={{password}}"},
            capture={"token": {"jsonpath": "$.token"}, "user": {"jsonpath": "$.user"}},
        ),
        step("echo", "{{base}}/echo?t={{token}}"),
        secrets=["password", "token"],
        ctx=FakeContext(variables={"password": "hunter2"}),
    )
    assert outcome.status == ExecutionStatus.PASSED
    everything = json.dumps([r[2] for r in ctx.records])
    assert "hunter2" not in everything
    assert "tok-" not in everything
    login = ctx.records[0][2]
    assert login["request"]["url"].endswith("/login?pw=***")
    assert login["request"]["headers"]["x-plain"] == "p=***"
    assert json.loads(login["request"]["body"]) == {"user": "***"}
    assert login["captures"] == {"token": "***", "user": "***"}
    assert ctx.records[1][2]["request"]["url"].endswith("/echo?t=***")


def test_a_captured_secret_is_masked_even_when_it_is_not_a_string(base_url: str) -> None:
    outcome, ctx = run(
        base_url,
        step("widget", "{{base}}/widget", capture={"id": {"jsonpath": "$.nested.id"}}),
        secrets=["id"],
    )
    assert outcome.status == ExecutionStatus.PASSED
    assert ctx.only_record()["captures"] == {"id": "***"}


def test_a_secret_in_a_failure_reason_is_masked(base_url: str) -> None:
    outcome, ctx = run(
        base_url,
        step(
            "login",
            "{{base}}/login",
            method="POST",
            json={"user": "{{password}}"},
            expect={"json": {"$.user": "x"}},
        ),
        secrets=["password"],
        variables={"password": "hunter2"},
    )
    assert outcome.status == ExecutionStatus.FAILED
    assert "hunter2" not in outcome.reason
    assert ctx.only_record()["failures"][0]["actual"] == "***"


def test_a_large_response_body_is_truncated_to_4_kib_with_its_full_size(base_url: str) -> None:
    outcome, ctx = run(base_url, step("big", "{{base}}/big", expect={"body_contains": "xxx"}))
    assert outcome.status == ExecutionStatus.PASSED
    response = ctx.only_record()["response"]
    assert response["body"] == "x" * 4096
    assert response["truncated"] is True
    assert response["size"] == 10_000


def test_a_truncated_response_body_is_kept_whole_as_an_artifact(base_url: str) -> None:
    _, ctx = run(base_url, step("big", "{{base}}/big"), step("small", "{{base}}/widget"))
    assert ctx.artifacts == [("big response body", b"x" * 10_000, "text/plain")]
    assert ctx.records[0][2]["response"]["artifact_id"] == "artifact-1"
    assert "artifact_id" not in ctx.records[1][2]["response"]


def test_a_large_request_body_is_truncated_too(base_url: str) -> None:
    outcome, ctx = run(base_url, step("put", "{{base}}/echo", method="PUT", body="y" * 5000))
    assert outcome.status == ExecutionStatus.PASSED
    request = ctx.only_record()["request"]
    assert (len(request["body"]), request["truncated"], request["size"]) == (4096, True, 5000)


# --- failures without a response ------------------------------------------------------------


def test_an_unknown_variable_fails_the_step_naming_the_variable(base_url: str) -> None:
    outcome, ctx = run(
        base_url, step("widget", "{{base}}/widget?x={{nope}}"), step("never", "{{base}}/widget")
    )
    assert outcome == Outcome(ExecutionStatus.FAILED, "step 'widget' failed: unknown variable 'nope' in url")
    [(name, status, record)] = ctx.records
    assert (name, status) == ("widget", RecordStatus.FAILED)
    assert record["error"] == "unknown variable 'nope' in url"
    assert record["request"]["url"] == "{{base}}/widget?x={{nope}}"
    assert record["response"] is None


def test_an_unknown_variable_in_a_json_body_names_the_variable(base_url: str) -> None:
    outcome, ctx = run(base_url, step("post", "{{base}}/echo", method="POST", json={"a": ["{{missing}}"]}))
    assert ctx.only_record()["error"] == "unknown variable 'missing' in json body"
    assert outcome.status == ExecutionStatus.FAILED


def test_a_refused_connection_fails_the_step_with_the_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    outcome, ctx = run(url, step("down", "{{base}}/widget"))
    assert outcome.status == ExecutionStatus.FAILED
    record = ctx.only_record()
    assert record["error"].startswith("could not connect: ConnectError: ")
    assert record["error"].endswith(f"(GET {url}/widget)")
    assert record["request"]["url"] == f"{url}/widget"
    assert record["response"] is None
    assert outcome.reason.startswith("step 'down' failed: could not connect")


def test_an_invalid_url_fails_the_step_with_the_error(base_url: str) -> None:
    outcome, ctx = run(base_url, step("bad", "{{target}}/x"), variables={"target": "ftp://example.invalid"})
    assert outcome.status == ExecutionStatus.FAILED
    assert ctx.only_record()["error"].startswith("invalid URL: UnsupportedProtocol")


def test_a_step_that_outlives_its_timeout_fails_with_a_timeout_error(base_url: str) -> None:
    outcome, ctx = run(base_url, step("slow", "{{base}}/slow", timeout_s=0.2))
    assert outcome.status == ExecutionStatus.FAILED
    assert ctx.only_record()["error"].startswith("timed out after 0.2s: ReadTimeout")


def test_a_request_timeout_is_capped_by_the_time_left_for_the_execution(base_url: str) -> None:
    outcome, ctx = run(
        base_url, step("slow", "{{base}}/slow", timeout_s=30), ctx=FakeContext(remaining_s=0.2)
    )
    assert outcome.status == ExecutionStatus.FAILED
    assert ctx.only_record()["error"].startswith("timed out after 0.2s")


# --- stopping -------------------------------------------------------------------------------


def test_a_failed_step_stops_the_steps_after_it(base_url: str) -> None:
    outcome, ctx = run(
        base_url,
        step("first", "{{base}}/widget", expect={"status": 200}),
        step("second", "{{base}}/widget", expect={"status": 500}),
        step("third", "{{base}}/widget"),
    )
    assert outcome == Outcome(ExecutionStatus.FAILED, "step 'second' failed: status: expected 500, got 200")
    assert [(r[0], r[1]) for r in ctx.records] == [
        ("first", RecordStatus.PASSED),
        ("second", RecordStatus.FAILED),
    ]


def test_a_stop_before_a_step_returns_stopped_and_runs_nothing_more(base_url: str) -> None:
    ctx = FakeContext()

    def stop_after_first(context: FakeContext) -> None:
        context.cancelled = "stopped by ada"

    ctx.after_record = stop_after_first
    outcome, _ = run(
        base_url,
        step("first", "{{base}}/widget"),
        step("second", "{{base}}/widget"),
        step("third", "{{base}}/widget"),
        ctx=ctx,
    )
    assert outcome == Outcome(ExecutionStatus.STOPPED, "stopped by ada")
    assert [r[0] for r in ctx.records] == ["first"]


def test_a_stop_requested_before_the_first_step_runs_nothing(base_url: str) -> None:
    ctx = FakeContext()
    ctx.cancelled = "stopped"
    outcome, _ = run(base_url, step("first", "{{base}}/widget"), ctx=ctx)
    assert outcome == Outcome(ExecutionStatus.STOPPED, "stopped")
    assert ctx.records == []


def test_running_out_of_time_before_a_step_fails_the_execution(base_url: str) -> None:
    ctx = FakeContext()
    ctx.cancelled = "timed out after 60s"
    outcome, _ = run(base_url, step("first", "{{base}}/widget"), ctx=ctx)
    assert outcome == Outcome(ExecutionStatus.FAILED, "timed out after 60s")
    assert ctx.records == []


# --- templated expectations -----------------------------------------------------------------


def test_expected_values_are_templated_with_the_variables_and_earlier_captures(base_url: str) -> None:
    outcome, ctx = run(
        base_url,
        step("widget", "{{base}}/widget", capture={"n": {"jsonpath": "$.count"}}),
        step(
            "same widget",
            "{{base}}/widget",
            expect={
                "json": {"$.name": "{{expected_name}}", "$.count": "{{n}}", "$.price": {"gt": "{{n}}"}},
                "headers": {"x-request-id": {"contains": "{{id_prefix}}"}},
                "body_contains": "{{expected_name}}",
            },
        ),
        variables={"expected_name": "widget", "id_prefix": "abc"},
    )
    assert outcome.status == ExecutionStatus.PASSED, ctx.records


def test_a_templated_expectation_that_does_not_hold_shows_the_rendered_value(base_url: str) -> None:
    outcome, ctx = run(
        base_url,
        step("widget", "{{base}}/widget", expect={"json": {"$.name": "{{wanted}}"}}),
        variables={"wanted": "gadget"},
    )
    assert outcome.status == ExecutionStatus.FAILED
    [failure] = ctx.only_record()["failures"]
    assert (failure["expected"], failure["actual"]) == ("gadget", "widget")


def test_an_unknown_variable_in_an_expectation_fails_the_step_naming_it(base_url: str) -> None:
    outcome, ctx = run(base_url, step("widget", "{{base}}/widget", expect={"body_contains": "{{nope}}"}))
    assert outcome.status == ExecutionStatus.FAILED
    assert "unknown variable 'nope' in expect.body_contains" in ctx.only_record()["error"]


def test_a_numeric_operand_from_a_text_variable_is_compared_as_a_number(base_url: str) -> None:
    passed, _ = run(base_url, json_step({"$.count": {"gt": "{{floor}}"}}), variables={"floor": "2"})
    failed, ctx = run(
        base_url, json_step({"$.count": {"lt": "{{floor}}"}}), variables={"floor": "not a number"}
    )
    assert passed.status == ExecutionStatus.PASSED
    assert failed.status == ExecutionStatus.FAILED
    assert "is not a number" in ctx.only_record()["failures"][0]["message"]


# --- checks: every check made, passed ones too ----------------------------------------------


def checks_of(record: dict[str, Any]) -> list[tuple[str, str, Any, Any, bool]]:
    return [
        (c["expectation"], c["operator"], c["expected"], c["actual"], c["passed"]) for c in record["checks"]
    ]


def test_a_passing_step_records_every_check_it_made_with_expected_and_actual(base_url: str) -> None:
    outcome, ctx = run(
        base_url,
        step(
            "widget",
            "{{base}}/widget",
            capture={"id": {"jsonpath": "$.nested.id"}, "rid": {"header": "x-request-id"}},
            expect={
                "status": 200,
                "json": {
                    "$.name": "widget",
                    "$.count": {"gt": 1, "type": "integer"},
                    "$.gone": {"exists": False},
                },
                "headers": {"x-request-id": {"matches": "^abc"}},
                "max_ms": 5000,
            },
        ),
    )
    assert outcome.status == ExecutionStatus.PASSED
    record = ctx.only_record()
    assert record["failures"] == []
    checks = checks_of(record)
    assert checks[:-1] == [
        ("capture id", "jsonpath", "$.nested.id", 7, True),
        ("capture rid", "header", "x-request-id", "abc-123", True),
        ("status", "eq", 200, 200, True),
        ("json $.name", "eq", "widget", "widget", True),
        ("json $.count", "gt", 1, 3, True),
        ("json $.count", "type", "integer", 3, True),
        ("json $.gone", "exists", False, None, True),
        ("header x-request-id", "matches", "^abc", "abc-123", True),
    ]
    expectation, op, expected, actual, passed = checks[-1]
    assert (expectation, op, expected, passed) == ("max_ms", "lte", 5000, True)
    assert actual == record["response"]["elapsed_ms"]
    assert all("message" not in c for c in record["checks"])
    assert "checks_left_out" not in record


def test_a_failed_check_is_in_checks_as_in_failures_beside_the_ones_that_held(base_url: str) -> None:
    outcome, ctx = run(
        base_url,
        step(
            "widget",
            "{{base}}/widget",
            capture={"nope": {"header": "x-missing"}},
            expect={"status": [201, 202], "json": {"$.name": "gadget", "$.count": 3}, "max_ms": 0.001},
        ),
    )
    assert outcome.status == ExecutionStatus.FAILED
    record = ctx.only_record()
    failed = [{k: v for k, v in c.items() if k != "passed"} for c in record["checks"] if not c["passed"]]
    assert failed == record["failures"]
    assert [(c["expectation"], c["passed"]) for c in record["checks"]] == [
        ("capture nope", False),
        ("status", False),
        ("json $.name", False),
        ("json $.count", True),
        ("max_ms", False),
    ]
    assert record["checks"][1]["expected"] == [201, 202] and record["checks"][1]["actual"] == 200


def test_body_contains_checks_show_where_the_body_holds_the_part(base_url: str) -> None:
    outcome, ctx = run(
        base_url, step("text", "{{base}}/text", expect={"body_contains": ["order=42", "nope"]})
    )
    assert outcome.status == ExecutionStatus.FAILED
    held, missed = ctx.only_record()["checks"]
    assert (held["expected"], held["passed"]) == ("order=42", True)
    assert held["actual"] == "hello world; order=42"
    assert (missed["expected"], missed["passed"]) == ("nope", False)
    assert missed["actual"] == '"hello world; order=42"'  # as failures show the body


def test_json_checks_on_a_body_that_is_not_json_are_one_check(base_url: str) -> None:
    _, ctx = run(
        base_url, step("text", "{{base}}/text", expect={"json": {"$.a": 1, "$.b": 2}, "status": 200})
    )
    assert checks_of(ctx.only_record()) == [
        ("status", "eq", 200, 200, True),
        ("json", "type", "a JSON body", '"hello world; order=42"', False),
    ]


def test_a_step_whose_request_failed_checked_nothing() -> None:
    _, ctx = run(f"http://127.0.0.1:{free_port()}", step("down", "{{base}}/x", expect={"status": 200}))
    record = ctx.only_record()
    assert "error" in record and "checks" not in record


def test_long_values_in_checks_are_shortened(base_url: str) -> None:
    _, ctx = run(base_url, step("big", "{{base}}/big", expect={"body_contains": "x" * 300}))
    [check] = ctx.only_record()["checks"]
    assert check["passed"] is True
    assert len(check["expected"]) == 200 and check["expected"].endswith("…")
    assert len(check["actual"]) == 200 and check["actual"].endswith("…")


def test_many_checks_are_capped_keeping_the_failed_ones_and_saying_how_many_were_left_out(
    base_url: str,
) -> None:
    spec = {f"$.n{i}": {"exists": False} for i in range(500)}
    spec["$.name"] = "gadget"  # the one failure, after 500 checks that held
    outcome, ctx = run(base_url, json_step(spec))
    assert outcome.status == ExecutionStatus.FAILED
    record = ctx.only_record()
    assert len(record["checks"]) == 100
    assert record["checks_left_out"] == 401
    assert [c["expectation"] for c in record["checks"] if not c["passed"]] == ["json $.name"]
    assert record["checks"][-1]["expectation"] == "json $.name"  # kept in its order
    assert len(json.dumps(record)) < 20_000


def test_secrets_in_checks_are_masked_in_expected_and_actual(base_url: str) -> None:
    outcome, ctx = run(
        base_url,
        step(
            "login",
            "{{base}}/login",
            method="POST",
            json={"user": "{{password}}"},
            capture={"token": {"jsonpath": "$.token"}, "id": {"jsonpath": "$.user"}},
            expect={
                "json": {"$.user": "{{password}}", "$.token": {"contains": "{{password}}"}},
                "body_contains": "{{password}}",
            },
        ),
        secrets=["password", "token"],
        variables={"password": "hunter2"},
    )
    assert outcome.status == ExecutionStatus.PASSED, ctx.records
    record = ctx.only_record()
    assert "hunter2" not in json.dumps(record)
    assert checks_of(record)[:4] == [
        ("capture token", "jsonpath", "$.token", "***", True),
        ("capture id", "jsonpath", "$.user", "***", True),
        ("json $.user", "eq", "***", "***", True),
        ("json $.token", "contains", "***", "***", True),  # the token is a secret too
    ]
    body_check = record["checks"][4]
    assert body_check["expected"] == "***" and "***" in body_check["actual"]


def test_a_secret_cut_by_the_shortening_of_a_long_value_is_not_shown_in_part(base_url: str) -> None:
    secret = "s3cr3t-" + "k" * 30
    padding = "p" * 190  # the secret straddles the 200 characters shown
    outcome, ctx = run(
        base_url,
        step(
            "echo",
            "{{base}}/echo",
            method="POST",
            body=padding + "{{key}}" + "q" * 300,
            expect={"json": {"$.body": {"matches": "^p"}}},
        ),
        secrets=["key"],
        variables={"key": secret},
    )
    assert outcome.status == ExecutionStatus.PASSED, ctx.records
    [check] = ctx.only_record()["checks"]
    assert check["actual"].startswith(padding + "***")
    assert "s3cr" not in json.dumps(ctx.only_record())


@pytest.mark.parametrize("expect", [{"body_contains": "zzz"}, {"json": {"$.a": 1}}], ids=["body", "json"])
def test_a_secret_the_shortened_body_would_cut_in_half_is_masked_in_failures_and_the_reason(
    base_url: str, expect: dict[str, Any]
) -> None:
    secret = "s3cr3t-" + "k" * 30
    outcome, ctx = run(
        base_url,
        step("raw", "{{base}}/raw", method="POST", body="p" * 180 + "{{key}}" + "q" * 300, expect=expect),
        secrets=["key"],
        variables={"key": secret},
    )
    assert outcome.status == ExecutionStatus.FAILED
    record = ctx.only_record()
    [failure] = record["failures"]
    assert failure["actual"].startswith('"' + "p" * 180 + "***")
    assert "s3cr" not in json.dumps(record) and "s3cr" not in (outcome.reason or "")
    assert record["checks"][0]["actual"] == failure["actual"]
