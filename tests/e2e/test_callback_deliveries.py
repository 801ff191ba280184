"""Completion callbacks that fail are seen: each failed attempt is logged (without the tokens
a URL's query, user info or fragment or a callback's params may carry), and managers and
admins read every delivery through /api/v1/callback-deliveries."""

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from testament.domain.access import Role
from tests.conftest import (
    LiveServer,
    Workspace,
    free_port,
    make_settings,
    new_workspace,
    start_server,
    wait_for,
)
from tests.e2e.test_api_test_cases import assert_problem
from tests.e2e.test_testinvite import add_candidate, make_task, start, ti_client
from tests.integration.conftest import fresh_database_url

LOGGER = "testament.engine.callbacks"
SECRETS = ("URL-SECRET-1", "PARAM-SECRET-2", "pa55word", "FRAGMENT-SECRET-3")


class Receiver:
    """A local callback receiver: answers `fail_with` to the first `failures` posts; holds each
    later post until `release` is set, then takes it (200)."""

    def __init__(self, failures: int = 0, fail_with: int = 503) -> None:
        self.calls: list[dict[str, Any]] = []
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def do_POST(self) -> None:
                receiver.calls.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                failing = len(receiver.calls) <= failures
                if not failing:
                    receiver.release.wait(20)
                self.send_response(fail_with if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port

    def __enter__(self) -> "Receiver":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release.set()
        self.server.shutdown()


def callback_to(port: int) -> dict[str, Any]:
    """A callback whose URL and params carry tokens that must never be logged or shown."""
    return {
        "url": f"http://ci:pa55word@127.0.0.1:{port}/done?token=URL-SECRET-1#FRAGMENT-SECRET-3",
        "params": {"token": "PARAM-SECRET-2"},
        "resource": "basic",
    }


def complete_a_step(ti: httpx.Client, api: httpx.Client, target: Any, external_id: str, port: int) -> str:
    """A candidate with a callback completes a quick step; returns the test instance id."""
    task = make_task(api, target.url)
    candidate = add_candidate(ti, task["id"], external_id, callback=callback_to(port))
    started = start(ti, task["id"], candidate["candidateId"], task["steps"][1]["id"])
    return str(started["testInstanceId"])


def deliveries_of(api: httpx.Client, instance: str) -> list[dict[str, Any]]:
    response = api.get("/callback-deliveries", params={"test_instance_id": instance})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def failure_lines(caplog: pytest.LogCaptureFixture, delivery_id: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and delivery_id in r.getMessage()]


@pytest.fixture
def ti(live: LiveServer, workspace: Workspace) -> Iterator[httpx.Client]:
    with ti_client(live, workspace) as client:
        yield client


def test_a_failed_delivery_is_logged_without_tokens_and_managers_see_it_retried_and_delivered(
    ti: httpx.Client, api: httpx.Client, target: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    with Receiver(failures=1, fail_with=503) as receiver:
        instance = complete_a_step(ti, api, target, "hooked", receiver.port)
        wait_for(lambda: len(receiver.calls) >= 2, 30)  # failed once; the retry is held
        [waiting] = deliveries_of(api, instance)
        receiver.release.set()
        delivered = wait_for(lambda: [d["status"] for d in deliveries_of(api, instance)] == ["delivered"], 30)
        [done] = deliveries_of(api, instance)

    assert delivered
    shown = f"http://127.0.0.1:{receiver.port}/done"
    assert (waiting["status"], waiting["attempts"], waiting["max_attempts"]) == ("pending", 1, 8)
    assert (waiting["last_status_code"], waiting["url"], waiting["test_instance_id"]) == (
        503,
        shown,
        instance,
    )
    assert "HTTP 503" in waiting["last_error"]
    assert waiting["last_attempt_at"] and waiting["next_attempt_at"] and waiting["delivered_at"] is None
    assert (done["id"], done["status"], done["attempts"]) == (waiting["id"], "delivered", 2)
    assert (done["last_error"], done["last_status_code"], done["next_attempt_at"]) == ("", 200, None)
    assert done["delivered_at"] and done["task_id"]
    assert api.get(f"/callback-deliveries/{done['id']}").json() == done

    [line] = failure_lines(caplog, done["id"])
    assert f"test instance {instance}" in line and "attempt 1 of 8" in line
    assert f"to {shown} failed" in line and "HTTP 503" in line and "next try at" in line
    assert all(secret not in caplog.text for secret in SECRETS)
    assert all(secret not in json.dumps(done) for secret in SECRETS)


def test_a_delivery_that_never_gets_through_is_given_up_logged_and_shown_failed(
    tmp_path: Path, target: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    settings = make_settings(
        tmp_path / "data", fresh_database_url(tmp_path), callback_backoff_s=0.01, callback_poll_s=0.05
    )
    server = start_server(settings)  # quick retries, so that all 8 attempts fit in a test
    try:
        workspace = new_workspace(server.ctx, server.url)
        nobody_listens = free_port()
        with workspace.client() as api, ti_client(server, workspace) as ti:
            instance = complete_a_step(ti, api, target, "unreachable", nobody_listens)
            wait_for(lambda: [d["status"] for d in deliveries_of(api, instance)] == ["failed"], 60)
            [failed] = deliveries_of(api, instance)
            listed = api.get("/callback-deliveries", params={"status": "failed"}).json()["items"]
    finally:
        server.stop()

    assert (failed["attempts"], failed["last_status_code"], failed["next_attempt_at"]) == (8, None, None)
    assert failed["last_error"].startswith("ConnectError: ") and failed["delivered_at"] is None
    assert [d["id"] for d in listed] == [failed["id"]]
    lines = failure_lines(caplog, failed["id"])
    assert [f"attempt {n} of 8" in line for n, line in enumerate(lines, 1)] == [True] * 8
    assert all("ConnectError" in line and "/done failed" in line for line in lines)
    assert all("next try at" in line for line in lines[:-1])
    assert lines[-1].endswith("gave up after 8 attempts")
    assert all(secret not in caplog.text for secret in SECRETS)


def test_only_managers_and_admins_of_the_workspace_read_deliveries(
    ti: httpx.Client,
    api: httpx.Client,
    target: Any,
    live: LiveServer,
    workspace: Workspace,
) -> None:
    with Receiver() as receiver:
        receiver.release.set()  # takes every post
        first = complete_a_step(ti, api, target, "first", receiver.port)
        second = complete_a_step(ti, api, target, "second", receiver.port)
        wait_for(
            lambda: [d["status"] for i in (first, second) for d in deliveries_of(api, i)] == ["delivered"] * 2
        )

    with workspace.client(Role.MANAGER) as manager:
        page_one = manager.get("/callback-deliveries", params={"limit": 1}).json()
        page_two = manager.get(
            "/callback-deliveries", params={"limit": 1, "cursor": page_one["next_cursor"]}
        ).json()
        delivered = manager.get("/callback-deliveries", params={"status": "delivered"}).json()["items"]
        pending = manager.get("/callback-deliveries", params={"status": "pending"}).json()["items"]
        bad_status = manager.get("/callback-deliveries", params={"status": "lost"})
        unknown_instance = manager.get(
            "/callback-deliveries", params={"test_instance_id": "no-such-instance"}
        )
    one = page_one["items"][0]["id"]
    refused = {}
    for role in (Role.TESTER, Role.VIEWER):
        with workspace.client(role) as client:
            refused[role] = (client.get("/callback-deliveries"), client.get(f"/callback-deliveries/{one}"))
    with new_workspace(live.ctx, live.url).client() as stranger:
        strangers_list = stranger.get("/callback-deliveries").json()["items"]
        strangers_get = stranger.get(f"/callback-deliveries/{one}")

    newest_first = [deliveries_of(api, second)[0]["id"], deliveries_of(api, first)[0]["id"]]
    assert [d["id"] for d in page_one["items"] + page_two["items"]] == newest_first
    assert page_two["next_cursor"] is None
    assert [d["id"] for d in delivered] == newest_first and pending == []
    assert (
        assert_problem(bad_status, 422, "status")["errors"][0]["rule"]
        == "must be one of pending, delivered, failed"
    )
    refused_filter = assert_problem(unknown_instance, 422, "test_instance_id")
    assert "no-such-instance" in refused_filter["errors"][0]["rule"]
    for listing, single in refused.values():
        assert_problem(listing, 403)
        assert_problem(single, 403)
    assert strangers_list == []
    assert_problem(strangers_get, 404)
