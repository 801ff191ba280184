"""Testing-language behaviour: asserts, overrides, Lambdas, time, stop, records."""

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from testament.domain.execution import ExecutionStatus, RecordStatus
from testament.runners.connect.overrides import Override, override_from
from tests.fixtures import CONNECT_EXAMPLES
from tests.unit.connect.fakes import (
    WORKSPACE_ID,
    FakeContext,
    action,
    case,
    check,
    completed,
    dtmf,
    end_test,
    flow,
    flow_action,
    heard,
    log,
    mock_error,
    mock_result,
    observation,
    override,
    run,
    say,
    started,
    substitute,
)

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:lookup"
OTHER_LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:other"
SNIPPETS = CONNECT_EXAMPLES / "testing_language_doc_snippets.fixed.json"


def greeting_flow(ctx: FakeContext) -> None:
    ctx.add_flow("main", flow(say("hi", "Hello $.Attributes.name.", "bye")))


# --- Assert -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "operand", "passes"),
    [
        ("Equals", "42", True),
        ("Equals", "42.0", False),
        ("TextStartsWith", "4", True),
        ("TextEndsWith", "2", True),
        ("TextContains", "x", False),
        ("NumberGreaterThan", "41.5", True),
        ("NumberGreaterThan", "42", False),
        ("NumberGreaterOrEqualTo", "42", True),
        ("NumberLessThan", "43", True),
        ("NumberLessThan", "abc", False),
        ("NumberLessOrEqualTo", "41", False),
        ("Exists", None, True),
    ],
)
def test_each_assert_operator_compares_the_namespace_value(
    operator: str, operand: str | None, passes: bool
) -> None:
    ctx = FakeContext()
    greeting_flow(ctx)
    test = case(observation("hi", heard("Hello Ada."), check("a", "$.Attributes.amount", operator, operand)))

    outcome = run(ctx, test, initialization={"Attributes": {"amount": "42", "name": "Ada"}})

    assert (outcome.status == ExecutionStatus.PASSED) is passes
    shown = ctx.action("hi", "a")
    assert (shown["Operator"], shown["Expected"], shown["Actual"]) == (operator, operand, "42")
    assert shown["Status"] == ("PASSED" if passes else "FAILED")


def test_exists_fails_for_a_missing_attribute_and_reports_nothing_found() -> None:
    ctx = FakeContext()
    greeting_flow(ctx)

    outcome = run(ctx, case(observation("hi", heard("Hello"), check("a", "$.Attributes.missing", "Exists"))))

    assert outcome.status == ExecutionStatus.FAILED
    assert ctx.action("hi", "a")["Actual"] is None


# --- InitializationData and LogData ------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        json.loads((CONNECT_EXAMPLES / "initialization_data_thirdparty_observed.json").read_text()),
        {"customerType": "VIP"},
    ],
    ids=["attributes-wrapper", "flat-map"],
)
def test_initialization_data_seeds_the_contact_attributes(data: dict[str, Any]) -> None:
    ctx = FakeContext()
    greeting_flow(ctx)
    test = case(observation("hi", heard("Hello"), check("vip", "$.Attributes.customerType", "Equals", "VIP")))

    assert run(ctx, test, initialization=data).status == ExecutionStatus.PASSED, ctx.records


def test_log_data_records_paths_and_mixed_text() -> None:
    ctx = FakeContext()
    greeting_flow(ctx)
    expressions = {
        "id": "$.ContactId",
        "line": "Customer $.CustomerEndpoint.Address is $.Attributes.name",
        "nothing": "$.Attributes.none",
    }
    test = case(observation("hi", heard("Hello Ada."), log("log", expressions, "end"), end_test()))

    run(ctx, test, initialization={"Attributes": {"name": "Ada"}})

    data = ctx.action("hi", "log")["Data"]
    assert len(data["id"]) == 36
    assert data["line"] == "Customer +14155550100 is Ada"
    assert data["nothing"] is None


def test_test_completed_observations_run_their_checks_after_end_test() -> None:
    ctx = FakeContext()
    greeting_flow(ctx)
    test = case(
        observation("hi", heard("Hello Ada."), end_test(), then=["final"]),
        observation("final", completed(), log("log", {"name": "$.Attributes.name"})),
    )

    outcome = run(ctx, test, initialization={"Attributes": {"name": "Ada"}})

    assert outcome.status == ExecutionStatus.PASSED, ctx.records
    assert ctx.action("final", "log")["Data"] == {"name": "Ada"}


