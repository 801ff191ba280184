"""The dashboard (/) over HTTP: its numbers against real executions made here (on different
days: a run's queued time is moved back, as if the clock had been set), the range, the slowest
and flakiest test cases, what runs now, every role, and well-formed charts with their tables."""

import re
import uuid
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from testament.domain.access import Role
from testament.store.tables import executions
from testament.web.pages.dashboard import day_label
from tests.conftest import LiveServer, Workspace, wait_finished, wait_for
from tests.e2e.web import signed_in


def _case(api: httpx.Client, url: str, *, expect: int = 200, retries: int = 0) -> dict[str, Any]:
    body = {
        "kind": "http",
        "name": f"dash-{uuid.uuid4().hex[:8]}",
        "publish": True,
        "retries": retries,
        "content": {"steps": [{"name": "call", "request": {"url": url}, "expect": {"status": expect}}]},
    }
    answer = api.post("/test-cases", json=body)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def _run(api: httpx.Client, case: dict[str, Any], **variables: str) -> dict[str, Any]:
    body: dict[str, Any] = {"test_case_id": case["id"], **({"variables": variables} if variables else {})}
    started = api.post("/executions", json=body)
    assert started.status_code == 201, started.text
    return wait_finished(api, started.json()["id"])


def _queued_day(execution: dict[str, Any]) -> date:
    return datetime.fromisoformat(execution["queued_at"].replace("Z", "+00:00")).date()


def _move_back(live: LiveServer, execution: dict[str, Any], days: int) -> None:
    """As if the run had been made `days` days earlier (its id keeps its own time)."""
    queued = datetime.fromisoformat(execution["queued_at"].replace("Z", "+00:00"))
    with live.ctx.uow() as uow:
        uow.session.execute(
            update(executions)
            .where(executions.c.id == execution["id"])
            .values(queued_at=queued - timedelta(days=days))
        )
        uow.commit()


def _table(html: str, caption: str) -> dict[str, list[str]]:
    """The rows of the table with this caption: its row header -> its cells' text."""
    found = re.search(rf"<table[^>]*><caption>{re.escape(caption)}</caption>.*?</table>", html, re.S)
    assert found, f"no table {caption!r}"
    rows: dict[str, list[str]] = {}
    for row in ET.fromstring(found.group(0)).find("tbody") or []:
        rows[row[0].text or ""] = [cell.text or "" for cell in row[1:]]
    return rows


def _counts(html: str) -> dict[str, str]:
    """The summary's figures: its label's text -> its number."""
    block = re.search(r'<dl class="dash-counts">(.*?)</dl>', html, re.S)
    assert block
    pairs = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", block.group(1), re.S)
    strip = lambda text: re.sub(r"<[^>]+>|[✓✗◌◷]", "", text).strip()  # noqa: E731
    return {strip(label): strip(value) for label, value in pairs}


def _svgs(html: str) -> list[ET.Element]:
    return [ET.fromstring(svg) for svg in re.findall(r"<svg .*?</svg>", html, re.S)]


@pytest.fixture
def history(live: LiveServer, workspace: Workspace, target: Any) -> dict[str, Any]:
    """Runs made here: today two passes of `steady`, a fail of `broken`, a slow pass, a pass on a
    retry (`flaky`) and a pass, a fail and a pass of `flipper`; two days ago a fail of `broken`;
    ten days ago a pass of `steady`."""
    with workspace.client() as api:
        steady = _case(api, f"{target.url}/ok")
        broken = _case(api, f"{target.url}/ok", expect=201)
        slow = _case(api, f"{target.url}/slow?ms=400")
        flaky = _case(api, f"{target.url}/flaky/{uuid.uuid4().hex}?fail=1", retries=1)
        flipper = _case(api, "{{url}}")
        today = [_run(api, steady), _run(api, steady), _run(api, broken), _run(api, slow), _run(api, flaky)]
        flips = [_run(api, flipper, url=f"{target.url}/{path}") for path in ("ok", "missing", "ok")]
        two_days_ago = _run(api, broken)
        ten_days_ago = _run(api, steady)
    assert [e["status"] for e in today] == ["PASSED", "PASSED", "FAILED", "PASSED", "PASSED"]
    assert today[-1]["flaky"] is True
    assert [e["status"] for e in flips] == ["PASSED", "FAILED", "PASSED"]
    _move_back(live, two_days_ago, 2)
    _move_back(live, ten_days_ago, 10)
    return {
        "day": _queued_day(today[0]),
        "earlier_day": _queued_day(two_days_ago) - timedelta(days=2),
        "steady": steady,
        "broken": broken,
        "slow": slow,
        "flaky": flaky,
        "flipper": flipper,
    }


