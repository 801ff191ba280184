"""The runs pages over HTTP: the list (both tabs, every filter, cursor paging, bad filters), the
start form (roles, CSRF, bad input naming the field, preselection, redirects), a run's page for
http (passed and failed: expected and actual side by side, escaped, secrets masked; every check
of a step, passed ones too), connect (its observations, events, actions and score) and manual
executions, the record window with "load earlier", the live stream (records after `after` or
Last-Event-ID, no duplicates, the banner, its end), artifacts (attachment and nosniff; only raster
images inline), stop and rerun (refused to viewers and without the CSRF token)."""

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from testament.domain.access import Role
from testament.services import blobs
from testament.services.executions.artifacts import artifact_file_name, store_artifact
from testament.services.executions.read import Record, load_execution
from testament.web.pages import run_view
from testament.web.render import templates
from tests.conftest import LiveServer, Workspace, new_workspace, wait_finished, wait_for
from tests.e2e.test_aws_connect_runs import contact_centre
from tests.e2e.test_aws_connect_test_cases import connect_client
from tests.e2e.test_connect_scores import EFFECTS, SCORING, connect_case, voice_call
from tests.e2e.web import csrf_of, signed_in

SCRIPT = "<script>alert(1)</script>"
SECRET = "hush-4711-secret"
ROLES = list(Role)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@dataclass(frozen=True)
class Arranged:
    workspace: Workspace
    env_id: str
    passed_case: dict[str, Any]
    failed_case: dict[str, Any]
    passed: dict[str, Any]
    failed: dict[str, Any]
    plan: dict[str, Any]
    plan_run_id: str


def _created(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _run(api: httpx.Client, case_id: str, **extra: Any) -> dict[str, Any]:
    started = _created(api.post("/executions", json={"test_case_id": case_id, **extra}))
    return wait_finished(api, started["id"], 60)


@pytest.fixture(scope="module")
def arranged(live: LiveServer, target: Any) -> Arranged:
    """Two http test cases (one passes, with a secret in a header the target echoes; one fails
    with markup in its expected value), a plan of the passing one, one run of each."""
    workspace = new_workspace(live.ctx, live.url)
    with workspace.client() as api:
        env = _created(
            api.post(
                "/environments",
                json={"name": "staging", "variables": {"base": target.url}, "secrets": {"token": SECRET}},
            )
        )
        passed_case = _created(
            api.post(
                "/test-cases",
                json={
                    "kind": "http",
                    "name": f"echo {SCRIPT}",
                    "publish": True,
                    "tags": {"area": "smoke"},
                    "content": {
                        "steps": [
                            {
                                "name": "echo it",
                                "request": {
                                    "method": "POST",
                                    "url": "{{base}}/echo",
                                    "headers": {"X-Token": "{{token}}"},
                                    "json": {"hello": "world"},
                                },
                                "capture": {"method": {"jsonpath": "$.method"}},
                                "expect": {"status": 200},
                            }
                        ]
                    },
                },
            )
        )
        failed_case = _created(
            api.post(
                "/test-cases",
                json={
                    "kind": "http",
                    "name": f"broken {SCRIPT}",
                    "publish": True,
                    "content": {
                        "steps": [
                            {"name": "fine", "request": {"url": "{{base}}/ok"}, "expect": {"status": 200}},
                            {
                                "name": f"wrong {SCRIPT}",
                                "request": {"url": "{{base}}/ok"},
                                "expect": {"status": 201, "json": {"$.ok": "<b>yes</b>"}},
                            },
                        ]
                    },
                },
            )
        )
        passed = _run(api, passed_case["id"], environment_id=env["id"])
        failed = _run(api, failed_case["id"], environment_id=env["id"])
        suite = _created(api.post("/suites", json={"name": "smoke", "test_case_ids": [passed_case["id"]]}))
        plan = _created(
            api.post(
                "/plans",
                json={"name": f"nightly {SCRIPT}", "suite_ids": [suite["id"]], "environment_id": env["id"]},
            )
        )
        plan_run_id = _created(api.post("/executions", json={"plan_id": plan["id"]}))["plan_run_id"]
        wait_for(
            lambda: all(
                x["status"] == "PASSED"
                for x in api.get("/executions", params={"plan_run_id": plan_run_id}).json()["items"]
            ),
            60,
        )
    assert (passed["status"], failed["status"]) == ("PASSED", "FAILED")
    return Arranged(workspace, env["id"], passed_case, failed_case, passed, failed, plan, plan_run_id)


def _main(page: httpx.Response) -> str:
    found = re.search(r'<main id="main"[^>]*>(.*)</main>', page.text, re.S)
    assert found, page.text
    return found.group(1)


def _run_links(page: httpx.Response) -> list[str]:
    return re.findall(r'<a href="/runs/([0-9a-f-]{36})">', _main(page))


# --- the list --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_list_shows_executions_newest_first_with_status_name_and_who(
    arranged: Arranged, role: Role
) -> None:
    with signed_in(arranged.workspace, role) as client:
        page = client.get("/runs")
    main = _main(page)

    assert page.status_code == 200
    links = _run_links(page)
    assert links[:1] != [] and arranged.failed["id"] in links and arranged.passed["id"] in links
    assert links.index(arranged.failed["id"]) < links.index(arranged.passed["id"])  # newest first
    assert html.escape(f"broken {SCRIPT}", quote=False) in main and SCRIPT not in main
    assert "✗</span> Failed" in main and "✓</span> Passed" in main
    assert "admin-user" in main  # who started it
    assert ('href="/runs/new"' in main) is (role is not Role.VIEWER)


