"""The settings page (/settings) over HTTP: environments with their secrets shown as set (never a
value or its ciphertext); admins create keys (the token shown once, and it works for the API) and
revoke them (a confirm step; revoking ends the key's sessions, its own one's too); every other
role sees no key control and the server refuses them."""

import uuid

import httpx
import pytest

from testament.domain.access import Role
from testament.services import environments
from tests.conftest import LiveServer, Workspace
from tests.e2e.web import csrf_of, signed_in

SECRET = "s3cr3t-value-never-shown"


def _environment(workspace: Workspace) -> dict[str, str]:
    name = f"staging-{uuid.uuid4().hex[:6]}"
    with workspace.client() as api:
        made = api.post(
            "/environments",
            json={
                "name": name,
                "variables": {"base_url": "https://staging.example", "retries": 3},
                "secrets": {"API_TOKEN": SECRET},
            },
        )
    assert made.status_code == 201, made.text
    return {"id": made.json()["id"], "name": name}


@pytest.mark.parametrize("role", list(Role))
def test_environments_show_variables_and_secrets_as_set_only(
    live: LiveServer, workspace: Workspace, role: Role
) -> None:
    env = _environment(workspace)
    stored = environments.get_environment(live.ctx, workspace.principal(live.ctx), env["id"])
    ciphertext = stored.secrets["API_TOKEN"]
    with signed_in(workspace, role) as client:
        page = client.get("/settings")
    assert page.status_code == 200
    assert f"<strong>{env['name']}</strong>" in page.text
    assert "base_url" in page.text and "https://staging.example" in page.text and ">3<" in page.text
    assert '<dt class="mono">API_TOKEN</dt>' in page.text and "set</span>" in page.text
    assert SECRET not in page.text and ciphertext not in page.text


def test_no_environment_yet_teaches_how_to_make_one(workspace: Workspace) -> None:
    with signed_in(workspace, Role.VIEWER) as client:
        page = client.get("/settings").text
    assert "No environments yet." in page and "<code>testament apply</code>" in page


def test_an_admin_sees_the_keys_and_the_form_to_create_one(workspace: Workspace) -> None:
    with signed_in(workspace, Role.ADMIN) as client:
        page = client.get("/settings").text
    for role in Role:
        key = workspace.keys[role]
        assert key.access_key_id in page
        assert f'href="/settings/keys/{key.id}/revoke"' in page
        assert key.token not in page and key.secret_access_key not in page
    assert 'admin-user <span class="muted">(this session)</span>' in page
    assert 'action="/settings/keys"' in page and 'name="csrf"' in page
    assert '<label for="key-role">Role</label>' in page and '<label for="key-user">User name</label>' in page


@pytest.mark.parametrize("role", [Role.MANAGER, Role.TESTER, Role.VIEWER])
def test_other_roles_see_no_key_controls_and_the_server_refuses_them(
    workspace: Workspace, role: Role
) -> None:
    target = workspace.keys[Role.VIEWER]
    with signed_in(workspace, role) as client:
        page = client.get("/settings")
        csrf = csrf_of(page.text)  # the sign-out form's: a real session's token
        assert 'action="/settings/keys"' not in page.text and "/revoke" not in page.text
        assert target.access_key_id not in page.text
        assert "Keys are managed by the workspace's admins" in page.text
        made = client.post("/settings/keys", data={"csrf": csrf, "role": "admin", "user_name": "sneaky"})
        confirm = client.get(f"/settings/keys/{target.id}/revoke")
        revoke = client.post(f"/settings/keys/{target.id}/revoke", data={"csrf": csrf})
    for answer in (made, confirm, revoke):
        assert answer.status_code == 403
        assert "text/html" in answer.headers["content-type"]
    with workspace.client(Role.ADMIN) as api:
        listed = api.get("/keys").json()["items"]
    assert "sneaky" not in {k["user_name"] for k in listed}
    assert all(k["revoked_at"] is None for k in listed if k["id"] == target.id)


