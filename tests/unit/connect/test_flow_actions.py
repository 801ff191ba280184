"""Each Flow-language action, observed through a test case."""

import json
from typing import Any

import pytest

from testament.domain.execution import ExecutionStatus
from tests.unit.connect.fakes import (
    FakeContext,
    action,
    case,
    check,
    dtmf,
    end_test,
    flow,
    flow_action,
    heard,
    log,
    observation,
    run,
    say,
    started,
    utterance,
)


def menu(*, store: bool = False, **parameters: object) -> dict[str, Any]:
    listed: dict[str, Any] = {
        "Text": "Choose an option.",
        "InputTimeLimitSeconds": "7",
        "StoreInput": "True" if store else "False",
    }
    listed.update(parameters)
    if store:
        return action("menu", "GetParticipantInput", listed, "after", {"NoMatchingError": "bye"})
    return action(
        "menu",
        "GetParticipantInput",
        listed,
        errors={
            "InputTimeLimitExceeded": "timeout",
            "NoMatchingCondition": "other",
            "NoMatchingError": "bye",
        },
        conditions=[("Equals", "1", "one"), ("Equals", "2", "two")],
    )


MENU_BRANCHES = (
    say("one", "You chose sales.", "bye"),
    say("two", "You chose support.", "bye"),
    say("other", "That is not an option.", "bye"),
    say("timeout", "We did not hear from you.", "bye"),
)


def answered(*actions: dict[str, object], expect: str) -> str:
    """A test case: hear the menu, do `actions`, then hear `expect` and end."""
    return case(
        observation("menu", heard("Choose an option"), *actions, then=["answer"]),
        observation("answer", heard(expect), end_test()),
    )


def one_flow(ctx: FakeContext, *actions: dict[str, object]) -> None:
    ctx.add_flow("main", flow(*actions))


@pytest.mark.parametrize(
    ("digits", "reply"),
    [
        ("1", "You chose sales."),
        ("2", "You chose support."),
        ("9", "That is not an option."),
        ("21#", "You chose support."),
    ],
)
def test_a_menu_branches_on_the_first_digit_the_customer_presses(digits: str, reply: str) -> None:
    ctx = FakeContext()
    one_flow(ctx, menu(), *MENU_BRANCHES)

    outcome = run(ctx, answered(dtmf("press", digits), expect=reply))

    assert outcome.status == ExecutionStatus.PASSED, ctx.records


def test_a_menu_with_no_answer_times_out_on_virtual_time() -> None:
    ctx = FakeContext()
    one_flow(ctx, menu(), *MENU_BRANCHES)

    outcome = run(ctx, answered(expect="We did not hear from you."))

    assert outcome.status == ExecutionStatus.PASSED, ctx.records
    assert ctx.completion()["VirtualDurationSeconds"] == 7


def test_stored_input_keeps_the_digits_before_the_terminator() -> None:
    ctx = FakeContext()
    one_flow(ctx, menu(store=True), say("after", "You entered $.StoredCustomerInput.", "bye"))

    outcome = run(ctx, answered(dtmf("press", "12345#9"), expect="You entered 12345."))

    assert outcome.status == ExecutionStatus.PASSED, ctx.records


def test_stored_input_with_no_answer_stores_timeout_and_goes_on() -> None:
    ctx = FakeContext()
    one_flow(ctx, menu(store=True), say("after", "You entered $.StoredCustomerInput.", "bye"))

    outcome = run(ctx, answered(expect="You entered Timeout."))

    assert outcome.status == ExecutionStatus.PASSED, ctx.records


def test_stored_input_with_phone_validation_formats_a_local_number_or_takes_the_invalid_branch() -> None:
    validation = {"PhoneNumberValidation": {"NumberFormat": "Local", "CountryCode": "GB"}}
    stored = action(
        "menu",
        "GetParticipantInput",
        {
            "Text": "Choose an option.",
            "StoreInput": "True",
            "InputValidation": validation,
        },
        "after",
        {"InvalidPhoneNumber": "invalid", "NoMatchingError": "bye"},
    )
    ctx = FakeContext()
    one_flow(
        ctx, stored, say("after", "Calling $.StoredCustomerInput.", "bye"), say("invalid", "Invalid.", "bye")
    )

    assert (
        run(ctx, answered(dtmf("press", "07700900123#"), expect="Calling +447700900123")).status == "PASSED"
    )
    assert run(ctx, answered(dtmf("press", "12#"), expect="Invalid.")).status == ExecutionStatus.PASSED