def test_a_chain_without_next_actions_runs_in_array_order() -> None:
    ctx = FakeContext()
    greeting_flow(ctx)
    first, second = log("one", {"n": "1"}), log("two", {"n": "2"})
    del first["Transitions"], second["Transitions"]

    run(ctx, case(observation("hi", heard("Hello"), first, second)))

    assert [a["Identifier"] for a in ctx.observation("hi")["Actions"]] == ["one", "two"]


def test_an_any_observation_matches_every_time_and_still_passes() -> None:
    ctx = FakeContext()
    ctx.add_flow("main", flow(say("a", "Tick.", "b"), say("b", "Tick.", "c"), say("c", "Tock.", "bye")))

    outcome = run(
        ctx,
        case(observation("tick", heard("Tick"), usage={"Type": "ANY"}), observation("tock", heard("Tock"))),
    )

    assert outcome.status == ExecutionStatus.PASSED
    assert [r["Match"] for o, _, r in ctx.records if o == "tick"] == [1, 2]


def test_exactly_times_fails_when_the_event_happens_fewer_times() -> None:
    ctx = FakeContext()
    greeting_flow(ctx)

    outcome = run(ctx, case(observation("hi", heard("Hello"), usage={"Type": "EXACTLY", "Times": 2})))

    assert outcome.status == ExecutionStatus.FAILED
    assert [s for o, s, _ in ctx.records if o == "hi"] == [RecordStatus.PASSED, RecordStatus.FAILED]


def test_matching_criteria_inside_properties_are_honoured() -> None:
    ctx = FakeContext()
    greeting_flow(ctx)
    event = {
        "Type": "MessageReceived",
        "Properties": {"Text": "ada", "MatchingCriteria": {"Type": "Inclusion"}},
    }

    assert (
        run(ctx, case(observation("hi", event)), initialization={"Attributes": {"name": "Ada"}}).status
        == "PASSED"
    )


# --- Lambda -----------------------------------------------------------------------------------


class _Lambda(BaseHTTPRequestHandler):
    events: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Lambda.events.append(event)
        if self.path == "/broken":
            self._send(500, b"boom")
        elif self.path == "/list":
            self._send(200, b"[1, 2]")
        else:
            name = event["Details"]["Parameters"].get("who", "nobody")
            self._send(200, json.dumps({"greeting": f"hello {name}", "count": 3, "vip": True}).encode())

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def lambda_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Lambda)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def lambda_flow(ctx: FakeContext, arn: str = LAMBDA) -> None:
    invoke = action(
        "invoke",
        "InvokeLambdaFunction",
        {
            "LambdaFunctionARN": arn,
            "InvocationTimeLimitSeconds": "3",
            "LambdaInvocationAttributes": {"who": "$.Attributes.name"},
        },
        "said",
        {"NoMatchingError": "failed"},
    )
    ctx.add_flow(
        "main",
        flow(
            invoke,
            say("said", "It said $.External.greeting, $.External.count.", "bye"),
            say("failed", "The lookup failed.", "bye"),
        ),
    )


def lambda_case(*actions: dict[str, Any], expect: str) -> str:
    return case(
        observation("start", started(), *actions, then=["done"]),
        observation("done", heard(expect), end_test()),
    )


def test_an_unmocked_lambda_is_called_over_http_with_the_connect_event(lambda_url: str) -> None:
    ctx = FakeContext()
    ctx.add("connect.lambda", "lookup", {"FunctionArn": LAMBDA, "Url": f"{lambda_url}/ok"})
    lambda_flow(ctx)
    _Lambda.events.clear()

    outcome = run(
        ctx, lambda_case(expect="It said hello Ada, 3."), initialization={"Attributes": {"name": "Ada"}}
    )

    assert outcome.status == ExecutionStatus.PASSED, ctx.records
    event = _Lambda.events[0]
    assert event["Name"] == "ContactFlowEvent"
    assert event["Details"]["Parameters"] == {"who": "Ada"}
    assert event["Details"]["ContactData"]["Attributes"] == {"name": "Ada"}
    assert event["Details"]["ContactData"]["CustomerEndpoint"]["Address"] == "+14155550100"