def test_every_filter_narrows_the_list(arranged: Arranged) -> None:
    failed, passed = arranged.failed["id"], arranged.passed["id"]
    today = datetime.now(UTC).date()
    with signed_in(arranged.workspace, Role.VIEWER) as client:

        def ids(**params: str) -> set[str]:
            page = client.get("/runs", params=params)
            assert page.status_code == 200, page.text
            return set(_run_links(page))

        assert failed in ids(status="FAILED") and passed not in ids(status="FAILED")
        assert ids(test_case=arranged.failed_case["name"]) == {failed}
        assert ids(test_case=arranged.failed_case["id"]) == {failed}
        assert passed in ids(tag="area=smoke") and failed not in ids(tag="area")
        assert {failed, passed} <= ids(environment="staging")
        assert ids(plan=arranged.plan["name"]) - {failed, passed} and not {failed, passed} & ids(
            plan=arranged.plan["id"]
        )
        assert failed in ids(started_by="admin-user") and ids(started_by="nobody") == set()
        assert failed in ids(since=today.isoformat()) and ids(until=today.isoformat()) == set()
        assert ids(since=(today + timedelta(days=1)).isoformat()) == set()
        nothing = client.get("/runs", params={"started_by": "nobody"})
        assert "No runs match these filters" in nothing.text and 'href="/runs"' in nothing.text


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "DONE"}, "status"),
        ({"test_case": "no-such-case"}, "test_case"),
        ({"since": "yesterday"}, "since"),
    ],
)
def test_a_bad_filter_is_a_400_page_naming_it(arranged: Arranged, params: dict[str, str], field: str) -> None:
    with signed_in(arranged.workspace, Role.VIEWER) as client:
        page = client.get("/runs", params=params)

    assert page.status_code == 400
    assert "text/html" in page.headers["content-type"]
    assert re.search(rf'role="alert">[^<]*{field}', page.text), page.text


def test_paging_follows_the_cursor_and_keeps_the_filters(arranged: Arranged) -> None:
    with signed_in(arranged.workspace, Role.TESTER) as client:
        seen: list[str] = []
        url: str | None = "/runs?limit=1&environment=staging"
        while url:
            page = client.get(url)
            assert page.status_code == 200
            seen += _run_links(page)
            found = re.search(r'<a href="([^"]+)" rel="next">', page.text)
            url = html.unescape(found.group(1)) if found else None
            if url:
                assert "environment=staging" in url and "limit=1" in url
    assert len(seen) == len(set(seen)) >= 3  # the two runs and the plan's execution, each once
    assert {arranged.failed["id"], arranged.passed["id"]} <= set(seen)


def test_the_plan_runs_tab_lists_plan_runs_linking_to_their_page(arranged: Arranged) -> None:
    with signed_in(arranged.workspace, Role.VIEWER) as client:
        page = client.get("/runs", params={"view": "plan-runs"})
        filtered = client.get("/runs", params={"view": "plan-runs", "plan": "no-such-plan"})

    main = _main(page)
    assert f'href="/plan-runs/{arranged.plan_run_id}"' in main
    assert html.escape(f"nightly {SCRIPT}", quote=False) in main and SCRIPT not in main
    assert 'aria-current="page">Plan runs' in main
    assert filtered.status_code == 400 and "plan" in filtered.text


def test_an_empty_workspace_teaches_how_to_start(live: LiveServer) -> None:
    workspace = new_workspace(live.ctx, live.url)
    with signed_in(workspace, Role.TESTER) as client:
        page = client.get("/runs")
    with signed_in(workspace, Role.VIEWER) as client:
        viewer = client.get("/runs")
    assert (
        "No runs yet" in page.text and "testament run NAME" in page.text and 'href="/runs/new"' in page.text
    )
    assert "No runs yet" in viewer.text and 'href="/runs/new"' not in viewer.text


