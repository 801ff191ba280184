"""The test cases' pages over HTTP: the list (last result, history strip, pass rate, flaky mark,
filters through the URL, cursor paging), one test case (highlighted YAML, versions and their diff,
history numbers from real executions, data sets, the run button by role), escaping, empty states."""

import html
import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from testament.domain.access import Role
from testament.services import test_cases
from tests.conftest import LiveServer, Workspace, new_workspace, wait_finished
from tests.e2e.web import signed_in

SCRIPT = "<script>alert(1)</script>"
ROLES = list(Role)


@dataclass(frozen=True)
class Arranged:
    workspace: Workspace
    case_id: str
    case_name: str
    runs: list[dict[str, Any]]  # oldest first


def _http_case(name: str, steps: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"kind": "http", "name": name, "publish": True, "content": {"steps": steps}, **extra}


@pytest.fixture(scope="module")
def arranged(live: LiveServer, target: Any) -> Arranged:
    """A test case with three versions, two data sets and four real runs: passed, failed, passed, failed."""
    workspace = new_workspace(live.ctx, live.url)
    name = f"checkout {SCRIPT}"
    with workspace.client() as api:
        step = {"name": "get <b>it</b>", "request": {"url": "{{base}}{{path}}"}, "expect": {"status": 200}}
        made = api.post(
            "/test-cases",
            json=_http_case(
                name,
                [step],
                description=f"buys {SCRIPT}",
                tags={"area": "shop", "owner": "<i>team</i>"},
                data_sets=[{"name": "good", "variables": {"path": "/ok"}}],
            ),
        )
        assert made.status_code == 201, made.text
        case_id = made.json()["id"]
        for version in (2, 3):
            changed = api.patch(
                f"/test-cases/{case_id}",
                json={
                    "content": {"steps": [{**step, "name": f"get <b>it</b> (v{version})"}]},
                    "publish": True,
                },
            )
            assert changed.status_code == 200, changed.text
        runs = []
        for path in ("/ok", "/missing", "/ok", "/missing"):
            started = api.post(
                "/executions",
                json={"test_case_id": case_id, "variables": {"base": target.url, "path": path}},
            )
            assert started.status_code == 201, started.text
            runs.append(wait_finished(api, started.json()["id"]))
        other = api.post(
            "/test-cases", json={"kind": "noop", "name": "quiet one", "content": {}, "tags": {"area": "ops"}}
        )
        assert other.status_code == 201
    assert [r["status"] for r in runs] == ["PASSED", "FAILED", "PASSED", "FAILED"]
    return Arranged(workspace, case_id, name, runs)


def _main(page: httpx.Response) -> str:
    found = re.search(r'<main id="main"[^>]*>(.*)</main>', page.text, re.S)
    assert found, page.text
    return found.group(1)


@pytest.mark.parametrize("role", ROLES)
def test_the_list_shows_each_test_case_with_its_last_result_history_pass_rate_and_flaky_mark(
    arranged: Arranged, role: Role
) -> None:
    with signed_in(arranged.workspace, role) as client:
        page = client.get("/test-cases")
    assert page.status_code == 200
    main = _main(page)
    escaped = html.escape(arranged.case_name, quote=False)
    assert escaped in main and SCRIPT not in page.text
    row = main[main.index(escaped) :].split("</tr>")[0]
    assert f'href="/runs/{arranged.runs[-1]["id"]}"' in row  # the last result links to its run
    assert "st-failed" in row and "Failed" in row
    assert "oldest first: Passed, Failed, Passed, Failed" in row
    assert ">50%<" in row
    assert "⚑ flaky" in row
    assert "http" in row and "area=shop" in row and "&lt;i&gt;team&lt;/i&gt;" in row
    quiet = main[main.index("quiet one") :].split("</tr>")[0]
    assert "never run" in quiet and "flaky" not in quiet and "(draft)" in quiet


