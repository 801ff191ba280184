"""The pieces under the runner: matching, `$.` paths, hours, resource keys, event snippets."""

import json
from datetime import UTC, datetime

import pytest

from testament.runners.connect.hours import HoursError, is_open
from testament.runners.connect.matching import message_matches, normalize, similarity
from testament.runners.connect.model import FlowEvent
from testament.runners.connect.overrides import resource_key
from testament.runners.connect.paths import ContactState, interpolate, resolve
from testament.runners.connect.testing import Observation, TestSession
from tests.fixtures import CONNECT_EXAMPLES

SNIPPETS = json.loads((CONNECT_EXAMPLES / "testing_language_doc_snippets.fixed.json").read_text())


def test_normalizing_strips_ssml_case_spacing_and_trailing_punctuation() -> None:
    assert normalize("<speak>Hello&amp;  <b>World</b>!!</speak>") == "hello& world"


def test_similarity_accepts_small_wording_changes_and_rejects_other_messages() -> None:
    expected = {"Text": "Press 1 to be connected to an agent"}

    assert message_matches(expected, "Similarity", {"Text": "Press one to be connected to an agent."})
    assert message_matches(expected, "Similarity", {"Text": "Welcome. Press 1 to be connected to an agent."})
    assert not message_matches(expected, "Similarity", {"Text": "Press 2 for billing"})
    assert similarity("a b c", "c b a") == 1.0


def test_inclusion_needs_the_expected_text_inside_the_actual_text() -> None:
    assert message_matches({"Text": "TEXT to"}, "Inclusion", {"Text": "generative text to speech"})
    assert not message_matches(
        {"Text": "speech synthesis"}, "Inclusion", {"Text": "generative text to speech"}
    )


def test_a_prompt_id_matches_by_id_or_arn() -> None:
    prompt = {"PromptId": "arn:aws:connect:r:1:instance/i/prompt/p-1"}

    assert message_matches({"PromptId": "p-1"}, "Similarity", prompt)
    assert not message_matches({"PromptId": "p-2"}, "Similarity", prompt)


def test_resource_keys_make_arns_and_ids_equal_without_confusing_lex_aliases() -> None:
    assert resource_key("arn:aws:connect:us-west-2:1:instance/abc/flow/BasicHours") == "BasicHours"
    assert resource_key("arn:aws:lambda:us-east-1:1:function:lookup:prod") == "lookup"
    assert resource_key("arn:aws:lex:us-east-1:1:bot-alias/BOT1/TSTALIASID") != resource_key(
        "arn:aws:lex:us-east-1:1:bot-alias/BOT2/TSTALIASID"
    )


def contact() -> ContactState:
    state = ContactState(
        "c-1", "VOICE", "arn:instance", attributes={"name": "Ada", "a.b": "dotted", "my key": "v"}
    )
    state.external = {"nested": {"x": 1}, "n": 2}
    return state


def test_interpolation_leaves_the_full_stop_after_a_path_and_empties_missing_values() -> None:
    assert (
        interpolate(contact().view(), "Hi $.Attributes.name. Your $.Attributes.none order")
        == "Hi Ada. Your  order"
    )


def test_paths_read_dotted_and_bracketed_keys_and_only_scalars() -> None:
    view = contact().view()

    assert resolve(view, "$.Attributes.a.b") == "dotted"
    assert resolve(view, "$.Attributes['my key']") == "v"
    assert resolve(view, "$.External.nested") is None
    assert resolve(view, "$.External.n") == "2"
    assert resolve(view, "not a path") is None


def test_results_are_hidden_from_a_view_with_no_completed_action() -> None:
    assert resolve(contact().view({}), "$.External.n") is None


OFFICE = {
    "TimeZone": "Europe/London",
    "Config": [
        {"Day": "MONDAY", "StartTime": {"Hours": 9, "Minutes": 0}, "EndTime": {"Hours": 17, "Minutes": 0}},
        {"Day": "FRIDAY", "StartTime": {"Hours": 22, "Minutes": 0}, "EndTime": {"Hours": 2, "Minutes": 0}},
    ],
}


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        (datetime(2026, 1, 5, 9, 0, tzinfo=UTC), True),  # Monday 09:00 GMT
        (datetime(2026, 7, 6, 8, 30, tzinfo=UTC), True),  # Monday 09:30 BST
        (datetime(2026, 7, 6, 16, 30, tzinfo=UTC), False),  # Monday 17:30 BST
        (datetime(2026, 1, 10, 1, 0, tzinfo=UTC), True),  # Saturday 01:00, inside Friday's night range
        (datetime(2026, 1, 10, 3, 0, tzinfo=UTC), False),
    ],
)
def test_hours_follow_their_time_zone_and_overnight_ranges(moment: datetime, open_: bool) -> None:
    assert is_open(OFFICE, moment) is open_


@pytest.mark.parametrize(
    "moment", [datetime(2026, 1, 5, 0, 0, tzinfo=UTC), datetime(2026, 1, 5, 23, 59, 30, tzinfo=UTC)]
)
def test_all_day_as_aws_writes_it_is_open_in_the_days_last_minute_too(moment: datetime) -> None:
    all_day = {
        "Day": "MONDAY",
        "StartTime": {"Hours": 0, "Minutes": 0},
        "EndTime": {"Hours": 0, "Minutes": 0},
    }
    assert is_open({"TimeZone": "UTC", "Config": [all_day]}, moment) is True


def test_hours_with_an_unknown_time_zone_cannot_be_evaluated() -> None:
    with pytest.raises(HoursError):
        is_open({"TimeZone": "Mars/Olympus", "Config": []}, datetime(2026, 1, 5, tzinfo=UTC))


def _observation_for(event: dict[str, object]) -> Observation:
    return Observation("o", event, [], "EXACTLY", 1, [], active=True)


@pytest.mark.parametrize(
    ("snippet", "event"),
    [
        ("event.TestInitiated", FlowEvent("TestInitiated")),
        ("event.MessageReceived", FlowEvent("MessageReceived", {"Text": "String."})),
        ("event.MessageReceived.example_form", FlowEvent("MessageReceived", {"Text": "string"})),
        (
            "event.FlowActionStarted.InvokeLambdaFunction",
            FlowEvent(
                "FlowActionStarted",
                {"ActionType": "InvokeLambdaFunction", "ActionParameters": {"LambdaFunctionARN": "string"}},
            ),
        ),
        (
            "event.FlowActionStarted.ConnectParticipantWithLexBot",
            FlowEvent(
                "FlowActionStarted",
                {
                    "ActionType": "ConnectParticipantWithLexBot",
                    "ActionParameters": {"LexV2Bot": {"AliasArn": "string"}},
                },
            ),
        ),
    ],
)
def test_documented_event_snippets_match_the_events_the_flow_emits(snippet: str, event: FlowEvent) -> None:
    from testament.runners.connect.clock import VirtualClock
    from testament.runners.connect.overrides import Overrides
    from testament.runners.connect.testing import TestCase

    session = TestSession(
        TestCase("2025-06-21", [_observation_for(SNIPPETS["snippets"][snippet])]),
        contact(),
        VirtualClock(datetime(2026, 1, 1, tzinfo=UTC)),
        Overrides(),
        lambda *_: 1,
    )

    assert session.dispatch(event)