def test_a_chat_menu_takes_the_customers_text() -> None:
    ctx = FakeContext()
    one_flow(ctx, menu(), *MENU_BRANCHES)

    outcome = run(ctx, answered(utterance("type", "2"), expect="You chose support."), channel="CHAT")

    assert outcome.status == ExecutionStatus.PASSED, ctx.records


def test_compare_takes_the_first_true_condition_and_falls_back_to_no_matching_condition() -> None:
    compare = action(
        "compare",
        "Compare",
        {"ComparisonValue": "$.Attributes.tier"},
        errors={"NoMatchingCondition": "other"},
        conditions=[("Equals", "gold", "gold"), ("TextStartsWith", "sil", "silver")],
    )
    ctx = FakeContext()
    one_flow(
        ctx,
        compare,
        say("gold", "Gold line.", "bye"),
        say("silver", "Silver line.", "bye"),
        say("other", "Hello.", "bye"),
    )
    test = case(observation("hello", heard("Silver line"), end_test()))
    fallback = case(observation("hello", heard("Hello"), end_test()))

    assert run(ctx, test, initialization={"Attributes": {"tier": "silver"}}).status == ExecutionStatus.PASSED
    assert (
        run(ctx, fallback, initialization={"Attributes": {"tier": "bronze"}}).status == ExecutionStatus.PASSED
    )


def test_contact_attributes_are_written_with_interpolated_values_and_read_by_asserts() -> None:
    update = action(
        "set",
        "UpdateContactAttributes",
        {"Attributes": {"greeting": "Hi $.Attributes.name", "source": "ivr"}},
        "say",
    )
    ctx = FakeContext()
    one_flow(ctx, update, say("say", "$.Attributes.greeting, welcome back.", "bye"))
    test = case(
        observation(
            "hello",
            heard("Hi Ada, welcome back."),
            check("a1", "$.Attributes.greeting", "Equals", "Hi Ada", "a2"),
            check("a2", "$.Attributes.source", "Equals", "ivr"),
        )
    )

    outcome = run(ctx, test, initialization={"Attributes": {"name": "Ada"}})

    assert outcome.status == ExecutionStatus.PASSED, ctx.records


def test_flow_attributes_belong_to_the_flow_that_set_them() -> None:
    set_flow = action(
        "set", "UpdateFlowAttributes", {"FlowAttributes": {"step": {"Value": "one"}, "plain": "two"}}, "say"
    )
    ctx = FakeContext()
    ctx.add_flow(
        "main",
        flow(
            set_flow,
            say("say", "Step $.FlowAttributes.step $.FlowAttributes.plain.", "go"),
            action("go", "TransferToFlow", {"ContactFlowId": "next"}, errors={"NoMatchingError": "bye"}),
        ),
    )
    ctx.add_flow("next", flow(say("again", "Now step [$.FlowAttributes.step].", "bye")))
    test = case(
        observation("first", heard("Step one two."), then=["second"]),
        observation("second", heard("Now step [].")),
    )

    outcome = run(ctx, test)

    assert outcome.status == ExecutionStatus.PASSED, ctx.records


def test_transfer_to_a_missing_flow_takes_the_error_branch() -> None:
    ctx = FakeContext()
    one_flow(
        ctx,
        action("go", "TransferToFlow", {"ContactFlowId": "nowhere"}, errors={"NoMatchingError": "sorry"}),
        say("sorry", "Sorry.", "bye"),
    )

    outcome = run(ctx, case(observation("sorry", heard("Sorry."))))

    assert outcome.status == ExecutionStatus.PASSED
    assert "'nowhere' was not found" in ctx.flow_record()["Trace"][0]["Detail"]


