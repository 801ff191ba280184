"""The web UI's plain parts: vendored files match their recorded hashes, templates escape what
they show, one status vocabulary covers every status of the domain, time and duration filters,
and the rules for redirects and roles."""

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from testament.domain.access import Permission, Principal, Role
from testament.domain.execution import ExecutionStatus, RecordStatus
from testament.domain.manual import RunStatus, StepOutcome
from testament.domain.tasks import InstanceStatus
from testament.web.render import STATUSES, duration, reltime, status_info, templates
from testament.web.session import ACTIONS, WebUser, permission_for, safe_next

ROOT = Path(__file__).resolve().parents[2]
VENDORED = [
    ROOT / "src" / "testament" / "web" / "static" / "vendor" / "VENDORED.json",
    ROOT / "tests" / "browser" / "vendor" / "VENDORED.json",
]
SCRIPT = "<script>alert(1)</script>"


@pytest.mark.parametrize("manifest", VENDORED, ids=lambda p: p.parent.relative_to(ROOT).as_posix())
def test_every_vendored_file_matches_its_recorded_sha256(manifest: Path) -> None:
    entries = json.loads(manifest.read_text(encoding="utf-8"))
    assert entries
    for entry in entries:
        data = (manifest.parent / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["name"]


def test_htmx_is_pinned_to_major_version_2() -> None:
    entries = {e["name"]: e for e in json.loads(VENDORED[0].read_text(encoding="utf-8"))}
    assert entries["htmx.org"]["version"].startswith("2.")
    assert entries["htmx-ext-sse"]["version"].startswith("2.")


def _macros(source: str, **context: object) -> str:
    return templates.env.from_string(
        '{% from "macros.html" import status, empty, history_strip, sparkline, pager %}' + source
    ).render(**context)


def test_a_test_case_name_is_escaped_in_templates_and_macros() -> None:
    plain = templates.env.from_string("<td>{{ name }}</td>").render(name=SCRIPT)
    in_macros = _macros("{{ empty(name, name) }}{{ status('PASSED', label=name) }}", name=SCRIPT)
    for html in (plain, in_macros):
        assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    "status", [*ExecutionStatus, *RecordStatus, *StepOutcome, *RunStatus, *InstanceStatus], ids=str
)
def test_every_status_of_the_domain_has_a_tone_a_glyph_and_a_word(status: object) -> None:
    tone, glyph, word = status_info(status)
    assert (tone, glyph, word) in STATUSES.values(), f"add {status!r} to web.render.STATUSES"


def test_a_status_is_shown_with_its_word_and_a_hidden_glyph_and_running_ones_spin() -> None:
    html = _macros("{{ status(s) }}", s=ExecutionStatus.FAILED)
    assert "st-failed" in html and "Failed" in html and 'aria-hidden="true"' in html
    assert "st-running" in _macros("{{ status('In Progress') }}")


def test_a_history_strip_lists_its_statuses_for_screen_readers_newest_last() -> None:
    html = _macros("{{ history_strip(['PASSED', 'FAILED', 'RUNNING']) }}")
    assert 'aria-label="Last runs, oldest first: Passed, Failed, Running"' in html
    assert html.index("st-passed") < html.index("st-failed") < html.index("st-running")


def test_a_sparkline_is_an_svg_of_its_values_and_a_dash_without_enough_of_them() -> None:
    svg = _macros("{{ sparkline([0.5, None, 1.0, 0.0], 'pass rate') }}")
    assert "<svg" in svg and 'aria-label="pass rate"' in svg and svg.count(",") == 3
    assert "<svg" not in _macros("{{ sparkline([1.0], 'pass rate') }}")


def test_an_empty_state_teaches_with_commands_as_code_and_a_pager_links_the_next_page() -> None:
    html = _macros("{{ empty('No runs yet', 'or `testament run NAME`', '/runs/new', 'Start a run') }}")
    assert "<code>testament run NAME</code>" in html and 'href="/runs/new"' in html
    assert 'rel="next"' in _macros("{{ pager('/runs?cursor=abc') }}")
    assert _macros("{{ pager(None) }}").strip() == ""


def test_relative_times_carry_the_exact_time() -> None:
    now = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)
    html = str(reltime(now - timedelta(minutes=3), now=now))
    assert html == '<time datetime="2026-01-02T11:57:00Z" title="2026-01-02T11:57:00Z">3 min ago</time>'
    assert str(reltime(now - timedelta(days=2), now=now)).endswith(">2 d ago</time>")
    assert str(reltime(None)) == "—"


@pytest.mark.parametrize(
    ("ms", "text"),
    [(None, "—"), (350, "350 ms"), (1234, "1.2 s"), (184_000, "3 min 4 s"), (7_500_000, "2 h 5 min")],
)
def test_durations_are_in_human_units(ms: float | None, text: str) -> None:
    assert duration(ms) == text


@pytest.mark.parametrize(
    ("wanted", "went"),
    [
        ("/runs?status=FAILED", "/runs?status=FAILED"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("http://evil.example/", "/"),
        ("evil", "/"),
        ("/x\r\nSet-Cookie: a=b", "/"),
        (None, "/"),
    ],
)
def test_only_same_site_paths_are_gone_back_to_after_sign_in(wanted: str | None, went: str) -> None:
    assert safe_next(wanted) == went


def test_ui_actions_are_the_domains_permissions() -> None:
    assert set(ACTIONS.values()) <= set(Permission)
    assert permission_for("stop") is Permission.EXECUTE
    assert permission_for("delete") is Permission.DELETE
    with pytest.raises(KeyError, match="unknown UI action"):
        permission_for("fly")


@pytest.mark.parametrize("role", list(Role))
def test_the_can_global_follows_the_roles_of_the_domain(role: Role) -> None:
    user = WebUser(ctx=None, principal=Principal("w", "k", "ann", role), workspace_name="w", csrf_token="t")  # type: ignore[arg-type]
    html = templates.env.from_string("{{ can('stop') }} {{ can('delete') }} {{ can('manage_keys') }}").render(
        user=user
    )
    expected = [user.principal.can(p) for p in (Permission.EXECUTE, Permission.DELETE, Permission.ADMINISTER)]
    assert html.split() == [str(x) for x in expected]
    assert templates.env.from_string("{{ can('read') }}").render() == "False"