def test_the_list_filters_by_name_tag_and_kind_through_the_url(arranged: Arranged) -> None:
    with signed_in(arranged.workspace, Role.VIEWER) as client:
        by_name = _main(client.get("/test-cases", params={"name": "checkout"}))
        by_tag = _main(client.get("/test-cases", params={"tag": "area=ops"}))
        by_key = _main(client.get("/test-cases", params={"tag": "owner"}))
        by_kind = _main(client.get("/test-cases", params={"kind": "noop"}))
        nothing = _main(client.get("/test-cases", params={"name": "no such thing"}))
        bad = client.get("/test-cases", params={"kind": "fax"})
    assert "checkout" in by_name and "quiet one" not in by_name
    assert 'value="checkout"' in by_name  # the filter keeps what was asked
    assert "quiet one" in by_tag and "checkout" not in by_tag
    assert "checkout" in by_key and "quiet one" not in by_key
    assert "quiet one" in by_kind and "checkout" not in by_kind
    assert '<option value="noop" selected>' in by_kind
    assert "No test case matches these filters." in nothing and 'href="/test-cases"' in nothing
    assert bad.status_code == 400 and "kind: must be one of" in bad.text


def test_the_list_pages_by_cursor_keeping_its_filters(live: LiveServer) -> None:
    workspace = new_workspace(live.ctx, live.url)
    admin = workspace.principal(live.ctx)
    for i in range(52):
        test_cases.create_test_case(live.ctx, admin, kind="noop", name=f"bulk {i:02d}", content={})
    with signed_in(workspace, Role.TESTER) as client:
        first = _main(client.get("/test-cases", params={"name": "bulk"}))
        more = re.search(r'href="(/test-cases\?[^"]+)" rel="next"', first)
        assert more, "no link to the next page"
        second = _main(client.get(html.unescape(more.group(1))))
    assert first.count('data-label="Name"') == 50 and "bulk 00" in first and "bulk 49" in first
    assert "name=bulk" in more.group(1) and "cursor=" in more.group(1)
    assert second.count('data-label="Name"') == 2 and "bulk 50" in second and "bulk 51" in second
    assert 'rel="next"' not in second and "First page" in second


def test_an_empty_workspace_teaches_how_to_add_test_cases(live: LiveServer) -> None:
    workspace = new_workspace(live.ctx, live.url)
    with signed_in(workspace, Role.VIEWER) as client:
        main = _main(client.get("/test-cases"))
    assert "No test cases yet." in main and "<code>testament apply -f cases.yaml</code>" in main


@pytest.mark.parametrize("role", ROLES)
def test_a_test_case_shows_its_content_history_and_data_sets_and_a_run_button_by_role(
    arranged: Arranged, role: Role
) -> None:
    with signed_in(arranged.workspace, role) as client:
        page = client.get(f"/test-cases/{arranged.case_id}")
    assert page.status_code == 200
    main = _main(page)
    assert f"<h1>{html.escape(arranged.case_name, quote=False)}</h1>" in main and SCRIPT not in page.text
    assert "buys &lt;script&gt;" in main
    run_button = f'href="/runs/new?test_case={arranged.case_id}"'
    assert (run_button in main) is (role is not Role.VIEWER)
    # content: YAML highlighted on the server, escaped
    content = main[main.index('id="tc-content"') :]
    assert '<span class="nt">steps</span>' in content and "&lt;b&gt;it&lt;/b&gt;" in content
    assert "<b>it</b>" not in page.text
    # data sets
    assert "good" in main and "{&#34;path&#34;: &#34;/ok&#34;}" in main
    # versions, newest first
    versions = main[main.index('id="tc-versions"') :]
    assert versions.index("<strong>3</strong>") < versions.index("<strong>1</strong>")


