"""Connect executions are scored from their observations: `content.scoring` gives each
observation Identifier its points, section and dimensions (1 point and nothing else without
an entry), the run's latest record of each observation earns them or not, and the sealed
scoreboard is served by the native API; a scoring entry naming no observation is refused on
publish."""

import json
from typing import Any

import httpx

from tests.conftest import LiveServer, Workspace
from tests.e2e.test_api_assets import created
from tests.e2e.test_api_scores import run, tally
from tests.e2e.test_api_test_cases import assert_problem, unique
from tests.e2e.test_aws_connect_runs import contact_centre
from tests.e2e.test_aws_connect_test_cases import VOICE, connect_client, official_example

# AWS's worked example against the flow that routes to "Other Queue" (proven by
# test_aws_connect_runs): the hours check and the welcome prompt pass, the queue assertion
# of "Trigger Queue Announcement" fails (expected "Basic Queue").
SCORING = {
    # "TriggerHoursCheck" has no entry: 1 point, no section, no dimension
    "Welcome Message": {"points": 3, "section": "greeting", "dimensions": ["prompts"]},
    "Trigger Queue Announcement": {
        "points": 2,
        "section": "routing",
        "dimensions": ["routing/queue", "prompts"],
    },
}
EFFECTS = [
    {
        "name": "service",
        "formula": "round(overall * 100)",
        "sub_effects": [{"name": "queue", "formula": "dimension('routing/queue')"}],
    },
    {"name": "balance", "formula": "weighted(section('greeting'), 1, dimension('routing'), 3)"},
]


def voice_call(flow_id: str) -> dict[str, Any]:
    return {"Type": "VOICE_CALL", "VoiceCallEntryPointParameters": {"FlowId": flow_id}}


def connect_case(entry: dict[str, Any], **content: Any) -> dict[str, Any]:
    """A published connect test case of the worked example, entering by `entry`."""
    return {
        "kind": "connect",
        "name": unique("connect-scored"),
        "publish": True,
        "content": {"Content": official_example(), "EntryPoint": entry, **content},
    }


def test_a_connect_execution_is_scored_from_its_observations(
    api: httpx.Client, live: LiveServer, workspace: Workspace
) -> None:
    client = connect_client(live, workspace)
    try:
        flows = contact_centre(client, workspace.id)  # flows, queues and hours as workspace resources
    finally:
        client.close()
    body = connect_case(voice_call(flows["wrong-queue"]), scoring=SCORING, effects=EFFECTS)
    case = created(api.post("/test-cases", json=body))

    done = run(api, case["id"])
    score = done["score"]
    records = api.get(f"/executions/{done['id']}/records").json()["items"]

    assert (done["kind"], done["status"]) == ("connect", "FAILED"), records
    latest = {r["observation_id"]: r["status"] for r in records}
    assert (latest["TriggerHoursCheck"], latest["Welcome Message"], latest["Trigger Queue Announcement"]) == (
        "PASSED",
        "PASSED",
        "FAILED",
    )
    # TriggerHoursCheck 1 of 1 (default), Welcome Message 3 of 3, Trigger Queue Announcement
    # 0 of 2: achieved 1 + 3 + 0 = 4 of 1 + 3 + 2 = 6, ratio 4/6 = 0.666667, 3 questions
    assert score["scoreboard"] == tally(4, 6, 0.666667, 3)
    # greeting: Welcome Message 3 of 3; routing: the announcement 0 of 2 (TriggerHoursCheck has none)
    assert score["sections"] == [
        {"name": "greeting", "scoreboard": tally(3, 3, 1.0, 1)},
        {"name": "routing", "scoreboard": tally(0, 2, 0.0, 1)},
    ]
    # prompts: Welcome 3 of 3 + announcement 0 of 2 = 3 of 5 = 0.6; routing (and its
    # sub-dimension queue): the announcement alone, 0 of 2
    assert score["dimensions"] == [
        {"name": "prompts", "scoreboard": tally(3, 5, 0.6, 2), "subDimensions": []},
        {
            "name": "routing",
            "scoreboard": tally(0, 2, 0.0, 1),
            "subDimensions": [{"name": "queue", "scoreboard": tally(0, 2, 0.0, 1)}],
        },
    ]
    # service: round(0.666667 * 100) = 67; queue: dimension('routing/queue') = 0
    # balance: (section greeting 1.0 * 1 + dimension routing 0.0 * 3) / (1 + 3) = 0.25
    assert score["effects"] == [
        {"name": "service", "score": 67.0, "subEffects": [{"name": "queue", "score": 0.0}]},
        {"name": "balance", "score": 0.25, "subEffects": []},
    ]


def test_a_scoring_entry_naming_no_observation_is_refused_on_publish(api: httpx.Client) -> None:
    body = connect_case(VOICE, scoring={"Welcom Message": {"points": 2}})

    refused = api.post("/test-cases", json=body)
    saved = created(api.post("/test-cases", json={**body, "publish": False}))  # a draft is not checked
    publishing = api.post(f"/test-cases/{saved['id']}/publish")

    problem = assert_problem(refused, 422, "content.scoring.Welcom Message")
    assert "observation" in json.dumps(problem["errors"])
    assert_problem(publishing, 422, "content.scoring.Welcom Message")
    assert api.get(f"/test-cases/{saved['id']}").json()["status"] == "SAVED"


def test_a_misspelt_scoring_field_is_refused(api: httpx.Client) -> None:
    case = connect_case(voice_call("any-flow"), scoring={"Welcome Message": {"pionts": 5}})
    refused = api.post("/test-cases", json={**case, "publish": False})
    assert_problem(refused, 422, "content.scoring.Welcome Message.pionts")
