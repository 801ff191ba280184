"""The AWS worked examples and the third-party live shapes, run end to end."""

import json

from testament.domain.execution import ExecutionStatus, RecordStatus
from tests.fixtures import CONNECT_EXAMPLES
from tests.unit.connect.fakes import INSTANCE, FakeContext, action, bye, flow, run, say

EXAMPLES = CONNECT_EXAMPLES
ANNOUNCEMENT = " ".join(
    [
        "Thank you for calling.",
        "Your call is very important to us and will be answered in the order it was received.",
    ]
)
ALWAYS_OPEN = [
    {"Day": day, "StartTime": {"Hours": 0, "Minutes": 0}, "EndTime": {"Hours": 0, "Minutes": 0}}
    for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
]
OFFICE_HOURS = [
    {"Day": day, "StartTime": {"Hours": 9, "Minutes": 0}, "EndTime": {"Hours": 17, "Minutes": 0}}
    for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")
]


def example(name: str) -> str:
    return (EXAMPLES / name).read_text()


def agent_flow(queue: str = "basic-queue") -> str:
    """Press 1 for an agent: set the queue, check hours, announce, transfer."""
    return flow(
        action(
            "menu",
            "GetParticipantInput",
            {
                "Text": "Press 1 to be connected to an agent.",
                "InputTimeLimitSeconds": "5",
                "StoreInput": "False",
            },
            errors={"NoMatchingError": "bye", "NoMatchingCondition": "bye", "InputTimeLimitExceeded": "bye"},
            conditions=[("Equals", "1", "set-queue")],
        ),
        action(
            "set-queue",
            "UpdateContactTargetQueue",
            {"QueueId": f"{INSTANCE}/queue/{queue}"},
            "hours",
            {"NoMatchingError": "bye"},
        ),
        action(
            "hours",
            "CheckHoursOfOperation",
            {"HoursOfOperationId": f"{INSTANCE}/operating-hours/BasicHours"},
            errors={"NoMatchingError": "bye"},
            conditions=[("Equals", "True", "announce"), ("Equals", "False", "closed")],
        ),
        say("announce", ANNOUNCEMENT, "transfer"),
        action(
            "transfer",
            "TransferContactToQueue",
            {},
            "bye",
            {"QueueAtCapacity": "bye", "NoMatchingError": "bye"},
        ),
        say("closed", "We are closed. Please call again during business hours.", "bye"),
        bye(),
    )


def workspace(queue: str = "basic-queue") -> FakeContext:
    ctx = FakeContext()
    ctx.add_flow("main", agent_flow(queue))
    ctx.add("connect.queue", "basic-queue", {"Name": "Basic Queue", "HoursOfOperationId": "BasicHours"})
    ctx.add("connect.queue", "premium-queue", {"Name": "Premium Queue", "HoursOfOperationId": "BasicHours"})
    ctx.add(
        "connect.hours",
        "BasicHours",
        {"Name": "Basic Hours", "TimeZone": "Europe/London", "Config": OFFICE_HOURS},
    )
    ctx.add("connect.hours", "AlwaysOnHours", {"Name": "Always On", "TimeZone": "UTC", "Config": ALWAYS_OPEN})
    return ctx


def test_the_worked_example_passes_against_a_flow_that_does_what_it_expects() -> None:
    ctx = workspace()

    outcome = run(ctx, example("testcase_official_example.fixed.json"))

    assert outcome.status == ExecutionStatus.PASSED, ctx.records
    assert ctx.action("Trigger Queue Announcement", "assertqueue") == {
        "Identifier": "assertqueue",
        "Type": "Assert",
        "Status": "PASSED",
        "Namespace": "$.Queue.Name",
        "Operator": "Equals",
        "Expected": "Basic Queue",
        "Actual": "Basic Queue",
    }
    assert (
        ctx.observation("Welcome Message")["Event"]["Properties"]["Text"]
        == "Press 1 to be connected to an agent."
    )
    assert ctx.completion()["Status"] == "PASSED"
    assert ctx.completion()["ObservationSummary"] == {
        "TotalObservations": 3,
        "ObservationsPassed": 3,
        "ObservationsFailed": 0,
    }


