"""The web UI's foundation over HTTP: signing in with a key, the session cookie and its end
(sign-out, expiry, revocation), CSRF, redirects after sign-in, the pages of every role, security
headers, escaping, static files and error pages."""

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from itsdangerous import URLSafeSerializer
from sqlalchemy import select, update

from testament.config import Settings
from testament.domain.access import Role
from testament.services import keys, workspaces
from testament.store.tables import ui_sessions
from testament.web.session import Viewer
from tests.conftest import LiveServer, Workspace, new_workspace, start_server
from tests.e2e.web import PAGES, csrf_of, sign_in, signed_in, web_client

SCRIPT = "<script>alert(1)</script>"


def _session_cookie(answer: httpx.Response) -> str:
    header = next(h for h in answer.headers.get_list("set-cookie") if h.startswith("testament_session="))
    return header


def _stored_session(live: LiveServer, cookie_value: str) -> dict[str, object]:
    session_id = URLSafeSerializer("test-secret", salt="testament.ui-session").loads(cookie_value)
    with live.ctx.db.reading() as session:
        row = session.execute(
            select(ui_sessions).where(
                ui_sessions.c.id_hash == hashlib.sha256(session_id.encode()).hexdigest()
            )
        ).first()
    assert row is not None
    return dict(row._mapping)


def test_a_page_without_a_session_sends_the_browser_to_sign_in_with_the_page_to_come_back_to(
    live: LiveServer,
) -> None:
    with web_client(live.url) as client:
        for path in PAGES:
            answer = client.get(path, params={"status": "FAILED"} if path == "/runs" else None)
            assert answer.status_code == 303, path
            expected = "/sign-in" if path == "/" else f"/sign-in?next={path}"
            assert answer.headers["location"].startswith(expected), path
        assert (
            client.get("/runs?status=FAILED").headers["location"] == "/sign-in?next=/runs%3Fstatus%3DFAILED"
        )


def test_signing_in_with_a_good_key_lands_on_the_page_asked_for(workspace: Workspace) -> None:
    with web_client(workspace.url) as client:
        answer = sign_in(client, workspace.keys[Role.TESTER].token, "/plans?x=1")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/plans?x=1"
        page = client.get("/plans")
        assert page.status_code == 200
        assert "<h1>Plans</h1>" in page.text
        assert "tester-user · tester" in page.text


def test_a_bad_key_shows_the_sign_in_page_again_with_an_error_and_no_session(live: LiveServer) -> None:
    with web_client(live.url) as client:
        answer = sign_in(client, "tst_not-a-key", "/runs")
        assert answer.status_code == 401
        assert "That API key is not valid" in answer.text
        assert 'name="api_key"' in answer.text
        assert "set-cookie" not in answer.headers
        assert client.get("/runs").status_code == 303


def test_the_session_cookie_is_httponly_lax_and_secure_only_over_https(workspace: Workspace) -> None:
    token = workspace.keys[Role.VIEWER].token
    with web_client(workspace.url) as client:
        cookie = _session_cookie(sign_in(client, token)).lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
        assert "secure" not in cookie
    # behind a TLS proxy on this host, the server sees the request as https (X-Forwarded-Proto)
    with web_client(workspace.url) as client:
        client.headers["X-Forwarded-Proto"] = "https"
        assert "secure" in _session_cookie(sign_in(client, token)).lower()


def test_the_cookie_holds_a_signed_session_id_and_the_database_only_its_hash(
    live: LiveServer, workspace: Workspace
) -> None:
    key = workspace.keys[Role.MANAGER]
    with web_client(workspace.url) as client:
        sign_in(client, key.token)
        value = client.cookies["testament_session"]
    assert key.token not in value and key.token.removeprefix("tst_") not in value
    row = _stored_session(live, value)
    assert row["key_id"] == key.id and row["workspace_id"] == workspace.id
    assert value not in row.values() and row["ended_at"] is None
    session_id = URLSafeSerializer("test-secret", salt="testament.ui-session").loads(value)
    assert session_id not in [str(v) for v in row.values()]