@pytest.mark.parametrize(
    ("variables", "region"), [({}, "us-east-1"), ({"connect.region": "eu-west-2"}, "eu-west-2")]
)
def test_the_lambda_event_names_the_workspaces_instance_arn_in_the_runs_region(
    lambda_url: str, variables: dict[str, Any], region: str
) -> None:
    ctx = FakeContext(variables)
    ctx.add("connect.lambda", "lookup", {"FunctionArn": LAMBDA, "Url": f"{lambda_url}/ok"})
    lambda_flow(ctx)
    _Lambda.events.clear()

    run(ctx, lambda_case(expect="It said hello Ada, 3."), initialization={"Attributes": {"name": "Ada"}})

    arn = _Lambda.events[0]["Details"]["ContactData"]["InstanceARN"]
    assert arn == f"arn:aws:connect:{region}:000000000000:instance/{WORKSPACE_ID}"


@pytest.mark.parametrize("path", ["/broken", "/list"])
def test_a_lambda_that_answers_badly_takes_the_error_branch(lambda_url: str, path: str) -> None:
    ctx = FakeContext()
    ctx.add("connect.lambda", "lookup", {"FunctionArn": LAMBDA, "Url": f"{lambda_url}{path}"})
    lambda_flow(ctx)

    assert run(ctx, lambda_case(expect="The lookup failed.")).status == ExecutionStatus.PASSED, ctx.records
    assert path in ctx.flow_record()["Trace"][0]["Detail"]


def test_a_lambda_with_no_mapping_takes_the_error_branch_and_says_why() -> None:
    ctx = FakeContext()
    lambda_flow(ctx)

    outcome = run(ctx, lambda_case(expect="The lookup failed."))

    assert outcome.status == ExecutionStatus.PASSED, ctx.records
    assert "no connect.lambda mapping" in ctx.flow_record()["Trace"][0]["Detail"]


def test_a_lambda_that_cannot_be_reached_takes_the_error_branch() -> None:
    ctx = FakeContext()
    ctx.add("connect.lambda", "lookup", {"FunctionArn": LAMBDA, "Url": "http://127.0.0.1:9/nothing"})
    lambda_flow(ctx)

    assert run(ctx, lambda_case(expect="The lookup failed.")).status == ExecutionStatus.PASSED


# --- overrides: every target and strategy --------------------------------------------------------


def test_a_mocked_lambda_result_is_not_called_and_becomes_external_as_strings() -> None:
    ctx = FakeContext()
    lambda_flow(ctx)
    mock = override(
        "mock",
        "InvokeLambdaFunction",
        {"LambdaFunctionARN": "lookup"},
        mock_result(DelaySeconds=2, LoadedData=json.dumps({"greeting": "mocked", "count": 7})),
    )

    outcome = run(ctx, lambda_case(mock, expect="It said mocked, 7."))

    assert outcome.status == ExecutionStatus.PASSED, ctx.records
    assert ctx.completion()["VirtualDurationSeconds"] == 2


@pytest.mark.parametrize("error", ["TimeLimitExceeded", "NoMatchingError"])
def test_a_mocked_lambda_error_takes_the_error_branch(error: str) -> None:
    ctx = FakeContext()
    lambda_flow(ctx)
    mock = override("mock", "InvokeLambdaFunction", {"LambdaFunctionARN": LAMBDA}, mock_error(error))

    assert run(ctx, lambda_case(mock, expect="The lookup failed.")).status == ExecutionStatus.PASSED


def test_a_substituted_lambda_calls_the_substitute(lambda_url: str) -> None:
    ctx = FakeContext()
    ctx.add("connect.lambda", "other", {"FunctionArn": OTHER_LAMBDA, "Url": f"{lambda_url}/ok"})
    lambda_flow(ctx)
    swap = override("swap", "InvokeLambdaFunction", {"LambdaFunctionARN": LAMBDA}, substitute(OTHER_LAMBDA))

    outcome = run(ctx, lambda_case(swap, expect="It said hello nobody, 3."))

    assert outcome.status == ExecutionStatus.PASSED, ctx.records


def test_lambda_results_are_visible_to_asserts_only_after_a_flow_action_completed_observation() -> None:
    ctx = FakeContext()
    lambda_flow(ctx)
    mock = override(
        "mock",
        "InvokeLambdaFunction",
        {"LambdaFunctionARN": LAMBDA},
        mock_result(LoadedData=json.dumps({"greeting": "mocked", "count": 1})),
    )
    arn = {"LambdaFunctionARN": LAMBDA}
    test = case(
        observation("start", started(), mock, then=["before", "after"]),
        observation(
            "before",
            flow_action("FlowActionStarted", "InvokeLambdaFunction", arn),
            log("early", {"greeting": "$.External.greeting"}),
        ),
        observation(
            "after",
            flow_action("FlowActionCompleted", "InvokeLambdaFunction", arn),
            log("late", {"greeting": "$.External.greeting"}),
        ),
    )

    run(ctx, test)

    assert ctx.action("before", "early")["Data"] == {"greeting": None}
    assert ctx.action("after", "late")["Data"] == {"greeting": "mocked"}