# --- starting --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_start_form_is_for_roles_that_may_run(arranged: Arranged, role: Role) -> None:
    with signed_in(arranged.workspace, role) as client:
        form = client.get("/runs/new", params={"test_case": arranged.failed_case["id"]})
        csrf = csrf_of(client.get("/runs").text)
        posted = client.post(
            "/runs/new", data={"csrf": csrf, "target": f"test_case:{arranged.passed_case['id']}"}
        )

    if role is Role.VIEWER:
        assert form.status_code == 403 and posted.status_code == 403
        assert "may not execute" in posted.text
        return
    assert form.status_code == 200
    assert f'<option value="test_case:{arranged.failed_case["id"]}" selected>' in form.text
    assert f'value="plan:{arranged.plan["id"]}"' in form.text and 'name="csrf"' in form.text
    assert posted.status_code == 303 and re.fullmatch(r"/runs/[0-9a-f-]{36}", posted.headers["location"])


def test_a_viewer_starts_nothing(arranged: Arranged) -> None:
    with arranged.workspace.client() as api:
        before = len(api.get("/executions", params={"limit": 1000}).json()["items"])
    test_the_start_form_is_for_roles_that_may_run(arranged, Role.VIEWER)
    with arranged.workspace.client() as api:
        assert len(api.get("/executions", params={"limit": 1000}).json()["items"]) == before


def test_starting_a_plan_leads_to_its_plan_run(arranged: Arranged) -> None:
    with signed_in(arranged.workspace, Role.TESTER) as client:
        csrf = csrf_of(client.get("/runs/new").text)
        answer = client.post(
            "/runs/new",
            data={"csrf": csrf, "target": f"plan:{arranged.plan['id']}", "environment": arranged.env_id},
        )
    assert answer.status_code == 303 and answer.headers["location"].startswith("/plan-runs/")


def test_variables_given_in_the_form_reach_the_run(arranged: Arranged) -> None:
    with signed_in(arranged.workspace, Role.TESTER) as client:
        csrf = csrf_of(client.get("/runs/new").text)
        answer = client.post(
            "/runs/new",
            data={
                "csrf": csrf,
                "target": f"test_case:{arranged.failed_case['id']}",
                "environment": arranged.env_id,
                "variables": "# a comment\nbuild = 42\n\nnote=a=b\n",
            },
        )
    execution_id = answer.headers["location"].rsplit("/", 1)[1]
    with arranged.workspace.client() as api:
        run = api.get(f"/executions/{execution_id}").json()
    assert run["environment_id"] == arranged.env_id
    with signed_in(arranged.workspace, Role.VIEWER) as client:
        page = client.get(f"/runs/{execution_id}")
    assert ">build</th>" in page.text and ">42</td>" in page.text and ">a=b</td>" in page.text
    assert SECRET not in page.text and ">token</th>" in page.text and ">***</td>" in page.text


@pytest.mark.parametrize(
    ("form", "field", "status"),
    [
        ({"target": ""}, "target", 400),
        ({"target": "test_case:no-such-case"}, "target", 404),
        ({"variables": "no equals sign"}, "variables", 400),
        ({"environment": "no-such-env"}, "environment", 400),
    ],
)
def test_bad_input_shows_the_form_again_naming_the_field(
    arranged: Arranged, form: dict[str, str], field: str, status: int
) -> None:
    data = {"target": f"test_case:{arranged.passed_case['id']}", "variables": "a=1", **form}
    with signed_in(arranged.workspace, Role.TESTER) as client:
        csrf = csrf_of(client.get("/runs/new").text)
        answer = client.post("/runs/new", data={"csrf": csrf, **data})

    assert answer.status_code == status, answer.text
    assert re.search(rf'role="alert" id="start-error">[^<]*{field}', answer.text), answer.text
    assert 'aria-invalid="true"' in answer.text and f'name="{field}"' in answer.text
    assert html.escape(data["variables"], quote=False) in answer.text  # what was typed stays


def test_starting_without_the_csrf_token_is_refused(arranged: Arranged) -> None:
    with signed_in(arranged.workspace, Role.ADMIN) as client:
        answer = client.post("/runs/new", data={"target": f"test_case:{arranged.passed_case['id']}"})
    assert answer.status_code == 403 and "CSRF" in answer.text


