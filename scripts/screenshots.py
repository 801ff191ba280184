"""`make screenshots`: a PNG of each page of the web UI, at desktop width and 360 px, light and
dark, into docs/screenshots/<page>-<width>-<theme>.png.

It starts `testament serve --demo` on 127.0.0.1 with a fresh data directory, makes real runs in
the demo workspace through the API (its test cases and its plan, several times, one made to
fail, and waits for them: history and charts are not empty; a candidate takes the demo task's
first step through the TestInvite surface, so the task has an instance with a scoreboard),
then signs in through the form as a person would and photographs each page of PAGES in
Debian's chromium.

To add a page, add a line to PAGES: its name (the file's), and its path, where `{name}` takes an
id from what `make_runs` made (see IDS there). A page that is not there yet (404) is left out
with a note, so the list can name pages before they exist.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import httpx
from playwright.sync_api import Page, ViewportSize, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.browser.ui, the browser tier's helpers

from tests.browser.ui import NARROW, WIDE, launch_chromium, sign_in  # noqa: E402

# (file name, path): `{...}` takes an id of IDS (make_runs)
PAGES: list[tuple[str, str]] = [
    ("dashboard", "/"),
    ("runs", "/runs"),
    ("run", "/runs/{execution}"),
    ("run-failed", "/runs/{failed_execution}"),
    ("run-connect", "/runs/{connect_execution}"),
    ("start-run", "/runs/new"),
    ("test-cases", "/test-cases"),
    ("test-case", "/test-cases/{test_case}"),
    ("plans", "/plans"),
    ("plan", "/plans/{plan}"),
    ("plan-run", "/plan-runs/{plan_run}"),
    ("manual", "/manual"),
    ("manual-run", "/manual/{manual_execution}"),
    ("tasks", "/tasks"),
    ("task", "/tasks/{task}"),
    ("task-instance", "/tasks/{task}/instances/{task_instance}"),
    ("workers", "/workers"),
    ("settings", "/settings"),
]
WIDTHS: dict[str, ViewportSize] = {"desktop": WIDE, "360": NARROW}
THEMES: tuple[Literal["light", "dark"], ...] = ("light", "dark")
OUT = ROOT / "docs" / "screenshots"
RUNS_OF_EACH = 4  # starts of each demo test case and of the plan: enough for a trend
TERMINAL = {"PASSED", "FAILED", "STOPPED", "ERROR"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def demo_server(data_dir: Path) -> Iterator[tuple[str, str]]:
    """`testament serve --demo` on a fresh data directory: its URL and the demo's admin key."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "TESTAMENT_DATA_DIR": str(data_dir),
        "TESTAMENT_DATABASE_URL": f"sqlite:///{data_dir / 'testament.db'}",
    }
    log = (data_dir / "serve.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "testament.cli.main",
            "serve",
            "--demo",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise SystemExit(f"testament serve exited at start; its log: {data_dir / 'serve.log'}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit("testament serve did not answer /healthz within 60 s")
            time.sleep(0.2)
        demo = json.loads((data_dir / "demo.json").read_text())  # written before it serves
        yield url, demo["token"]
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def _wait(api: httpx.Client, execution_ids: list[str], timeout_s: float = 120) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    while True:
        found = [api.get(f"/executions/{x}").raise_for_status().json() for x in execution_ids]
        if all(x["status"] in TERMINAL for x in found) or time.monotonic() > deadline:
            return found
        time.sleep(0.3)


def make_runs(api: httpx.Client) -> dict[str, str]:
    """Real runs in the demo workspace; IDS: the ids PAGES' paths use."""
    cases = {
        c["name"]: c for c in api.get("/test-cases", params={"limit": 100}).raise_for_status().json()["items"]
    }
    plan_id = api.get("/plans/nightly").raise_for_status().json()["id"]
    ids: dict[str, str] = {"plan": plan_id, "test_case": cases["health"]["id"]}
    automatic = [name for name, case in cases.items() if case.get("kind") != "manual"]
    for round_ in range(RUNS_OF_EACH):
        started: list[str] = []
        for name in automatic:
            body: dict[str, Any] = {"test_case_id": cases[name]["id"]}
            if name == "auth-required" and round_ % 2:
                body["variables"] = {"api": "/no-such-api"}  # a 404 where a 401 is expected: a failure
            started += [
                x["id"] for x in api.post("/executions", json=body).raise_for_status().json()["executions"]
            ]
        plan_run = api.post("/executions", json={"plan_id": plan_id}).raise_for_status().json()
        started += [x["id"] for x in plan_run["executions"]]
        finished = _wait(api, started)
        ids["plan_run"] = plan_run["plan_run_id"]
        for x in finished:
            if x["test_case_id"] == cases["health"]["id"]:
                ids["execution"] = x["id"]
            if "welcome" in cases and x["test_case_id"] == cases["welcome"]["id"]:
                ids["connect_execution"] = x["id"]
            if x["status"] == "FAILED":
                ids["failed_execution"] = x["id"]
        statuses = ", ".join(sorted({x["status"] for x in finished}))
        print(f"round {round_ + 1}: {len(finished)} executions, {statuses}")
    # the demo's manual assignment, started, its first step done: a run halfway, waiting for a person
    for assignment in api.get("/assignments").raise_for_status().json()["items"][:1]:
        run = api.post(f"/assignments/{assignment['id']}/runs").raise_for_status().json()
        ids["manual_execution"] = run["id"]
        first = {"step": 1, "outcome": "Passed", "actual_result": "The cart shows 1 item"}
        api.post(f"/executions/{run['id']}/steps", json={"results": [first]}).raise_for_status()
    tasks = api.get("/tasks").raise_for_status().json()["items"]
    if tasks:
        ids["task"] = tasks[0]["id"]
        ids["task_instance"] = take_a_step(api, tasks[0])
    return ids


def take_a_step(api: httpx.Client, task: dict[str, Any]) -> str:
    """A candidate starts the task's first step through the TestInvite surface, as its clients do,
    and the instance completes: the task lists it, its page shows a scoreboard. Its id."""
    ti = str(api.base_url).rstrip("/").removesuffix("/api/v1") + "/testinvite/api/integration/rest/v1"
    base = f"{ti}/tasks/{task['id']}"
    step = task["steps"][0]["id"]
    headers = {"Authorization": api.headers["Authorization"]}
    candidate = (
        httpx.post(
            f"{base}/candidates",
            headers=headers,
            json={"kind": "temporary-candidate", "externalId": "build-agent-7", "fullname": "Build agent 7"},
            timeout=30,
        )
        .raise_for_status()
        .json()["candidateId"]
    )
    started = httpx.post(f"{base}/candidates/{candidate}/steps/{step}/start", headers=headers, timeout=30)
    instance = str(started.raise_for_status().json()["testInstanceId"])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = httpx.get(f"{base}/test-instances/{instance}", headers=headers, timeout=30).raise_for_status()
        if found.json()["status"] == "COMPLETE":
            print(f"task {task['title']!r}: instance {instance} complete")
            return instance
        time.sleep(0.3)
    print(f"task {task['title']!r}: instance {instance} did not complete within 120 s")
    return instance


def shoot(page: Page, base_url: str, name: str, path: str, width: str, theme: str) -> bool:
    answer = page.goto(base_url + path)
    if answer is None or answer.status == 404:
        return False
    page.wait_for_load_state("networkidle")
    target = OUT / f"{name}-{width}-{theme}.png"
    page.screenshot(path=str(target), full_page=True)
    return True


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.png"):  # a page left out now leaves no picture of an old version
        old.unlink()
    with (
        tempfile.TemporaryDirectory(prefix="testament-screenshots-") as tmp,
        demo_server(Path(tmp)) as (url, token),
    ):
        with httpx.Client(
            base_url=url + "/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as api:
            ids = make_runs(api)
        missing: set[str] = set()
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            for width, viewport in WIDTHS.items():
                for theme in THEMES:
                    context = browser.new_context(viewport=viewport, color_scheme=theme)
                    page = sign_in(context.new_page(), url, token, "/")
                    for name, template in PAGES:
                        try:
                            path = template.format(**ids)
                        except KeyError as exc:
                            missing.add(f"{name} (no {exc.args[0]} was made)")
                            continue
                        if not shoot(page, url, name, path, width, theme):
                            missing.add(f"{name} ({path} answers 404)")
                    context.close()
            browser.close()
    made = sorted(p.name for p in OUT.glob("*.png"))
    print(f"{len(made)} screenshots in {OUT.relative_to(ROOT)}/")
    for line in sorted(missing):
        print(f"left out: {line}")


if __name__ == "__main__":
    main()