def test_the_numbers_per_day_are_the_runs_made(workspace: Workspace, history: dict[str, Any]) -> None:
    with signed_in(workspace, Role.VIEWER) as client:
        page = client.get("/")
    assert page.status_code == 200
    runs = _table(page.text, "Runs per day")
    columns = ["Passed", "Failed", "Error", "Stopped", "Running or queued", "Total"]
    assert len(runs) == 7
    today, earlier = day_label(history["day"]), day_label(history["earlier_day"])
    assert dict(zip(columns, runs[today], strict=True)) == {
        "Passed": "6",
        "Failed": "2",
        "Error": "0",
        "Stopped": "0",
        "Running or queued": "0",
        "Total": "8",
    }
    assert runs[earlier] == ["0", "1", "0", "0", "0", "1"]
    assert sum(int(cells[-1]) for cells in runs.values()) == 9  # the run of ten days ago is not in range
    rate = _table(page.text, "Pass rate per day")
    assert rate[today] == ["75%"] and rate[earlier] == ["0%"]
    assert list(rate.values()).count(["—"]) == 5  # days without a finished run have no point
    counts = _counts(page.text)
    assert counts["Runs, last 7 days"] == "9"
    assert counts["Passed"] == "6"
    assert counts["Failed or error"] == "3"
    assert counts["Pass rate"] == "67%"


def test_the_range_comes_from_the_url(workspace: Workspace, history: dict[str, Any]) -> None:
    with signed_in(workspace, Role.TESTER) as client:
        fortnight = client.get("/", params={"days": "14"})
        month = client.get("/", params={"days": "30"})
        bad = client.get("/", params={"days": "5"})
        words = client.get("/", params={"days": "week"})
    assert len(_table(fortnight.text, "Runs per day")) == 14
    assert _counts(fortnight.text)["Runs, last 14 days"] == "10"
    assert len(_table(month.text, "Runs per day")) == 30
    assert 'href="/?days=14" aria-current="page"' in fortnight.text
    for answer in (bad, words):
        assert answer.status_code == 400
        assert "days" in answer.text and "7, 14, 30" in answer.text


def test_the_slowest_and_flakiest_test_cases_link_to_their_pages(
    workspace: Workspace, history: dict[str, Any]
) -> None:
    with signed_in(workspace, Role.MANAGER) as client:
        page = client.get("/").text
    slowest = page.split('id="slow-heading"')[1]
    first_row = slowest.split("<tbody>")[1].split("</tr>")[0]
    assert f'href="/test-cases/{history["slow"]["id"]}">{history["slow"]["name"]}</a>' in first_row
    flakiest = page.split('id="flaky-heading"')[1].split('id="slow-heading"')[0]
    # flaky: passed on a retry, or flipped twice; broken never passed and steady never failed
    assert f'href="/test-cases/{history["flaky"]["id"]}"' in flakiest
    flipper = flakiest.split(f'href="/test-cases/{history["flipper"]["id"]}"')[1].split("</tr>")[0]
    assert 'data-label="Flips"><div class="cell">2<' in flipper
    assert 'data-label="Pass rate"><div class="cell">67%<' in flipper
    assert "oldest first: Passed, Failed, Passed" in flipper
    assert flakiest.index(history["flipper"]["name"]) < flakiest.index(
        history["flaky"]["name"]
    )  # more flips first
    assert history["steady"]["name"] not in flakiest and history["broken"]["name"] not in flakiest
    assert 'aria-label="Last runs of ' + history["flaky"]["name"] + ', oldest first: Passed"' in flakiest