# --- a run's page ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_a_passed_http_run_shows_its_banner_and_its_steps_collapsed(arranged: Arranged, role: Role) -> None:
    with signed_in(arranged.workspace, role) as client:
        page = client.get(f"/runs/{arranged.passed['id']}")
    main = _main(page)

    assert page.status_code == 200
    banner = main.split('id="run-banner"', 1)[1].split("</section>", 1)[0]
    assert "✓</span> Passed" in banner and "1 passed" in banner and "v1" in banner and "admin-user" in banner
    assert ('action="/runs/' in banner and "/rerun" in banner) is (role is not Role.VIEWER)
    assert "/stop" not in banner  # finished
    step = main.split('id="record-1"', 1)[1].split("</li>", 1)[0]
    assert "<details>" in step  # passing: one line, closed
    assert "POST" in step and "/echo" in step and "X-Token" in step and "Response" in step
    assert "&#34;hello&#34;: &#34;world&#34;" in step or "&quot;hello&quot;: &quot;world&quot;" in step
    assert ">method</th>" in step  # a capture
    assert SECRET not in page.text and "***" in step
    assert "sse-connect" not in main  # finished: not followed


def test_a_failed_http_run_opens_the_failing_step_with_expected_and_actual_escaped(
    arranged: Arranged,
) -> None:
    with signed_in(arranged.workspace, Role.VIEWER) as client:
        page = client.get(f"/runs/{arranged.failed['id']}")
    main = _main(page)

    assert "✗</span> Failed" in main and "1 failed" in main
    first = main.split('id="record-1"', 1)[1].split("</li>", 1)[0]
    second = main.split('id="record-2"', 1)[1].split("</li>", 1)[0]
    assert "<details>" in first and "<details open>" in second
    assert SCRIPT not in page.text and html.escape(f"wrong {SCRIPT}", quote=False) in second
    assert '<th scope="col">Expected</th><th scope="col">Actual</th>' in second
    assert '<mark class="run-diff-expected">1</mark>' in second  # 201 vs 200: the differing digit
    assert '<mark class="run-diff-actual">0</mark>' in second
    assert "&lt;b&gt;yes&lt;/b&gt;" in second and "<b>yes" not in second
    # "<b>yes</b>" against true: a text and a boolean, not two literals of one kind: shown plainly
    json_check = second.split("json $.ok", 1)[1].split("</table>", 1)[0]
    assert "&lt;b&gt;yes&lt;/b&gt;</pre>" in json_check and "true</pre>" in json_check
    assert "<mark" not in json_check


def test_a_connect_run_shows_observations_events_actions_and_score(live: LiveServer) -> None:
    workspace = new_workspace(live.ctx, live.url)
    client = connect_client(live, workspace)
    try:
        flows = contact_centre(client, workspace.id)
    finally:
        client.close()
    with workspace.client() as api:
        case = _created(
            api.post(
                "/test-cases",
                json=connect_case(voice_call(flows["wrong-queue"]), scoring=SCORING, effects=EFFECTS),
            )
        )
        done = _run(api, case["id"])
    with signed_in(workspace, Role.VIEWER) as browser:
        page = browser.get(f"/runs/{done['id']}")
    main = _main(page)

    assert "✗</span> Failed" in main
    assert "Welcome Message" in main and "Trigger Queue Announcement" in main
    assert 'Event <span class="mono">' in main and "Actions</h3>" in main
    score = main.split("<h2>Score</h2>", 1)[1]
    assert "greeting" in score and "routing" in score and "prompts" in score and "routing / queue" in score
    # the rows are grouped, each group named: "routing" is both a section and a dimension
    sections = score.split('scope="rowgroup" colspan="4">Sections</th>', 1)[1].split("</tbody>", 1)[0]
    dimensions = score.split('scope="rowgroup" colspan="4">Dimensions</th>', 1)[1].split("</tbody>", 1)[0]
    assert ">greeting</th>" in sections and ">routing</th>" in sections and "prompts" not in sections
    assert (
        ">prompts</th>" in dimensions
        and ">routing / queue</th>" in dimensions
        and "greeting" not in dimensions
    )
    assert "4.0 / 6.0" in score and "67%" in score  # overall 4 of 6
    assert "service" in score and "67.0" in score and "balance" in score


def test_a_manual_run_shows_its_steps(arranged: Arranged) -> None:
    with arranged.workspace.client() as api:
        case = _created(
            api.post(
                "/test-cases",
                json={
                    "kind": "manual",
                    "name": "by hand",
                    "publish": True,
                    "content": {"steps": [{"description": f"Open {SCRIPT}", "expected_result": "It opens"}]},
                },
            )
        )
        run = _created(api.post("/executions", json={"test_case_id": case["id"]}))
    with signed_in(arranged.workspace, Role.VIEWER) as client:
        page = client.get(f"/runs/{run['id']}")
    main = _main(page)
    assert page.status_code == 200 and "◌</span> Running" in main
    assert html.escape(f"Open {SCRIPT}", quote=False) in main and "It opens" in main and "Not run" in main
    assert f'href="/manual/{run["id"]}"' in main