def test_the_worked_example_reaches_the_announcement_only_because_its_hours_override_applies() -> None:
    ctx = workspace()

    run(ctx, example("testcase_official_example.fixed.json"))

    hours = next(e for e in ctx.flow_record()["Trace"] if e["Action"] == "hours")
    assert hours["Branch"] == "Condition Equals True"
    assert "substituted" in hours["Detail"]


def test_the_worked_example_fails_when_the_flow_sets_another_queue() -> None:
    ctx = workspace(queue="premium-queue")

    outcome = run(ctx, example("testcase_official_example.fixed.json"))

    assert outcome.status == ExecutionStatus.FAILED
    assert "Trigger Queue Announcement" in outcome.reason
    record = ctx.observation("Trigger Queue Announcement")
    assert record["Status"] == "FAILED"
    assert record["Actions"][0] | {"Status": "FAILED"} == record["Actions"][0]
    assert (record["Actions"][0]["Expected"], record["Actions"][0]["Actual"]) == (
        "Basic Queue",
        "Premium Queue",
    )
    assert [a["Identifier"] for a in record["Actions"]] == ["assertqueue"]  # a failed Assert stops the chain
    assert ctx.completion()["CompletionReason"]["FailureReasons"] == ["ASSERTION_FAILED"]


def test_the_worked_example_fails_when_the_customer_is_never_asked_to_press_1() -> None:
    ctx = workspace()
    ctx.resources["connect.flow"] = []
    ctx.add_flow("main", flow(say("hello", "Hello and goodbye.", "bye")))

    outcome = run(ctx, example("testcase_official_example.fixed.json"))

    assert outcome.status == ExecutionStatus.FAILED
    assert "Welcome Message" in outcome.reason
    failed = ctx.observation("Welcome Message")
    assert failed["MessagesNotMatched"][0]["Text"] == "Hello and goodbye."
    assert [s for o, s, _ in ctx.records if o == "Trigger Queue Announcement"] == [RecordStatus.SKIPPED]


def test_the_official_flow_example_runs_and_disconnects() -> None:
    ctx = FakeContext()
    ctx.add_flow("sample", example("flow_official_example.fixed.json"))
    content = json.dumps(
        {
            "Version": "2019-10-30",
            "Observations": [
                {
                    "Identifier": "thanks",
                    "Event": {
                        "Type": "MessageReceived",
                        "Properties": {"Text": "Thanks for calling the sample flow"},
                    },
                    "Actions": [],
                }
            ],
        }
    )

    outcome = run(ctx, content, flow_id="sample")

    assert outcome.status == ExecutionStatus.PASSED, ctx.records
    assert ctx.flow_record()["Status"] == "DISCONNECTED"
    assert [e["Type"] for e in ctx.flow_record()["Trace"]] == ["MessageParticipant", "DisconnectParticipant"]


def test_the_third_party_minimal_inclusion_example_passes_when_the_prompt_contains_the_text() -> None:
    ctx = FakeContext()
    ctx.add_flow("main", flow(say("hi", "This is Generative Text to Speech, from Amazon Polly.", "bye")))

    outcome = run(ctx, example("testcase_thirdparty_live_minimal_inclusion.json"))

    assert outcome.status == ExecutionStatus.PASSED, ctx.records
    assert ctx.observation("msg")["Event"]["Properties"]["Text"].startswith("This is Generative")


def test_the_third_party_minimal_inclusion_example_fails_when_the_prompt_lacks_the_text() -> None:
    ctx = FakeContext()
    ctx.add_flow("main", flow(say("hi", "This is neural speech.", "bye")))

    outcome = run(ctx, example("testcase_thirdparty_live_minimal_inclusion.json"))

    assert outcome.status == ExecutionStatus.FAILED
    assert "contact ended" in ctx.observation("msg")["Reason"]


def test_the_third_party_builder_shape_passes_with_no_usage_and_no_event_identifiers() -> None:
    ctx = workspace()

    outcome = run(ctx, example("testcase_thirdparty_builder_liveshape.json"))

    assert outcome.status == ExecutionStatus.PASSED, ctx.records
    assert ctx.completion()["CompletionReason"]["Message"] == "the test ended: EndTest in 'WelcomeMessage'"
