"""Users are an entity of the workspace: keys belong to them; admins manage them over
/api/v1/users and through Enterprise Tester's user resources, whose `Self` links resolve."""

import httpx

from testament.domain.access import Role
from testament.services import keys
from tests.conftest import LiveServer, Workspace
from tests.e2e.test_enterprise_tester import et_client


def test_every_key_belongs_to_a_user_listed_in_name_order(api: httpx.Client) -> None:
    listed = api.get("/users").json()

    names = [u["name"] for u in listed["items"]]
    assert names == sorted(f"{r.value}-user" for r in Role)
    assert all(u["display_name"] == u["name"] and u["enabled"] for u in listed["items"])


def test_an_admin_creates_changes_and_deletes_a_user(api: httpx.Client) -> None:
    made = api.post("/users", json={"name": "ann", "display_name": "Ann Lee", "email": "ann@example.com"})
    taken = api.post("/users", json={"name": "ann"})
    changed = api.patch(f"/users/{made.json()['id']}", json={"email": None, "display_name": "Ann L."})
    deleted = api.delete(f"/users/{made.json()['id']}")

    assert made.status_code == 201, made.text
    assert taken.status_code == 409
    assert (changed.json()["email"], changed.json()["display_name"]) == (None, "Ann L.")
    assert deleted.status_code == 204
    assert api.get(f"/users/{made.json()['id']}").status_code == 404


def test_a_user_with_keys_cannot_be_deleted(api: httpx.Client) -> None:
    tester = next(u for u in api.get("/users").json()["items"] if u["name"] == "tester-user")

    refused = api.delete(f"/users/{tester['id']}")

    assert refused.status_code == 409 and "tester-user" in refused.json()["detail"]


def test_a_bad_email_is_refused_naming_the_field(api: httpx.Client) -> None:
    refused = api.post("/users", json={"name": "bob", "email": "not an address"})

    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "email"


def test_only_admins_change_users_and_every_role_reads_them(workspace: Workspace) -> None:
    with workspace.client(Role.MANAGER) as manager, workspace.client(Role.VIEWER) as viewer:
        refused = manager.post("/users", json={"name": "carl"})
        read = viewer.get("/users")

    assert refused.status_code == 403
    assert read.status_code == 200 and len(read.json()["items"]) == len(Role)


def test_enterprise_tester_self_links_of_users_resolve(live: LiveServer, workspace: Workspace) -> None:
    with et_client(live, workspace) as et:
        listed = et.get("/users").json()["Items"]
        followed = [et.get(u["Self"]) for u in listed]

    assert [f.status_code for f in followed] == [200] * len(listed)
    assert [f.json()["UserName"] for f in followed] == [u["UserName"] for u in listed]


def test_enterprise_tester_users_are_created_updated_and_deleted(
    live: LiveServer, workspace: Workspace, api: httpx.Client
) -> None:
    with et_client(live, workspace) as et:
        made = et.post("/users", json={"UserName": "dana", "Email": "dana@example.com", "FirstName": "Dana"})
        taken = et.post("/users", json={"UserName": "dana", "Email": "dana@example.com"})
        no_email = et.post("/users", json={"UserName": "eve"})
        user = made.json()
        updated = et.put(user["Self"], json={"UserName": "dana", "Email": "d@example.com", "Enabled": False})
        renamed = et.put(user["Self"], json={"UserName": "dee", "Email": "d@example.com"})
        tester = next(u for u in et.get("/users").json()["Items"] if u["UserName"] == "tester-user")
        kept = et.delete(tester["Self"])
        deleted = et.delete(user["Self"])
        gone = et.get(user["Self"])

    assert made.status_code == 200 and made.headers["Location"] == user["Self"]  # as the vendor answers
    assert (user["UserName"], user["DisplayName"], user["Email"]) == ("dana", "Dana", "dana@example.com")
    assert taken.status_code == 403 and "dana" in taken.json()["Message"]
    assert no_email.status_code == 403 and "Email" in no_email.json()["Message"]
    assert (updated.json()["Email"], updated.json()["Enabled"]) == ("d@example.com", False)
    assert renamed.status_code == 403 and "UserName" in renamed.json()["Message"]
    assert kept.status_code == 403  # the vendor's answer for a user who still has data
    assert deleted.status_code == 200 and gone.status_code == 404
    assert api.get(f"/users/{user['Id']}").status_code == 404


def test_a_user_made_first_is_the_one_a_new_key_belongs_to(
    live: LiveServer, workspace: Workspace, api: httpx.Client
) -> None:
    made = api.post("/users", json={"name": "fay", "email": "fay@example.com"}).json()
    key = admin_key_for(live, workspace, "fay")

    with httpx.Client(base_url=live.url + "/api/v1", headers={"Authorization": f"Bearer {key}"}) as fay:
        me = fay.get("/whoami").json()

    assert me["user"] == "fay"
    assert api.delete(f"/users/{made['id']}").status_code == 409  # fay has a key now


def admin_key_for(live: LiveServer, workspace: Workspace, name: str) -> str:
    return keys.create_key(live.ctx, workspace.id, Role.TESTER, name).token


def test_a_disabled_users_keys_are_refused_until_it_is_enabled_again(
    workspace: Workspace, api: httpx.Client
) -> None:
    tester = next(u for u in api.get("/users").json()["items"] if u["name"] == "tester-user")

    api.patch(f"/users/{tester['id']}", json={"enabled": False})
    with workspace.client(Role.TESTER) as client:
        while_disabled = client.get("/whoami")
        api.patch(f"/users/{tester['id']}", json={"enabled": True})
        enabled_again = client.get("/whoami")

    assert while_disabled.status_code == 401
    assert enabled_again.status_code == 200