def test_an_unknown_run_is_a_404_page(arranged: Arranged) -> None:
    with signed_in(arranged.workspace, Role.VIEWER) as client:
        page = client.get("/runs/01900000-0000-7000-8000-000000000000")
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]


def test_the_page_holds_a_bounded_window_and_loads_earlier_records(arranged: Arranged, target: Any) -> None:
    steps = [{"name": f"s{i}", "request": {"url": f"{target.url}/ok"}} for i in range(130)]
    with arranged.workspace.client() as api:
        case = _created(
            api.post(
                "/test-cases",
                json={"kind": "http", "name": "many", "publish": True, "content": {"steps": steps}},
            )
        )
        done = _run(api, case["id"])
    with signed_in(arranged.workspace, Role.VIEWER) as client:
        page = client.get(f"/runs/{done['id']}")
        seqs = [int(s) for s in re.findall(r'<li id="record-(\d+)"', page.text)]
        link = re.search(r'hx-get="(/runs/[^"]+/earlier\?before=(\d+))"', page.text)
        assert link and int(link.group(2)) == seqs[0]
        fragment = client.get(html.unescape(link.group(1)), headers={"HX-Request": "true"})
        plain = client.get(html.unescape(link.group(1)))

    assert len(seqs) == 100 and seqs == list(range(31, 131))
    earlier = [int(s) for s in re.findall(r'<li id="record-(\d+)"', fragment.text)]
    assert (
        earlier == list(range(1, 31)) and "<html" not in fragment.text and "Load earlier" not in fragment.text
    )
    assert plain.status_code == 200 and "<html" in plain.text and "Back to the run" in plain.text


# --- the live stream ---------------------------------------------------------------------------


def _events(client: httpx.Client, url: str, headers: dict[str, str] | None = None) -> list[dict[str, str]]:
    """Every event of a stream until it ends (the server closes it after `end`)."""
    found: list[dict[str, str]] = []
    with client.stream("GET", url, headers=headers, timeout=60) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
        event: dict[str, str] = {}
        for line in answer.iter_lines():
            if not line:
                if "event" in event:
                    found.append(event)
                event = {}
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(": ")
            event[name] = event[name] + "\n" + value if name == "data" and name in event else value
    return found


def test_the_stream_sends_each_record_once_in_order_and_ends_when_the_run_finishes(
    arranged: Arranged, target: Any
) -> None:
    steps = [
        {"name": f"slow {i} {SCRIPT}", "request": {"url": f"{target.url}/slow?ms=250"}} for i in range(4)
    ]
    with arranged.workspace.client() as api:
        case = _created(
            api.post(
                "/test-cases",
                json={"kind": "http", "name": "slowly", "publish": True, "content": {"steps": steps}},
            )
        )
        run = _created(api.post("/executions", json={"test_case_id": case["id"]}))
        with signed_in(arranged.workspace, Role.VIEWER) as client:
            page = client.get(f"/runs/{run['id']}")
            assert (
                f'sse-connect="/runs/{run["id"]}/stream?after=' in page.text
                and 'id="live-marker"' in page.text
            )
            events = _events(client, f"/runs/{run['id']}/stream?after=0")
            resumed = _events(client, f"/runs/{run['id']}/stream?after=2")
            by_header = _events(client, f"/runs/{run['id']}/stream?after=0", {"Last-Event-ID": "3"})
        final = api.get(f"/executions/{run['id']}").json()

    records = [e for e in events if e["event"] == "record"]
    assert [int(e["id"]) for e in records] == [1, 2, 3, 4]
    assert all(f'<li id="record-{e["id"]}"' in e["data"] for e in records)
    assert SCRIPT not in "".join(e["data"] for e in events)
    assert events[-1]["event"] == "end" and events[-2]["event"] == "banner"
    assert "✓</span> Passed" in events[-2]["data"] and "sse-swap" not in events[-2]["data"]
    assert final["status"] == "PASSED"
    assert [int(e["id"]) for e in resumed if e["event"] == "record"] == [3, 4]
    assert [int(e["id"]) for e in by_header if e["event"] == "record"] == [4]


def test_the_stream_of_an_unknown_run_is_a_404(arranged: Arranged) -> None:
    with signed_in(arranged.workspace, Role.VIEWER) as client:
        answer = client.get("/runs/01900000-0000-7000-8000-000000000000/stream")
    assert answer.status_code == 404


# --- artifacts -----------------------------------------------------------------------------------


def _keep(
    live: LiveServer, workspace: Workspace, execution_id: str, name: str, data: bytes, media_type: str
) -> str:
    ctx = live.ctx
    where = artifact_file_name(ctx, execution_id, name)
    with blobs.kept(ctx, blobs.chunks_of(data), where) as blob, ctx.uow() as uow:
        execution = load_execution(uow.session, workspace.principal(ctx), execution_id)
        artifact = store_artifact(uow, execution, name, blob, media_type, 1)
        uow.commit()
    return artifact.id