def test_a_lambda_result_asserted_after_completion_passes() -> None:
    ctx = FakeContext()
    lambda_flow(ctx)
    mock = override(
        "mock",
        "InvokeLambdaFunction",
        {"LambdaFunctionARN": LAMBDA},
        mock_result(LoadedData=json.dumps({"greeting": "mocked"})),
    )
    test = case(
        observation("start", started(), mock, then=["after"]),
        observation(
            "after",
            flow_action("FlowActionCompleted", "InvokeLambdaFunction", {"LambdaFunctionARN": "lookup"}),
            check("late", "$.External.greeting", "Equals", "mocked"),
        ),
    )

    assert run(ctx, test).status == ExecutionStatus.PASSED, ctx.records


def hours_flow(ctx: FakeContext) -> None:
    hours = action(
        "hours",
        "CheckHoursOfOperation",
        {"HoursOfOperationId": "BasicHours"},
        errors={"NoMatchingError": "err"},
        conditions=[("Equals", "True", "open"), ("Equals", "False", "closed")],
    )
    ctx.add_flow(
        "main",
        flow(
            hours, say("open", "Open.", "bye"), say("closed", "Closed.", "bye"), say("err", "Error.", "bye")
        ),
    )
    office = [
        {"Day": "MONDAY", "StartTime": {"Hours": 9, "Minutes": 0}, "EndTime": {"Hours": 17, "Minutes": 0}}
    ]
    ctx.add("connect.hours", "BasicHours", {"Name": "Basic", "TimeZone": "Europe/London", "Config": office})


@pytest.mark.parametrize(
    ("strategy", "reply"),
    [
        (mock_result(Value="InHours"), "Open."),
        (mock_result(Value="OutOfHours"), "Closed."),
        (mock_error("NoMatchingError"), "Error."),
        (substitute("arn:aws:connect:r:1:instance/i/operating-hours/Sundays"), "Open."),
        (None, "Closed."),
    ],
    ids=["in-hours", "out-of-hours", "error", "substitute", "no-override"],
)
def test_hours_overrides_decide_the_branch(strategy: dict[str, Any] | None, reply: str) -> None:
    ctx = FakeContext()
    hours_flow(ctx)
    sunday = [
        {"Day": "SUNDAY", "StartTime": {"Hours": 0, "Minutes": 0}, "EndTime": {"Hours": 6, "Minutes": 0}}
    ]
    ctx.add("connect.hours", "Sundays", {"Name": "Sundays", "TimeZone": "Europe/London", "Config": sunday})
    overrides = (
        [override("o", "CheckHoursOfOperation", {"HoursOfOperationId": "BasicHours"}, strategy)]
        if strategy
        else []
    )

    outcome = run(ctx, lambda_case(*overrides, expect=reply))

    assert outcome.status == ExecutionStatus.PASSED, ctx.records


def queue_flow(ctx: FakeContext) -> None:
    ctx.add("connect.queue", "sales", {"Name": "Sales"})
    ctx.add("connect.queue", "test-queue", {"Name": "Test Queue"})
    ctx.add_flow(
        "main",
        flow(
            action("q", "UpdateContactTargetQueue", {"QueueId": "sales"}, "t"),
            action(
                "t",
                "TransferContactToQueue",
                {},
                "bye",
                {"QueueAtCapacity": "full", "NoMatchingError": "err"},
            ),
            say("full", "The queue is full.", "bye"),
            say("err", "Queue error.", "bye"),
        ),
    )


@pytest.mark.parametrize(
    ("error", "reply"), [("QueueAtCapacity", "The queue is full."), ("NoMatchingError", "Queue error.")]
)
def test_a_mocked_queue_error_takes_its_branch(error: str, reply: str) -> None:
    ctx = FakeContext()
    queue_flow(ctx)

    outcome = run(
        ctx,
        lambda_case(
            override("o", "TransferContactToQueue", {"QueueId": "sales"}, mock_error(error)), expect=reply
        ),
    )

    assert outcome.status == ExecutionStatus.PASSED, ctx.records