def test_charts_are_well_formed_svg_with_a_name_a_summary_and_a_table(
    workspace: Workspace, history: dict[str, Any]
) -> None:
    with signed_in(workspace, Role.ADMIN) as client:
        page = client.get("/").text
    svgs = _svgs(page)
    assert len(svgs) == 2
    ns = "{http://www.w3.org/2000/svg}"
    for svg in svgs:
        assert svg.get("role") == "img"
        title, desc = svg.find(f"{ns}title"), svg.find(f"{ns}desc")
        assert title is not None and desc is not None and desc.text
        assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    runs, rate = svgs
    assert runs.find(f"{ns}desc").text == (
        f"9 in all (6 passed, 3 failed); the most, 8, on {day_label(history['day'])}."
    )  # type: ignore[union-attr]
    assert len(list(rate.iter(f"{ns}circle"))) == 2
    assert "Runs per day as a table" in page and "Pass rate per day as a table" in page


def test_what_runs_now_is_shown_with_a_link_to_its_run(
    live: LiveServer, workspace: Workspace, target: Any
) -> None:
    with workspace.client() as api:
        slow = _case(api, f"{target.url}/slow?ms=3000")
        started = api.post("/executions", json={"test_case_id": slow["id"]}).json()
        wait_for(lambda: api.get(f"/executions/{started['id']}").json()["status"] == "RUNNING")
        with signed_in(workspace, Role.VIEWER) as client:
            page = client.get("/").text
            fragment = client.get("/running-now", headers={"HX-Request": "true"})
        wait_finished(api, started["id"])
        with signed_in(workspace, Role.VIEWER) as client:
            after = client.get("/running-now", headers={"HX-Request": "true"}).text
    # htmx refreshes the section alone, without the layout
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<section aria-labelledby="running-heading" id="running-now"')
    assert "<nav" not in fragment.text and f'href="/runs/{started["id"]}"' in fragment.text
    assert "Nothing runs now" in after
    running = page.split('id="running-heading"')[1].split("</section>")[0]
    assert f'href="/runs/{started["id"]}"' in running
    assert f'href="/test-cases/{slow["id"]}">{slow["name"]}</a>' in running
    assert "(the server's own)" in running  # the test server runs it in its own pool
    assert _counts(page)["Running now"] == "1"


@pytest.mark.parametrize("role", list(Role))
def test_every_role_sees_the_dashboard_and_an_empty_one_teaches_how_to_start(
    workspace: Workspace, role: Role
) -> None:
    with signed_in(workspace, role) as client:
        page = client.get("/")
    assert page.status_code == 200
    assert "<h1>Dashboard</h1>" in page.text
    assert "No runs yet." in page.text and "<code>testament run NAME</code>" in page.text
    assert "<svg " not in page.text


def test_runs_only_outside_the_range_say_so_and_offer_a_longer_one(
    live: LiveServer, workspace: Workspace, target: Any
) -> None:
    with workspace.client() as api:
        old = _run(api, _case(api, f"{target.url}/ok"))
    _move_back(live, old, 9)
    with signed_in(workspace, Role.VIEWER) as client:
        week = client.get("/").text
        fortnight = client.get("/?days=14").text
    assert "No runs in the last 7 days." in week and 'href="/?days=30"' in week
    assert _counts(fortnight)["Runs, last 14 days"] == "1"


def test_a_signed_out_browser_is_sent_to_sign_in(live: LiveServer) -> None:
    with httpx.Client(base_url=live.url, follow_redirects=False) as client:
        answer = client.get("/?days=14")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/sign-in?next=/%3Fdays%3D14")