@pytest.fixture(scope="module")
def kept(live: LiveServer, arranged: Arranged) -> Iterator[dict[str, str]]:
    execution_id = arranged.passed["id"]
    yield {
        "html": _keep(
            live, arranged.workspace, execution_id, "page.html", f"<h1>{SCRIPT}</h1>".encode(), "text/html"
        ),
        "svg": _keep(
            live, arranged.workspace, execution_id, "pic.svg", b"<svg onload='x()'/>", "image/svg+xml"
        ),
        "png": _keep(live, arranged.workspace, execution_id, "shot.png", PNG, "image/png"),
    }


def test_artifacts_are_listed_and_only_raster_images_shown_inline(
    arranged: Arranged, kept: dict[str, str]
) -> None:
    with signed_in(arranged.workspace, Role.VIEWER) as client:
        page = client.get(f"/runs/{arranged.passed['id']}")
    step = page.text.split('id="record-1"', 1)[1].split("</ol>", 1)[0]
    for ident in kept.values():
        assert f'href="/runs/artifacts/{ident}" download' in step
    assert f'<img class="run-artifact-image" src="/runs/artifacts/{kept["png"]}?inline=1"' in step
    assert step.count("<img") == 1


@pytest.mark.parametrize("which", ["html", "svg", "png"])
def test_an_artifact_is_a_download_with_nosniff(arranged: Arranged, kept: dict[str, str], which: str) -> None:
    with signed_in(arranged.workspace, Role.VIEWER) as client:
        download = client.get(f"/runs/artifacts/{kept[which]}")
        inline = client.get(f"/runs/artifacts/{kept[which]}", params={"inline": "1"})

    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in download.headers["content-security-policy"]
    if which == "png":
        assert inline.headers["content-disposition"].startswith("inline")
        assert inline.headers["content-type"] == "image/png" and inline.content == PNG
    else:
        assert inline.headers["content-disposition"].startswith("attachment")
        assert "html" not in inline.headers["content-type"] and "svg" not in inline.headers["content-type"]


def test_an_artifact_of_another_workspace_is_a_404(live: LiveServer, kept: dict[str, str]) -> None:
    other = new_workspace(live.ctx, live.url)
    with signed_in(other, Role.ADMIN) as client:
        assert client.get(f"/runs/artifacts/{kept['png']}").status_code == 404


# --- stop and rerun ------------------------------------------------------------------------------


def test_a_viewer_sees_no_stop_or_rerun_and_the_server_refuses_both(arranged: Arranged, target: Any) -> None:
    with arranged.workspace.client() as api:
        case = _created(
            api.post(
                "/test-cases",
                json={
                    "kind": "http",
                    "name": "long",
                    "publish": True,
                    "content": {
                        "steps": [{"name": "wait", "request": {"url": f"{target.url}/slow?ms=3000"}}]
                    },
                },
            )
        )
        running = _created(api.post("/executions", json={"test_case_id": case["id"]}))
        with signed_in(arranged.workspace, Role.VIEWER) as client:
            page = client.get(f"/runs/{running['id']}")
            finished = client.get(f"/runs/{arranged.failed['id']}")
            csrf = csrf_of(client.get("/runs").text)
            stop = client.post(f"/runs/{running['id']}/stop", data={"csrf": csrf})
            rerun = client.post(f"/runs/{arranged.failed['id']}/rerun", data={"csrf": csrf})
        assert api.get(f"/executions/{running['id']}").json()["stop_requested"] is False
        api.post(f"/executions/{running['id']}/stop")
    assert "/stop" not in _main(page) and "/rerun" not in _main(finished)
    assert stop.status_code == 403 and rerun.status_code == 403