def test_a_substituted_queue_receives_the_contact() -> None:
    ctx = FakeContext()
    queue_flow(ctx)
    swap = override(
        "o",
        "TransferContactToQueue",
        {"QueueId": "sales"},
        substitute("arn:aws:connect:r:1:instance/i/queue/test-queue"),
    )
    test = case(
        observation("start", started(), swap, then=["done"]),
        observation("done", completed(), check("q", "$.Queue.Name", "Equals", "Test Queue")),
    )

    outcome = run(ctx, test)

    assert outcome.status == ExecutionStatus.PASSED, ctx.records
    assert ctx.flow_record()["Status"] == "QUEUED"


def lex_flow(ctx: FakeContext) -> None:
    bot = {
        "Text": "How can I help?",
        "LexV2Bot": {"AliasArn": "arn:aws:lex:us-east-1:1:bot-alias/BOT/TSTALIASID"},
    }
    lex = action(
        "lex",
        "ConnectParticipantWithLexBot",
        bot,
        errors={"NoMatchingError": "err", "NoMatchingCondition": "other"},
        conditions=[("Equals", "Billing", "billing")],
    )
    ctx.add_flow(
        "main",
        flow(
            lex,
            say("billing", "Billing, about $.Lex.Slots.topic.", "bye"),
            say("other", "Other.", "bye"),
            say("err", "Bot error.", "bye"),
        ),
    )


@pytest.mark.parametrize(
    ("strategy", "reply"),
    [
        (
            mock_result(LoadedData=json.dumps({"IntentName": "Billing", "Slots": {"topic": "refunds"}})),
            "Billing, about refunds.",
        ),
        (mock_result(LoadedData=json.dumps({"IntentName": "Weather"})), "Other."),
        (mock_error("TimeLimitExceeded"), "Bot error."),
        (substitute("arn:aws:lex:us-east-1:1:bot-alias/BOT2/ALIAS"), "Bot error."),
    ],
    ids=["intent", "unknown-intent", "error", "substitute"],
)
def test_lex_overrides_decide_the_branch(strategy: dict[str, Any], reply: str) -> None:
    ctx = FakeContext()
    lex_flow(ctx)
    mock = override(
        "o",
        "ConnectParticipantWithLexBot",
        {"LexV2Bot": {"AliasArn": "arn:aws:lex:us-east-1:1:bot-alias/BOT/TSTALIASID"}},
        strategy,
    )
    test = case(
        observation("start", started(), mock, then=["help"]),
        observation("help", heard("How can I help?"), then=["done"]),
        observation("done", heard(reply), end_test()),
    )

    assert run(ctx, test).status == ExecutionStatus.PASSED, ctx.records


def test_a_dequeue_override_registers_even_though_no_flow_action_uses_it() -> None:
    ctx = FakeContext()
    greeting_flow(ctx)
    dequeue = override("o", "DequeueAndTransferToQueue", {"QueueId": "sales"}, mock_error("QueueAtCapacity"))

    assert run(ctx, case(observation("start", started(), dequeue))).status == ExecutionStatus.PASSED
    assert ctx.action("start", "o")["Override"]["ActionType"] == "DequeueAndTransferToQueue"


def test_every_documented_override_snippet_is_understood() -> None:
    snippets = json.loads(SNIPPETS.read_text())["snippets"]
    overrides = {k: v for k, v in snippets.items() if k.startswith("action.OverrideSystemBehavior")}

    understood = [override_from(v["Parameters"]["Behavior"], k) for k, v in overrides.items()]

    assert len(understood) == 13
    assert all(isinstance(o, Override) for o in understood), understood


# --- time, stop, failures -------------------------------------------------------------------


def test_an_observation_that_never_matches_times_out_after_300_virtual_seconds_in_well_under_a_second() -> (
    None
):
    ctx = FakeContext()
    queue_flow(ctx)
    test = case(
        observation("start", started(), then=["agent"]),
        observation("agent", heard("Hello, this is your agent")),
    )

    began = time.perf_counter()
    outcome = run(ctx, test)
    took = time.perf_counter() - began

    assert outcome.status == ExecutionStatus.FAILED
    assert took < 1.0
    assert ctx.observation("agent")["Reason"].startswith("timed out after 300 s (virtual)")
    assert ctx.observation("agent")["VirtualTime"] == "2026-07-05T03:05:00.000Z"
    assert ctx.completion()["CompletionReason"]["FailureReasons"] == ["OBSERVATION_TIMEOUT"]