def test_the_history_numbers_come_from_the_real_executions(arranged: Arranged) -> None:
    with signed_in(arranged.workspace, Role.VIEWER) as client:
        main = _main(client.get(f"/test-cases/{arranged.case_id}"))
    history = main[main.index('id="tc-history"') : main.index('id="tc-content"')]
    assert "<strong>50%</strong>" in history and "of 4 finished" in history
    assert "<dt>Flips</dt><dd>3" in history and "⚑ flaky" in history
    assert "Last 4 runs, oldest first: Passed, Failed, Passed, Failed" in history
    assert history.count('<rect class="bar st-') == 4  # the duration trend: one bar per finished run
    assert '<rect class="bar st-failed"' in history and '<rect class="bar st-passed"' in history
    for run in arranged.runs:  # each run links to its page, newest first
        assert f'href="/runs/{run["id"]}"' in history
    ids = [run["id"] for run in arranged.runs]
    positions = [history.index(f'href="/runs/{i}"', history.index("<tbody>")) for i in ids]
    assert positions == sorted(positions, reverse=True)


def test_a_diff_between_two_versions_unified_and_side_by_side(arranged: Arranged) -> None:
    with signed_in(arranged.workspace, Role.VIEWER) as client:
        unified = _main(client.get(f"/test-cases/{arranged.case_id}", params={"diff": "2..3"}))
        same_by_form = _main(client.get(f"/test-cases/{arranged.case_id}", params={"a": "2", "b": "3"}))
        split = _main(client.get(f"/test-cases/{arranged.case_id}", params={"diff": "1..3", "view": "split"}))
        nothing = _main(client.get(f"/test-cases/{arranged.case_id}", params={"diff": "3..3"}))
    assert "Changes from version 2 to 3" in unified
    diff = unified[unified.index('class="diff-unified"') :].split("</pre>")[0]
    assert '<span class="d-del">-- name: get &lt;b&gt;it&lt;/b&gt; (v2)</span>' in diff  # escaped
    assert '<span class="d-add">+- name: get &lt;b&gt;it&lt;/b&gt; (v3)</span>' in diff
    assert '<span class="d-ctx">     url: &#39;{{base}}{{path}}&#39;</span>' in diff
    assert same_by_form.split('class="diff-unified"')[1] == unified.split('class="diff-unified"')[1]
    table = split[split.index('class="diff-split"') :].split("</table>")[0]
    assert "Version 1" in table and "Version 3" in table
    changed = table[table.index('<tr class="d-replace">') :].split("</tr>")[0]
    assert "- name: get &lt;b&gt;it&lt;/b&gt;<" in changed and "(v3)" in changed
    assert "same content" in nothing


def test_a_bad_diff_is_refused_naming_the_field(arranged: Arranged) -> None:
    with signed_in(arranged.workspace, Role.VIEWER) as client:
        garbled = client.get(f"/test-cases/{arranged.case_id}", params={"diff": "one..two"})
        too_far = client.get(f"/test-cases/{arranged.case_id}", params={"diff": "1..9"})
        bad_view = client.get(f"/test-cases/{arranged.case_id}", params={"diff": "1..2", "view": "sideways"})
        missing = client.get("/test-cases/no-such-case")
    assert garbled.status_code == 400 and "diff: must name two versions" in garbled.text
    assert too_far.status_code == 400 and "version 9 does not exist" in too_far.text
    assert bad_view.status_code == 400 and "view: must be unified or split" in bad_view.text
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]


def test_a_test_case_never_run_says_how_to_run_it(arranged: Arranged) -> None:
    with signed_in(arranged.workspace, Role.TESTER) as client:
        listed = _main(client.get("/test-cases", params={"name": "quiet"}))
        case_id = re.search(r'href="/test-cases/([^"?]+)"', listed)
        assert case_id
        main = _main(client.get(f"/test-cases/{case_id.group(1)}"))
    assert "Not run yet." in main and "<code>testament run quiet one --wait</code>" in main
    assert "None: it runs once per start." in main  # no data sets