def test_a_flow_module_runs_and_control_resumes_after_it() -> None:
    ctx = FakeContext()
    ctx.add_flow(
        "main",
        flow(
            action(
                "call",
                "InvokeFlowModule",
                {"FlowModuleId": "arn:aws:connect:r:1:instance/i/flow-module/mod"},
                "after",
                {"NoMatchingError": "bye"},
            ),
            say("after", "Back in main; module said $.Attributes.module.", "bye"),
        ),
    )
    ctx.add_flow(
        "mod",
        flow(
            say("in", "Inside the module.", "set"),
            action("set", "UpdateContactAttributes", {"Attributes": {"module": "hi"}}, "return"),
            action("return", "EndFlowModuleExecution"),
        ),
    )
    test = case(
        observation("in", heard("Inside the module."), then=["after"]),
        observation("after", heard("Back in main; module said hi.")),
    )

    outcome = run(ctx, test)

    assert outcome.status == ExecutionStatus.PASSED, ctx.records


def test_end_flow_execution_ends_the_contact_and_pending_observations_fail_at_once() -> None:
    ctx = FakeContext()
    one_flow(ctx, say("hi", "Hello.", "end"), action("end", "EndFlowExecution"))
    test = case(observation("hi", heard("Hello."), then=["never"]), observation("never", heard("Goodbye.")))

    outcome = run(ctx, test)

    assert outcome.status == ExecutionStatus.FAILED
    assert (
        ctx.observation("never")["Reason"] == "the contact ended before this event happened: EndFlowExecution"
    )
    assert ctx.completion()["VirtualDurationSeconds"] == 0


def test_a_queue_transfer_is_observed_with_the_working_queue() -> None:
    ctx = FakeContext()
    ctx.add("connect.queue", "q-sales", {"Name": "Sales"})
    one_flow(
        ctx,
        action("q", "UpdateContactTargetQueue", {"QueueId": "q-sales"}, "t", {"NoMatchingError": "bye"}),
        action("t", "TransferContactToQueue", {}, "bye", {"NoMatchingError": "bye"}),
    )
    test = case(
        observation(
            "transfer",
            flow_action(
                "FlowActionStarted",
                "TransferContactToQueue",
                {"QueueId": "arn:aws:connect:r:1:instance/i/queue/q-sales"},
            ),
            check("name", "$.Queue.Name", "Equals", "Sales", "end"),
            end_test(),
        )
    )

    outcome = run(ctx, test)

    assert outcome.status == ExecutionStatus.PASSED, ctx.records


def test_a_queue_that_is_not_in_the_workspace_takes_the_error_branch() -> None:
    ctx = FakeContext()
    one_flow(
        ctx,
        action("q", "UpdateContactTargetQueue", {"QueueId": "ghost"}, "bye", {"NoMatchingError": "err"}),
        say("err", "Queue error.", "bye"),
    )

    outcome = run(ctx, case(observation("err", heard("Queue error."))))

    assert outcome.status == ExecutionStatus.PASSED


def test_a_flow_error_with_no_error_branch_ends_the_flow_with_the_reason() -> None:
    ctx = FakeContext()
    one_flow(ctx, action("q", "UpdateContactTargetQueue", {"QueueId": "ghost"}, "bye"))

    outcome = run(ctx, case(observation("never", heard("Hello."))))

    assert outcome.status == ExecutionStatus.FAILED
    assert ctx.flow_record()["Status"] == "ERROR"
    assert "queue 'ghost' was not found" in ctx.flow_record()["Message"]


