"""Manual runs in the browser over HTTP: a tester walks a run to completion through the page's
forms (each outcome, the actual result and notes, a file, an incident, completion), with htmx's
per-step saves and without scripts; the same run read back through the Enterprise Tester
surface; what each role sees and may do; CSRF; escaping; bad input named by its field."""

from typing import Any

import httpx

from testament.domain.access import Role
from tests.conftest import LiveServer, Workspace
from tests.e2e.test_enterprise_tester import et_client
from tests.e2e.web import csrf_of, signed_in

SCRIPT = "<script>alert(1)</script>"
STEPS = [
    {"description": "Open the shop", "expected_result": "The shop shows"},
    {"description": "Add a book", "data": "ISBN 978-3", "expected_result": "1 item in the cart"},
    {"description": "Pay", "expected_result": "Paid"},
    {"description": "Print the receipt", "expected_result": "A receipt"},
    {"description": f"Log out {SCRIPT}", "expected_result": "Signed out"},
]
HTMX = {"HX-Request": "true"}


def manual_case(api: httpx.Client, name: str, steps: list[dict[str, Any]] = STEPS) -> str:
    made = api.post(
        "/test-cases", json={"kind": "manual", "name": name, "publish": True, "content": {"steps": steps}}
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def assign(api: httpx.Client, name: str, assignee: str, steps: list[dict[str, Any]] = STEPS) -> str:
    case = manual_case(api, name, steps)
    package = api.post("/packages", json={"name": f"package of {name}"}).json()["id"]
    made = api.post("/assignments", json={"package_id": package, "test_case_id": case, "assignee": assignee})
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def start_run(api: httpx.Client, name: str, steps: list[dict[str, Any]] = STEPS) -> str:
    started = api.post("/executions", json={"test_case_id": manual_case(api, name, steps)}).json()
    return str(started["id"])


def steps_of(api: httpx.Client, run: str) -> dict[str, Any]:
    answer = api.get(f"/executions/{run}/steps")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_a_tester_walks_an_assigned_run_to_completion_and_enterprise_tester_shows_it(
    live: LiveServer, workspace: Workspace, api: httpx.Client
) -> None:
    assignment = assign(api, "shop by hand", "tester-user")
    with signed_in(workspace, Role.TESTER) as browser:
        listed = browser.get("/manual")
        assert listed.status_code == 200
        assert "shop by hand" in listed.text and "Not started" in listed.text
        csrf = csrf_of(listed.text)
        started = browser.post(f"/manual/assignments/{assignment}/start", data={"csrf": csrf})
        assert started.status_code == 303
        run = started.headers["location"].removeprefix("/manual/")
        page = browser.get(f"/manual/{run}")
        assert page.status_code == 200
        assert "<h1>shop by hand</h1>" in page.text and "0 of 5 steps recorded" in page.text
        assert "ISBN 978-3" in page.text and "1 item in the cart" in page.text
        assert 'aria-keyshortcuts="P"' in page.text and "manual.js" in page.text
        assert SCRIPT not in page.text and "Log out &lt;script&gt;" in page.text

        # without scripts: a plain form post, answered with the way back to the step
        passed = browser.post(
            f"/manual/{run}/steps/1",
            data={"csrf": csrf, "outcome": "Passed", "actual_result": "shown", "notes": "fast"},
        )
        assert (passed.status_code, passed.headers["location"]) == (303, f"/manual/{run}#step-1")
        # with htmx: the step's state back, the banner out of band
        failed = browser.post(
            f"/manual/{run}/steps/2",
            data={"csrf": csrf, "outcome": "Failed", "actual_result": "0 items", "notes": SCRIPT},
            headers=HTMX,
        )
        assert failed.status_code == 200
        assert "Failed" in failed.text and "Saved" in failed.text and "<html" not in failed.text
        assert 'id="run-banner"' in failed.text and 'hx-swap-oob="true"' in failed.text
        assert "2 of 5 steps recorded" in failed.text
        assert "Raise an incident on step 2" in failed.text  # the failed step's form, out of band
        for number, outcome in ((3, "Blocked"), (4, "Undetermined")):
            saved = browser.post(f"/manual/{run}/steps/{number}", data={"csrf": csrf, "outcome": outcome})
            assert saved.status_code == 303
        # a later change of notes alone keeps the outcome
        browser.post(f"/manual/{run}/steps/1", data={"csrf": csrf, "notes": "fast, twice"})

        attached = browser.post(
            f"/manual/{run}/steps/2/files",
            data={"csrf": csrf},
            files={"file": ("cart.png", b"\x89PNG cart", "image/png")},
        )
        assert (attached.status_code, attached.headers["location"]) == (303, f"/manual/{run}#step-2")
        raised = browser.post(
            f"/manual/{run}/steps/2/incidents",
            data={"csrf": csrf, "summary": "Cart stays empty", "description": "Adding a book does nothing"},
        )
        assert raised.status_code == 303

        page = browser.get(f"/manual/{run}")
        assert "4 of 5 steps recorded" in page.text
        assert SCRIPT not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
        assert "fast, twice" in page.text
        assert "cart.png" in page.text and "Cart stays empty" in page.text
        file_url = next(
            part.split('"')[0]
            for part in page.text.split('href="')
            if part.startswith(f"/manual/{run}/files/")
        )
        download = browser.get(file_url)
        assert download.status_code == 200 and download.content == b"\x89PNG cart"
        assert download.headers["content-disposition"].startswith("attachment")
        assert download.headers["content-type"] == "application/octet-stream"
        assert download.headers["x-content-type-options"] == "nosniff"

        completed = browser.post(f"/manual/{run}/complete", data={"csrf": csrf})
        assert completed.status_code == 303
        done = browser.get(f"/manual/{run}")
        assert "Save step" not in done.text and "Complete run" not in done.text  # nothing to record now
        assert "completed" in done.text
        again = browser.post(f"/manual/{run}/steps/5", data={"csrf": csrf, "outcome": "Passed"})
        assert again.status_code == 409
        listed = browser.get("/manual")
        assert "Recently completed" in listed.text and f"/manual/{run}" in listed.text

    native = steps_of(api, run)
    assert (native["status"], native["completed"]) == ("Failed", True)
    with et_client(live, workspace) as et:
        shown = et.get(f"/scriptrun/{run}", params={"$expand": "StepResults"}).json()
    assert (shown["Status"], shown["Completed"], shown["AssignmentId"]) == ("Failed", True, assignment)
    results = shown["StepResults"]
    assert [s["Outcome"] for s in results] == ["Passed", "Failed", "Blocked", "Undetermined", "NotRun"]
    assert (results[0]["ActualResult"], results[0]["Notes"]) == ("shown", "fast, twice")
    assert (results[1]["ActualResult"], results[1]["Notes"]) == ("0 items", SCRIPT)
    assert [s["HasAttachments"] for s in results] == [False, True, False, False, False]
    incidents = api.get("/incidents").json()["items"]
    assert [i["summary"] for i in incidents] == ["Cart stays empty"]


def test_the_last_outcome_completes_the_run_and_htmx_is_told_to_show_the_verdict(
    workspace: Workspace, api: httpx.Client
) -> None:
    run = start_run(api, "two steps", STEPS[:2])
    with signed_in(workspace, Role.TESTER) as browser:
        csrf = csrf_of(browser.get(f"/manual/{run}").text)
        first = browser.post(f"/manual/{run}/steps/1", data={"csrf": csrf, "outcome": "Passed"}, headers=HTMX)
        last = browser.post(f"/manual/{run}/steps/2", data={"csrf": csrf, "outcome": "Passed"}, headers=HTMX)
        assert first.status_code == 200 and "1 of 2 steps recorded" in first.text
        assert (last.status_code, last.headers.get("HX-Refresh")) == (204, "true")
        page = browser.get(f"/manual/{run}")
        assert "Passed" in page.text and "Save step" not in page.text
        # a save that finds the run completed (elsewhere) reloads the page under htmx too
        late = browser.post(f"/manual/{run}/steps/1", data={"csrf": csrf, "outcome": "Failed"}, headers=HTMX)
        assert (late.status_code, late.headers.get("HX-Refresh")) == (204, "true")
    assert steps_of(api, run)["status"] == "Passed"


def test_a_viewer_reads_a_run_but_sees_no_form_and_is_refused_every_change(
    workspace: Workspace, api: httpx.Client
) -> None:
    assignment = assign(api, "viewer sees", "viewer-user")
    run = start_run(api, "viewer reads")
    api.post(
        f"/executions/{run}/steps", json={"results": [{"step": 1, "outcome": "Failed", "notes": SCRIPT}]}
    )
    with signed_in(workspace, Role.VIEWER) as browser:
        listed = browser.get("/manual")
        page = browser.get(f"/manual/{run}")
        assert listed.status_code == page.status_code == 200
        assert "viewer reads" in listed.text and "Start a run" not in listed.text
        assert "Save step" not in page.text and "Attach" not in page.text and "Complete run" not in page.text
        assert "Raise an incident" not in page.text and "Keyboard shortcuts" not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and SCRIPT not in page.text
        csrf = csrf_of(page.text)  # the sign-out form's: a good token, so the role is what refuses
        refused = [
            browser.post(f"/manual/{run}/steps/2", data={"csrf": csrf, "outcome": "Passed"}),
            browser.post(
                f"/manual/{run}/steps/1/files", data={"csrf": csrf}, files={"file": ("a.txt", b"a")}
            ),
            browser.post(f"/manual/{run}/steps/1/incidents", data={"csrf": csrf, "summary": "no"}),
            browser.post(f"/manual/{run}/complete", data={"csrf": csrf}),
            browser.post(f"/manual/assignments/{assignment}/start", data={"csrf": csrf}),
        ]
        assert [r.status_code for r in refused] == [403] * 5
        assert "Not allowed" in refused[0].text
    native = steps_of(api, run)
    assert [s["outcome"] for s in native["steps"]] == ["Failed", "NotRun", "NotRun", "NotRun", "NotRun"]
    assert api.get(f"/executions/{run}/artifacts").json()["items"] == []
    assert api.get("/assignments/" + assignment + "/runs").json()["items"] == []


def test_a_tester_records_only_their_own_assignment_and_a_manager_any(
    workspace: Workspace, api: httpx.Client
) -> None:
    assignment = assign(api, "someone else's", "admin-user")
    run = str(api.post(f"/assignments/{assignment}/runs").json()["id"])
    with signed_in(workspace, Role.TESTER) as browser:
        page = browser.get(f"/manual/{run}")
        assert page.status_code == 200 and "Save step" not in page.text
        assert "its assignee (admin-user)" in page.text
        csrf = csrf_of(page.text)
        assert (
            browser.post(f"/manual/{run}/steps/1", data={"csrf": csrf, "outcome": "Passed"}).status_code
            == 403
        )
    with signed_in(workspace, Role.MANAGER) as browser:
        page = browser.get(f"/manual/{run}")
        assert "Save step 1" in page.text
        saved = browser.post(f"/manual/{run}/steps/1", data={"csrf": csrf_of(page.text), "outcome": "Passed"})
        assert saved.status_code == 303
    assert steps_of(api, run)["steps"][0]["outcome"] == "Passed"


def test_a_post_without_the_csrf_token_is_refused_and_records_nothing(
    workspace: Workspace, api: httpx.Client
) -> None:
    run = start_run(api, "csrf guarded")
    with signed_in(workspace, Role.ADMIN) as browser:
        missing = browser.post(f"/manual/{run}/steps/1", data={"outcome": "Passed"})
        wrong = browser.post(f"/manual/{run}/complete", data={"csrf": "forged"})
        files = browser.post(f"/manual/{run}/steps/1/files", files={"file": ("a.txt", b"a", "text/plain")})
        assert [r.status_code for r in (missing, wrong, files)] == [403, 403, 403]
    native = steps_of(api, run)
    assert (native["completed"], native["steps"][0]["outcome"]) == (False, "NotRun")


def test_bad_input_is_a_400_naming_the_field_and_unknown_things_are_404(
    workspace: Workspace, api: httpx.Client
) -> None:
    run = start_run(api, "bad input")
    other = start_run(api, "another run")
    api.post(f"/executions/{other}/steps", json={"results": [{"step": 1, "outcome": "Passed"}]})
    with signed_in(workspace, Role.TESTER) as browser:
        csrf = csrf_of(browser.get(f"/manual/{run}").text)
        outcome = browser.post(f"/manual/{run}/steps/1", data={"csrf": csrf, "outcome": "Warning"})
        notes = browser.post(f"/manual/{run}/steps/1", data={"csrf": csrf, "notes": "x" * 10_001})
        no_file = browser.post(f"/manual/{run}/steps/1/files", data={"csrf": csrf})
        no_summary = browser.post(f"/manual/{run}/steps/1/incidents", data={"csrf": csrf, "summary": " "})
        assert [r.status_code for r in (outcome, notes, no_file, no_summary)] == [400] * 4
        assert "outcome: must be one of" in outcome.text and "notes:" in notes.text
        assert "file:" in no_file.text and "summary:" in no_summary.text
        assert (
            browser.post(f"/manual/{run}/steps/9", data={"csrf": csrf, "outcome": "Passed"}).status_code
            == 404
        )
        assert browser.get("/manual/01a20000-0000-7000-8000-000000000000").status_code == 404
        # an automated execution is no manual run
        noop = api.post(
            "/test-cases", json={"kind": "noop", "name": "automatic", "publish": True, "content": {}}
        ).json()["id"]
        automatic = api.post("/executions", json={"test_case_id": noop}).json()["id"]
        assert browser.get(f"/manual/{automatic}").status_code == 404
        # a file is read only through the run it belongs to
        browser.post(f"/manual/{other}/steps/1/files", data={"csrf": csrf}, files={"file": ("o.txt", b"o")})
        artifact = api.get(f"/executions/{other}/artifacts").json()["items"][0]["id"]
        assert browser.get(f"/manual/{run}/files/{artifact}").status_code == 404
        assert browser.get(f"/manual/{other}/files/{artifact}").status_code == 200
    assert steps_of(api, run)["steps"][0]["outcome"] == "NotRun"


def test_the_list_teaches_when_empty_and_links_the_runs_in_progress(
    workspace: Workspace, api: httpx.Client
) -> None:
    with signed_in(workspace, Role.TESTER) as browser:
        empty = browser.get("/manual")
        assert "Nothing is assigned to tester-user." in empty.text
        assert (
            "No manual run is in progress." in empty.text and "<code>testament run NAME</code>" in empty.text
        )
        assert 'aria-current="page"' in empty.text and 'href="/manual"' in empty.text
        run = start_run(api, f"open {SCRIPT}")
        listed = browser.get("/manual")
        assert f'href="/manual/{run}"' in listed.text and "In progress" in listed.text
        assert SCRIPT not in listed.text and "open &lt;script&gt;" in listed.text
