"""The demo workspace is planted once: restarts keep what a user changed or deleted."""

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from testament.bootstrap import build_context
from testament.cli import demo
from testament.domain.errors import NotFound
from testament.services import assignments, keys, tasks
from testament.services import resources as workspace_resources
from testament.services import test_cases as tc
from testament.services.context import AppContext
from testament.services.read_side import Selection
from tests.conftest import make_settings
from tests.integration.conftest import fresh_database_url

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[AppContext]:
    context = build_context(make_settings(tmp_path / "data", fresh_database_url(tmp_path)))
    yield context
    context.db.dispose()


class Start:
    """What one `testament serve --demo` start does, with its warnings kept."""

    def __init__(self, ctx: AppContext) -> None:
        self.warnings = io.StringIO()
        self.demo = demo.ensure_demo(ctx, Console(file=self.warnings, width=200))


def principal(ctx: AppContext, start: Start) -> Any:
    return keys.authenticate_token(ctx, start.demo["token"])


def test_a_restart_keeps_a_users_edit_of_a_demo_test_case_and_what_they_deleted(ctx: AppContext) -> None:
    first = Start(ctx)
    who = principal(ctx, first)
    edited = {"steps": [{"name": "mine", "request": {"url": "{{testament_url}}/healthz"}}]}
    tc.update_test_case(ctx, who, "health", content=edited, publish=True)
    tc.delete_test_case(ctx, who, "welcome")

    again = Start(ctx)

    assert again.demo["token"] == first.demo["token"]
    assert tc.get_test_case(ctx, who, "health").content["steps"][0]["name"] == "mine"
    assert tc.get_test_case(ctx, who, "health").test_case.version == 2
    with pytest.raises(NotFound):
        tc.get_test_case(ctx, who, "welcome")
    assert again.warnings.getvalue() == ""


def test_the_demo_holds_what_the_readme_examples_use(ctx: AppContext) -> None:
    who = principal(ctx, Start(ctx))

    welcome = tc.get_test_case(ctx, who, "welcome").test_case
    flow = workspace_resources.find_resource(ctx, who.workspace_id, "connect.flow", "Main IVR")
    [task], _ = tasks.query_tasks(ctx, who, Selection())
    [assignment] = assignments.list_assignments(ctx, who)

    assert (welcome.kind, welcome.status.value) == ("connect", "PUBLISHED")
    assert flow is not None and flow.body["Content"] == (EXAMPLES / "main-ivr.json").read_text()
    assert {r.name for r in workspace_resources.list_resources(ctx, who, "connect.hours").items} == {
        "BasicHours",
        "AlwaysOnHours",
    }
    assert [step.title for step in task.steps] == ["Review", "All"]
    assert assignment.assignee == "demo"


def test_a_demo_made_by_an_older_version_gets_only_the_new_parts(
    ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as older:  # an older Testament: only the samples, no list of parts
        older.setattr(demo, "PARTS", {"samples": demo.PARTS["samples"]})
        made = Start(ctx).demo
    path = Path(ctx.settings.data_dir) / "demo.json"
    path.write_text(json.dumps({k: v for k, v in made.items() if k != "planted"}))
    who = keys.authenticate_token(ctx, made["token"])
    tc.update_test_case(ctx, who, "health", description="mine")

    newer = Start(ctx)

    assert tc.get_test_case(ctx, who, "health").test_case.description == "mine"
    assert tc.get_test_case(ctx, who, "welcome").test_case.kind == "connect"
    assert newer.demo["planted"] == list(demo.PARTS)


def test_a_part_whose_name_is_taken_is_left_out_whole_with_a_warning_and_tried_at_the_next_start(
    ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as older:
        older.setattr(demo, "PARTS", {"samples": demo.PARTS["samples"]})
        made = Start(ctx).demo
    who = keys.authenticate_token(ctx, made["token"])
    workspace_resources.create_resource(ctx, who, kind="connect.flow", name="Main IVR", body={})

    start = Start(ctx)
    hours = workspace_resources.list_resources(ctx, who, "connect.hours").items
    next_start = Start(ctx)

    assert "the demo's contact centre was not added" in start.warnings.getvalue()
    assert "Main IVR" in start.warnings.getvalue()
    assert hours == []  # nothing of the part was kept
    assert "contact centre" not in start.demo["planted"]
    assert "task" in start.demo["planted"]
    assert "the demo's contact centre was not added" in next_start.warnings.getvalue()