def test_a_tester_stops_a_running_execution_and_reruns_a_finished_one(
    arranged: Arranged, target: Any
) -> None:
    with arranged.workspace.client() as api:
        case = _created(
            api.post(
                "/test-cases",
                json={
                    "kind": "http",
                    "name": "longer",
                    "publish": True,
                    "content": {
                        "steps": [
                            {"name": f"wait {i}", "request": {"url": f"{target.url}/slow?ms=2000"}}
                            for i in range(3)
                        ]
                    },
                },
            )
        )
        running = _created(api.post("/executions", json={"test_case_id": case["id"]}))
        wait_for(lambda: api.get(f"/executions/{running['id']}").json()["status"] == "RUNNING")
        with signed_in(arranged.workspace, Role.TESTER) as client:
            page = client.get(f"/runs/{running['id']}")
            assert f'action="/runs/{running["id"]}/stop"' in page.text
            without_csrf = client.post(f"/runs/{running['id']}/stop")
            stopped = client.post(f"/runs/{running['id']}/stop", data={"csrf": csrf_of(page.text)})
            assert without_csrf.status_code == 403
            assert stopped.status_code == 303 and stopped.headers["location"] == f"/runs/{running['id']}"
            assert wait_finished(api, running["id"])["status"] == "STOPPED"
            again = client.post(f"/runs/{arranged.failed['id']}/rerun", data={"csrf": csrf_of(page.text)})
            stop_finished = client.post(
                f"/runs/{arranged.failed['id']}/stop", data={"csrf": csrf_of(page.text)}
            )
        new_id = again.headers["location"].rsplit("/", 1)[1]
        rerun = wait_finished(api, new_id, 60)
    assert again.status_code == 303 and new_id != arranged.failed["id"]
    assert rerun["test_case_id"] == arranged.failed_case["id"] and rerun["environment_id"] == arranged.env_id
    assert stop_finished.status_code == 409


def test_retries_show_each_attempt(arranged: Arranged, target: Any) -> None:
    flaky = f"{target.url}/flaky/{arranged.workspace.id}?fail=1"
    with arranged.workspace.client() as api:
        case = _created(
            api.post(
                "/test-cases",
                json={
                    "kind": "http",
                    "name": "flaky one",
                    "publish": True,
                    "retries": 1,
                    "content": {
                        "steps": [{"name": "call", "request": {"url": flaky}, "expect": {"status": 200}}]
                    },
                },
            )
        )
        done = _run(api, case["id"])
    with signed_in(arranged.workspace, Role.VIEWER) as client:
        main = _main(client.get(f"/runs/{done['id']}"))
    banner = main.split('id="run-banner"', 1)[1].split("</section>", 1)[0]
    assert done["attempt"] == 2 and "Attempt</dt><dd>2 of 2" in banner and "flaky" in banner
    assert '<span class="run-tag">attempt 2</span>' in main
    assert main.count('<li id="record-') >= 2  # the failed first attempt's step is kept


def test_a_long_body_is_folded_and_kept_whole_as_an_artifact(arranged: Arranged, target: Any) -> None:
    big = {"items": [{"n": i, "text": "x" * 40} for i in range(120)]}
    step = {"name": "big", "request": {"method": "POST", "url": f"{target.url}/echo", "json": big}}
    with arranged.workspace.client() as api:
        case = _created(
            api.post(
                "/test-cases",
                json={"kind": "http", "name": "big body", "publish": True, "content": {"steps": [step]}},
            )
        )
        done = _run(api, case["id"])
        kept = api.get(f"/executions/{done['id']}/artifacts").json()["items"]
    with signed_in(arranged.workspace, Role.VIEWER) as client:
        main = _main(client.get(f"/runs/{done['id']}"))
    assert '<details class="run-fold"><summary>Request body' in main  # 120 items pretty-printed: folded
    assert "the record keeps the first 4 KiB" in main  # the echoed response was cut in its record
    assert kept and all(f'href="/runs/artifacts/{a["id"]}" download' in main for a in kept)


def test_a_described_expectation_is_shown_plainly_and_a_long_actual_folded() -> None:
    """A failed expectation whose "expected" describes (a JSON body) is no character diff."""
    html_page = "<!doctype html>\n" + "<p>not found</p>\n" * 40
    described = run_view.expectation_of(
        {"expectation": "json", "operator": "type", "expected": "a JSON body", "actual": html_page}
    )
    assert not described.literal and described.folded
    assert described.expected == [("a JSON body", False)] and described.actual == [(html_page, False)]
    status = run_view.expectation_of(
        {"expectation": "status", "operator": "eq", "expected": 401, "actual": 404}
    )
    assert status.literal and ("1", True) in status.expected and ("4", True) in status.actual
    header = run_view.expectation_of(
        {"expectation": "header x", "operator": "eq", "expected": "v1.2", "actual": "v1.3"}
    )
    assert header.literal and ("2", True) in header.expected
    for operator, expected, actual in [
        ("eq", "yes", True),  # a text and a boolean
        ("eq", "1", 1),  # a text and a number
        ("matches", "^v[0-9]+$", "version"),  # a pattern
        ("contains", "needle", "a haystack"),  # a part
        ("eq", "short", "long\ntext"),  # not one line
    ]:
        plain = run_view.expectation_of({"operator": operator, "expected": expected, "actual": actual})
        assert not plain.literal, (operator, expected, actual)
        assert not any(changed for _, changed in plain.expected + plain.actual)


# --- every check of a step, passed ones too -----------------------------------------------------


def _held_rows(step: str) -> list[list[str]]:
    table = step.split('<table class="table run-checks-table">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1], re.S)
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)]
        for r in rows
    ]