def test_a_new_key_is_shown_once_and_works_for_the_api(workspace: Workspace) -> None:
    with signed_in(workspace, Role.ADMIN) as client:
        csrf = csrf_of(client.get("/settings").text)
        answer = client.post("/settings/keys", data={"csrf": csrf, "role": "tester", "user_name": "ci-bot"})
        assert answer.status_code == 201
        assert answer.headers["cache-control"] == "no-store"
        token = answer.text.split('id="new-token" class="mono secret-once" readonly value="')[1].split('"')[0]
        assert token.startswith("tst_")
        assert "shown this once" in answer.text
        again = client.get("/settings").text
    assert token not in again and "ci-bot" in again
    with httpx.Client(
        base_url=workspace.url + "/api/v1", headers={"Authorization": f"Bearer {token}"}
    ) as api:
        me = api.get("/whoami")
    assert me.status_code == 200
    assert me.json()["role"] == "tester" and me.json()["user"] == "ci-bot"


@pytest.mark.parametrize(
    ("form", "field"),
    [({"role": "owner", "user_name": "x"}, "role"), ({"role": "", "user_name": "x"}, "role")],
)
def test_a_bad_key_form_is_a_400_naming_the_field(
    workspace: Workspace, form: dict[str, str], field: str
) -> None:
    with signed_in(workspace, Role.ADMIN) as client:
        csrf = csrf_of(client.get("/settings").text)
        answer = client.post("/settings/keys", data={"csrf": csrf, **form})
    assert answer.status_code == 400
    assert field in answer.text


def test_creating_a_key_without_the_csrf_token_is_refused(workspace: Workspace) -> None:
    with signed_in(workspace, Role.ADMIN) as client:
        answer = client.post("/settings/keys", data={"role": "admin", "user_name": "forged"})
    assert answer.status_code == 403
    with workspace.client() as api:
        assert "forged" not in {k["user_name"] for k in api.get("/keys").json()["items"]}


def test_revoking_a_key_asks_first_then_ends_its_api_use_and_sessions(workspace: Workspace) -> None:
    victim = workspace.keys[Role.TESTER]
    with signed_in(workspace, Role.TESTER) as tester, signed_in(workspace, Role.ADMIN) as admin:
        assert tester.get("/runs").status_code == 200
        confirm = admin.get(f"/settings/keys/{victim.id}/revoke")
        assert confirm.status_code == 200
        assert "Revoke the key of tester-user?" in confirm.text
        assert f'action="/settings/keys/{victim.id}/revoke"' in confirm.text
        assert "Revoke the key of tester-user</button>" in confirm.text
        done = admin.post(f"/settings/keys/{victim.id}/revoke", data={"csrf": csrf_of(confirm.text)})
        assert done.status_code == 303
        assert done.headers["location"] == f"/settings?revoked={victim.id}#keys"
        after = admin.get(done.headers["location"])
        assert "Revoked</span> the key of <strong>tester-user</strong>" in after.text
        assert f'href="/settings/keys/{victim.id}/revoke"' not in after.text
        ended = tester.get("/runs")
        assert ended.status_code == 303 and ended.headers["location"].startswith("/sign-in")
    with workspace.client(Role.TESTER) as api:
        assert api.get("/whoami").status_code == 401


def test_revoking_the_key_of_the_session_signs_it_out(workspace: Workspace) -> None:
    with signed_in(workspace, Role.ADMIN) as client:
        confirm = client.get(f"/settings/keys/{workspace.keys[Role.ADMIN].id}/revoke")
        assert "revoking it signs you out" in confirm.text
        done = client.post(
            f"/settings/keys/{workspace.keys[Role.ADMIN].id}/revoke", data={"csrf": csrf_of(confirm.text)}
        )
        assert done.status_code == 303 and done.headers["location"] == "/sign-in"
        assert any(
            h.startswith('testament_session=""') or "Max-Age=0" in h
            for h in done.headers.get_list("set-cookie")
        )
        assert client.get("/settings").status_code == 303


def test_a_key_of_another_workspace_cannot_be_revoked_here(workspace: Workspace, live: LiveServer) -> None:
    from tests.conftest import new_workspace

    other = new_workspace(live.ctx, live.url)
    foreign = other.keys[Role.VIEWER]
    with signed_in(workspace, Role.ADMIN) as client:
        csrf = csrf_of(client.get("/settings").text)
        assert client.get(f"/settings/keys/{foreign.id}/revoke").status_code == 404
        assert client.post(f"/settings/keys/{foreign.id}/revoke", data={"csrf": csrf}).status_code == 404
    with other.client(Role.VIEWER) as api:
        assert api.get("/whoami").status_code == 200