def test_a_forged_cookie_is_no_session(live: LiveServer) -> None:
    with web_client(live.url) as client:
        client.cookies["testament_session"] = "forged.value"
        assert client.get("/runs").status_code == 303


def test_an_expired_session_sends_the_browser_to_sign_in(live: LiveServer, workspace: Workspace) -> None:
    with signed_in(workspace, Role.TESTER) as client:
        assert client.get("/runs").status_code == 200
        cookie = client.cookies["testament_session"]
        row = _stored_session(live, cookie)
        with live.ctx.uow() as uow:
            uow.session.execute(
                update(ui_sessions)
                .where(ui_sessions.c.id_hash == row["id_hash"])
                .values(expires_at=live.ctx.clock() - timedelta(seconds=1))
            )
            uow.commit()
        answer = client.get("/runs")
        assert answer.status_code == 303 and answer.headers["location"] == "/sign-in?next=/runs"


def test_revoking_the_key_ends_its_sessions(live: LiveServer, workspace: Workspace) -> None:
    with signed_in(workspace, Role.TESTER) as client:
        assert client.get("/").status_code == 200
        keys.revoke_key(live.ctx, workspace.keys[Role.TESTER].id)
        assert client.get("/").status_code == 303
        assert client.get("/settings").headers["location"] == "/sign-in?next=/settings"


def test_signing_out_ends_the_session(live: LiveServer, workspace: Workspace) -> None:
    with signed_in(workspace, Role.VIEWER) as client:
        page = client.get("/")
        cookie = client.cookies["testament_session"]
        answer = client.post("/sign-out", data={"csrf": csrf_of(page.text)})
        assert answer.status_code == 303 and answer.headers["location"] == "/sign-in"
        assert _stored_session(live, cookie)["ended_at"] is not None
        client.cookies["testament_session"] = cookie  # a copy of the cookie kept elsewhere
        assert client.get("/").status_code == 303


@pytest.mark.parametrize("csrf", [None, "", "wrong-token"])
def test_a_post_without_the_sessions_csrf_token_is_refused_and_changes_nothing(
    live: LiveServer, workspace: Workspace, csrf: str | None
) -> None:
    with signed_in(workspace, Role.ADMIN) as client:
        cookie = client.cookies["testament_session"]
        answer = client.post("/sign-out", data={} if csrf is None else {"csrf": csrf})
        assert answer.status_code == 403
        assert "text/html" in answer.headers["content-type"] and "CSRF" in answer.text
        assert _stored_session(live, cookie)["ended_at"] is None
        assert client.get("/").status_code == 200


def test_htmx_sends_the_csrf_token_as_a_header(workspace: Workspace) -> None:
    with signed_in(workspace, Role.ADMIN) as client:
        token = csrf_of(client.get("/").text)
        answer = client.post("/sign-out", headers={"X-CSRF-Token": token, "HX-Request": "true"})
        assert answer.status_code == 303


def test_a_sign_in_form_not_from_this_server_is_refused(workspace: Workspace) -> None:
    with web_client(workspace.url) as client:
        answer = client.post("/sign-in", data={"api_key": workspace.keys[Role.ADMIN].token, "csrf": "x"})
        assert answer.status_code == 403
        assert "set-cookie" not in answer.headers


@pytest.mark.parametrize(
    "next_path",
    ["//evil.example/", "http://evil.example/", "https://evil.example", "/\\evil.example", "evil", "/\tx"],
)
def test_sign_in_never_sends_the_browser_to_another_site(workspace: Workspace, next_path: str) -> None:
    with web_client(workspace.url) as client:
        answer = sign_in(client, workspace.keys[Role.VIEWER].token, next_path)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/"


@pytest.mark.parametrize("role", list(Role))
def test_every_page_renders_in_the_layout_for_every_role_with_its_security_headers(
    workspace: Workspace, role: Role
) -> None:
    with signed_in(workspace, role) as client:
        for path in PAGES:
            page = client.get(path)
            assert page.status_code == 200, path
            assert "text/html" in page.headers["content-type"]
            csp = page.headers["content-security-policy"]
            assert (
                "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
            )
            assert page.headers["x-content-type-options"] == "nosniff"
            assert page.headers["referrer-policy"] == "same-origin"
            assert '<main id="main"' in page.text and 'href="#main"' in page.text
            assert f"· {role.value}</span>" in page.text
            assert 'action="/sign-out"' in page.text
            assert "<script>" not in page.text.replace("<script src=", "")  # no inline script