@pytest.mark.parametrize(
    ("start", "reply"), [("2026-07-06T14:00:00Z", "Open."), ("2026-07-06T12:30:00Z", "Closed.")]
)
def test_hours_are_checked_in_their_own_time_zone_at_the_virtual_time(start: str, reply: str) -> None:
    ctx = FakeContext({"connect.start_time": start})  # a Monday; New York is UTC-4 in July
    office = [
        {"Day": "MONDAY", "StartTime": {"Hours": 9, "Minutes": 0}, "EndTime": {"Hours": 17, "Minutes": 0}}
    ]
    ctx.add("connect.hours", "ny", {"Name": "New York", "TimeZone": "America/New_York", "Config": office})
    ctx.add("connect.queue", "q", {"Name": "Q", "HoursOfOperationId": "ny"})
    hours = action(
        "hours",
        "CheckHoursOfOperation",
        {},
        errors={"NoMatchingError": "bye"},
        conditions=[("Equals", "True", "open"), ("Equals", "False", "closed")],
    )
    one_flow(
        ctx,
        action("q", "UpdateContactTargetQueue", {"QueueId": "q"}, "hours"),
        hours,
        say("open", "Open.", "bye"),
        say("closed", "Closed.", "bye"),
    )
    test = case(
        observation("start", started(), then=["hours"]),
        observation(
            "hours",
            flow_action("FlowActionStarted", "CheckHoursOfOperation", {"HoursOfOperationId": "ny"}),
            then=["reply"],
        ),
        observation("reply", heard(reply)),
    )

    outcome = run(ctx, test)

    assert outcome.status == ExecutionStatus.PASSED, ctx.records


def test_lex_without_a_mock_takes_the_error_branch() -> None:
    ctx = FakeContext()
    bot = {"Text": "How can I help?", "LexV2Bot": {"AliasArn": "arn:aws:lex:us-east-1:1:bot-alias/BOT/ALIAS"}}
    one_flow(
        ctx,
        action(
            "lex",
            "ConnectParticipantWithLexBot",
            bot,
            errors={"NoMatchingError": "err"},
            conditions=[("Equals", "Billing", "billing")],
        ),
        say("err", "Bot error.", "bye"),
    )

    outcome = run(
        ctx,
        case(
            observation("help", heard("How can I help?"), then=["err"]),
            observation("err", heard("Bot error.")),
        ),
    )

    assert outcome.status == ExecutionStatus.PASSED, ctx.records
    assert "no MockResponse" in ctx.flow_record()["Trace"][0]["Detail"]


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6, 7, 8])
def test_distribute_by_percentage_draws_the_same_branch_for_the_same_seed(seed: int) -> None:
    def branch() -> str:
        ctx = FakeContext({"connect.seed": seed})
        split = action(
            "split",
            "DistributeByPercentage",
            {},
            errors={"NoMatchingCondition": "rest"},
            conditions=[("NumberLessThan", "50", "a")],
        )
        one_flow(ctx, split, say("a", "Branch A.", "bye"), say("rest", "Branch B.", "bye"))
        run(ctx, case(observation("any", heard("Branch"), usage={"Type": "ANY"})))
        return str(ctx.observation("any")["Event"]["Properties"]["Text"])

    assert branch() == branch()


def test_distribute_by_percentage_reaches_every_branch_across_seeds() -> None:
    seen = set()
    for seed in range(20):
        ctx = FakeContext({"connect.seed": seed})
        split = action(
            "split",
            "DistributeByPercentage",
            {},
            errors={"NoMatchingCondition": "rest"},
            conditions=[("NumberLessThan", "50", "a")],
        )
        one_flow(ctx, split, say("a", "Branch A.", "bye"), say("rest", "Branch B.", "bye"))
        run(ctx, case(observation("any", heard("Branch"), usage={"Type": "ANY"})))
        seen.add(ctx.observation("any")["Event"]["Properties"]["Text"])
    assert seen == {"Branch A.", "Branch B."}


def test_a_loop_continues_its_count_then_is_done() -> None:
    ctx = FakeContext()
    loop = action(
        "loop",
        "Loop",
        {"LoopCount": "3"},
        conditions=[("Equals", "ContinueLooping", "again"), ("Equals", "DoneLooping", "done")],
    )
    one_flow(ctx, loop, say("again", "Again.", "loop"), say("done", "Done.", "bye"))
    test = case(
        observation("again", heard("Again."), then=["done"], usage={"Type": "EXACTLY", "Times": 3}),
        observation("done", heard("Done.")),
    )

    outcome = run(ctx, test)

    assert outcome.status == ExecutionStatus.PASSED, ctx.records
    assert [r["Match"] for o, _, r in ctx.records if o == "again"] == [1, 2, 3]