def test_a_passed_step_lists_every_check_with_expected_and_actual(arranged: Arranged) -> None:
    with arranged.workspace.client() as api:
        records = api.get(f"/executions/{arranged.passed['id']}/records").json()["items"]
    assert [
        (c["expectation"], c["expected"], c["actual"], c["passed"]) for c in records[0]["record"]["checks"]
    ] == [
        ("capture method", "$.method", "POST", True),
        ("status", 200, 200, True),
    ]
    with signed_in(arranged.workspace, Role.VIEWER) as client:
        main = _main(client.get(f"/runs/{arranged.passed['id']}"))
    step = main.split('id="record-1"', 1)[1].split("</li>", 1)[0]
    assert "<details>" in step  # the passed step is still one line until opened
    assert '<span class="run-step-checks">2 checks held</span>' in step
    assert '<details class="run-fold run-checks" open>' in step  # open inside the step once opened
    assert '<th scope="col">Check</th><th scope="col">Expected</th><th scope="col">Actual</th>' in step
    assert _held_rows(step) == [
        ["capture method jsonpath", "$.method", "POST", "✓ Passed"],
        ["status eq", "200", "200", "✓ Passed"],
    ]


def test_a_failed_step_shows_its_failures_first_and_the_checks_that_held_folded(arranged: Arranged) -> None:
    with signed_in(arranged.workspace, Role.VIEWER) as client:
        main = _main(client.get(f"/runs/{arranged.failed['id']}"))
    first = main.split('id="record-1"', 1)[1].split("</li>", 1)[0]
    second = main.split('id="record-2"', 1)[1].split("</li>", 1)[0]
    assert _held_rows(first) == [["status eq", "200", "200", "✓ Passed"]]
    assert "2 of 2 checks failed" in second and "run-checks-table" not in second  # nothing held


def _render_step(record: dict[str, Any], status: str = "PASSED") -> str:
    step = run_view.step_of(Record("e", 1, 1, "s", status, datetime.now(UTC), record))
    return templates.env.get_template("runs/step.html").render(step=step)


def test_an_older_record_without_checks_shows_its_failures_as_before() -> None:
    failure = {
        "expectation": "status",
        "operator": "eq",
        "expected": 201,
        "actual": 200,
        "message": "status: no",
    }
    page = _render_step(
        {"step": "old", "request": {"method": "GET", "url": "http://x"}, "failures": [failure]}, "FAILED"
    )
    assert "status: no" in page and '<mark class="run-diff-expected">1</mark>' in page
    assert "run-checks" not in page and "checks held" not in page and "checks failed" not in page


def test_a_step_with_more_checks_than_its_record_keeps_says_how_many_are_left_out() -> None:
    checks = [
        {
            "expectation": f"json $.n{i}",
            "operator": "exists",
            "expected": False,
            "actual": None,
            "passed": True,
        }
        for i in range(100)
    ]
    page = _render_step({"step": "many", "failures": [], "checks": checks, "checks_left_out": 400})
    assert "500 checks held" in page and "(100 shown, 400 more not recorded)" in page
    assert "The step made 500 checks; its record lists 100 of them" in page
    assert page.count('<td data-label="Result"><span class="status st-passed">') == 100


def test_a_secret_expected_and_echoed_is_masked_in_the_checks_the_api_and_the_page_show(
    arranged: Arranged, target: Any
) -> None:
    """An environment's secret as an expected value, and in the response: `***` on both sides."""
    step = {
        "name": "echo the token",
        "request": {"method": "POST", "url": "{{base}}/echo", "headers": {"X-Token": "{{token}}"}},
        "expect": {"json": {"$.headers.X-Token": "{{token}}"}, "body_contains": "{{token}}"},
    }
    with arranged.workspace.client() as api:
        case = _created(
            api.post(
                "/test-cases",
                json={"kind": "http", "name": "secret check", "publish": True, "content": {"steps": [step]}},
            )
        )
        done = _run(api, case["id"], environment_id=arranged.env_id)
        records = api.get(f"/executions/{done['id']}/records").json()["items"]
    assert done["status"] == "PASSED"
    checks = records[0]["record"]["checks"]
    assert SECRET not in str(records)
    assert [(c["expectation"], c["expected"], c["passed"]) for c in checks] == [
        ("json $.headers.X-Token", "***", True),
        ("body", "***", True),
    ]
    assert checks[0]["actual"] == "***" and "***" in checks[1]["actual"]
    with signed_in(arranged.workspace, Role.VIEWER) as client:
        page = client.get(f"/runs/{done['id']}")
    assert SECRET not in page.text
    assert ["json $.headers.X-Token eq", "***", "***", "✓ Passed"] in _held_rows(_main(page))