def test_names_of_the_workspace_and_user_appear_escaped(live: LiveServer) -> None:
    ws = workspaces.create_workspace(live.ctx, SCRIPT)
    key = keys.create_key(live.ctx, ws.id, Role.VIEWER, SCRIPT)
    with web_client(live.url) as client:
        sign_in(client, key.token)
        page = client.get("/")
    assert page.status_code == 200
    assert SCRIPT not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_a_reflected_next_path_is_escaped_on_the_sign_in_page(live: LiveServer) -> None:
    with web_client(live.url) as client:
        page = client.get("/sign-in", params={"next": '/x"><script>alert(1)</script>'})
    assert page.status_code == 200
    assert SCRIPT not in page.text and "&lt;script&gt;" in page.text


def test_the_dashboard_shows_the_workspaces_runs(live: LiveServer, workspace: Workspace) -> None:
    with signed_in(workspace, Role.VIEWER) as client:
        assert "No runs yet" in client.get("/").text


def test_static_files_are_served_with_long_cache_headers(live: LiveServer) -> None:
    with web_client(live.url) as client:
        sign_in_page = client.get("/sign-in").text
        for name in ("testament.css", "vendor/htmx.min.js", "vendor/sse.min.js"):
            assert f"/static/{name}?v=" in sign_in_page
            answer = client.get(f"/static/{name}")
            assert answer.status_code == 200, name
            assert "max-age=31536000" in answer.headers["cache-control"]
            assert answer.headers["x-content-type-options"] == "nosniff"


def test_a_ui_404_is_a_page_and_the_apis_keep_their_wire_format(workspace: Workspace) -> None:
    with signed_in(workspace, Role.VIEWER) as client:
        page = client.get("/no-such-page")
        assert page.status_code == 404 and "text/html" in page.headers["content-type"]
        assert "Not found" in page.text and "content-security-policy" in page.headers
        assert '<nav class="sidenav" aria-label="Main">' in page.text  # in the layout, signed in
        api = client.get("/api/v1/no-such-thing")
        assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
        assert "content-security-policy" not in api.headers
        assert client.get("/healthz").json()["status"] == "ok"


def test_an_htmx_request_without_a_session_is_told_where_to_sign_in(live: LiveServer) -> None:
    with web_client(live.url) as client:
        answer = client.get("/runs", headers={"HX-Request": "true"})
        assert answer.status_code == 204 and answer.headers["hx-redirect"] == "/sign-in?next=/runs"


def _with_probe(app: Any) -> Any:
    """The real app, plus one action a page might offer: stopping something (role tester+)."""
    probe = APIRouter()

    @probe.post("/probe/stop")
    def stop(user: Viewer) -> PlainTextResponse:
        user.require("stop")
        return PlainTextResponse("stopped")

    app.include_router(probe)
    return app


@pytest.fixture(scope="module")
def probed(settings: Settings) -> Iterator[LiveServer]:
    server = start_server(settings, start_engine=False, wrap=_with_probe)
    yield server
    server.stop()


@pytest.mark.parametrize("role", list(Role))
def test_an_action_the_role_may_not_take_is_refused_with_a_page(
    probed: LiveServer, live: LiveServer, role: Role
) -> None:
    workspace = new_workspace(live.ctx, probed.url)
    with signed_in(workspace, role) as client:
        csrf = csrf_of(client.get("/").text)
        answer = client.post("/probe/stop", data={"csrf": csrf})
    if role is Role.VIEWER:
        assert answer.status_code == 403
        assert "text/html" in answer.headers["content-type"]
        assert "role viewer may not execute" in answer.text and 'action="/sign-out"' in answer.text
    else:
        assert answer.status_code == 200 and answer.text == "stopped"