def test_recording_logging_and_voice_actions_pass_through_and_show_in_the_trace() -> None:
    ctx = FakeContext()
    one_flow(
        ctx,
        action(
            "rec",
            "UpdateContactRecordingBehavior",
            {"RecordingBehavior": {"RecordedParticipants": ["Agent"]}},
            "log",
        ),
        action("log", "UpdateFlowLoggingBehavior", {"FlowLoggingBehavior": "Enabled"}, "voice"),
        action("voice", "UpdateContactTextToSpeechVoice", {"TextToSpeechVoice": "Amy"}, "data"),
        action("data", "UpdateContactData", {"LanguageCode": "en-GB"}, "hi"),
        say("hi", "Hello.", "bye"),
    )
    test = case(
        observation(
            "hi", heard("Hello."), log("voice", {"voice": "$.TextToSpeechVoiceId", "lang": "$.LanguageCode"})
        )
    )

    outcome = run(ctx, test)

    assert outcome.status == ExecutionStatus.PASSED, ctx.records
    assert ctx.action("hi", "voice")["Data"] == {"voice": "Amy", "lang": "en-GB"}
    assert [e["Type"] for e in ctx.flow_record()["Trace"]][:4] == [
        "UpdateContactRecordingBehavior",
        "UpdateFlowLoggingBehavior",
        "UpdateContactTextToSpeechVoice",
        "UpdateContactData",
    ]


def test_ssml_prompts_match_by_their_spoken_text() -> None:
    ctx = FakeContext()
    one_flow(
        ctx,
        action(
            "s",
            "MessageParticipant",
            {"SSML": "<speak>Hello <break time='1s'/> $.Attributes.n</speak>"},
            "bye",
        ),
    )

    outcome = run(ctx, case(observation("hi", heard("Hello Bo"))), initialization={"Attributes": {"n": "Bo"}})

    assert outcome.status == ExecutionStatus.PASSED, ctx.records


def test_the_customer_hanging_up_ends_the_flow() -> None:
    from tests.unit.connect.fakes import hang_up

    ctx = FakeContext()
    one_flow(ctx, menu(), *MENU_BRANCHES)
    test = case(
        observation("menu", heard("Choose an option"), hang_up("bye-bye"), then=["never"]),
        observation("never", heard("You chose sales.")),
    )

    outcome = run(ctx, test)

    assert outcome.status == ExecutionStatus.FAILED
    assert ctx.flow_record()["Status"] == "CUSTOMER"
    assert "customer disconnected" in ctx.observation("never")["Reason"]


@pytest.mark.parametrize(
    "broken_action",
    [
        {"Identifier": "a", "Type": "MessageParticipant", "Parameters": "hi", "Transitions": {}},
        {"Identifier": "a", "Type": "MessageParticipant", "Parameters": {"Text": "x"}, "Transitions": "x"},
        {
            "Identifier": "a",
            "Type": "MessageParticipant",
            "Parameters": {"Text": "x"},
            "Transitions": {"NextAction": ["b"]},
        },
        {
            "Identifier": "a",
            "Type": "Compare",
            "Parameters": {"ComparisonValue": "$.Channel"},
            "Transitions": {"Conditions": [{"Condition": "y"}]},
        },
    ],
)
def test_a_flow_of_an_odd_shape_fails_the_run_with_a_record_and_never_raises(
    broken_action: dict[str, Any],
) -> None:
    ctx = FakeContext()
    ctx.add_flow(
        "main", json.dumps({"Version": "2019-10-30", "StartAction": "a", "Actions": [broken_action]})
    )
    content = json.dumps(
        {
            "Version": "2019-10-30",
            "Observations": [
                {
                    "Identifier": "hear",
                    "Event": {"Type": "MessageReceived", "Properties": {"Text": "x"}},
                    "Actions": [],
                }
            ],
        }
    )

    outcome = run(ctx, content)

    assert outcome.status == ExecutionStatus.FAILED
    assert ctx.completion()["Status"] == "FAILED"