def test_a_menu_repeated_forever_times_out_at_the_virtual_limit() -> None:
    ctx = FakeContext()
    menu = action(
        "menu",
        "GetParticipantInput",
        {"Text": "Press 1.", "InputTimeLimitSeconds": "10"},
        errors={"InputTimeLimitExceeded": "menu", "NoMatchingError": "menu", "NoMatchingCondition": "menu"},
        conditions=[("Equals", "1", "bye")],
    )
    ctx.add_flow("main", flow(menu))

    outcome = run(ctx, case(observation("never", heard("Goodbye"))))

    assert outcome.status == ExecutionStatus.FAILED
    assert ctx.completion()["VirtualDurationSeconds"] == 300


def test_a_stop_request_ends_the_run_stopped() -> None:
    ctx = FakeContext()
    queue_flow(ctx)
    ctx.after_record = lambda c: setattr(c, "cancelled", "stopped by request")
    test = case(observation("start", started(), then=["agent"]), observation("agent", heard("Hello")))

    outcome = run(ctx, test)

    assert outcome.status == ExecutionStatus.STOPPED
    assert ctx.completion()["Status"] == "STOPPED"
    assert [o for o, _, _ in ctx.records] == ["start", "COMPLETION"]


def test_a_run_cancelled_for_another_reason_fails() -> None:
    ctx = FakeContext()
    greeting_flow(ctx)
    ctx.cancelled = "timed out"

    outcome = run(ctx, case(observation("hi", heard("Hello"))))

    assert (outcome.status, outcome.reason) == (ExecutionStatus.FAILED, "timed out")


def test_an_unsupported_flow_action_fails_the_run_with_a_record_naming_it() -> None:
    ctx = FakeContext()
    ctx.add_flow("main", flow(say("hi", "Hello.", "odd"), action("odd", "CreateTask", {}, "bye")))

    outcome = run(ctx, case(observation("hi", heard("Hello"))))

    assert outcome.status == ExecutionStatus.FAILED
    assert "CreateTask" in outcome.reason
    flow_record = next((s, r) for o, s, r in ctx.records if o == "flow")
    assert flow_record[0] == RecordStatus.FAILED
    assert "unsupported flow action type 'CreateTask'" in flow_record[1]["Message"]
    assert ctx.completion()["CompletionReason"]["FailureReasons"] == ["UNSUPPORTED_FLOW_ACTION"]


def test_a_missing_entry_flow_fails_with_a_clear_record() -> None:
    ctx = FakeContext()

    outcome = run(
        ctx,
        case(observation("hi", heard("Hello"))),
        flow_id="arn:aws:connect:r:1:instance/i/contact-flow/gone",
    )

    assert outcome.status == ExecutionStatus.FAILED
    assert (
        ctx.records[0][2]["Message"]
        == "flow arn:aws:connect:r:1:instance/i/contact-flow/gone was not found in this workspace"
    )
    assert ctx.completion()["CompletionReason"]["FailureReasons"] == ["INITIALIZATION_FAILURE"]


@pytest.mark.parametrize("version", ["2025-06-21", "2019-10-30"])
def test_both_testing_language_versions_run(version: str) -> None:
    ctx = FakeContext()
    greeting_flow(ctx)

    assert run(ctx, case(observation("hi", heard("Hello")), version=version)).status == ExecutionStatus.PASSED


def test_an_unknown_testing_language_version_is_an_initialization_failure() -> None:
    ctx = FakeContext()
    greeting_flow(ctx)

    assert (
        run(ctx, case(observation("hi", heard("Hello")), version="2030-01-01")).status
        == ExecutionStatus.FAILED
    )
    assert ctx.completion()["CompletionReason"]["FailureReasons"] == ["INITIALIZATION_FAILURE"]


def test_each_observation_is_recorded_as_soon_as_it_resolves() -> None:
    ctx = FakeContext()
    seen_before_lambda: list[str] = []
    ctx.add_flow(
        "main",
        flow(
            say("hi", "Hello.", "menu"),
            action(
                "menu",
                "GetParticipantInput",
                {"Text": "Press 1."},
                "bye",
                {"NoMatchingError": "bye"},
                [("Equals", "1", "bye")],
            ),
        ),
    )
    ctx.after_record = lambda c: seen_before_lambda.append(c.records[-1][0])
    test = case(
        observation("hi", heard("Hello"), then=["menu"]),
        observation("menu", heard("Press 1"), dtmf("d", "1")),
    )

    run(ctx, test)

    assert seen_before_lambda == ["hi", "menu", "flow", "COMPLETION"]
