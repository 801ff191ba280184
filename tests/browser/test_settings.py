"""Settings in a real browser: it passes axe (light and dark, 360 px); an admin creates a key
through the form, sees its token once and it works for the API, then revokes it through the
confirm step; a viewer sees no key control."""

import httpx
import pytest
from playwright.sync_api import expect

from testament.domain.access import Role
from tests.browser.conftest import SignIn
from tests.browser.ui import NARROW, assert_accessible
from tests.conftest import LiveServer, Workspace


@pytest.fixture(scope="module")
def environment(ui_workspace: Workspace) -> str:
    with ui_workspace.client() as api:
        made = api.post(
            "/environments",
            json={
                "name": "browser-env",
                "variables": {"base_url": "https://x.example"},
                "secrets": {"TOKEN": "hidden-1"},
            },
        )
    assert made.status_code == 201, made.text
    return "browser-env"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_settings_passes_axe(signed_in: SignIn, environment: str, scheme: str) -> None:
    page = signed_in(Role.ADMIN, "/settings", color_scheme=scheme)
    expect(page.get_by_role("heading", level=1)).to_have_text("Settings")
    expect(page.get_by_role("cell", name=environment)).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("hidden-1")
    assert_accessible(page)


def test_settings_at_360_px(signed_in: SignIn, environment: str) -> None:
    page = signed_in(Role.ADMIN, "/settings", viewport=NARROW)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"settings scrolls sideways by {overflow} px at 360 px"
    assert_accessible(page)


def test_an_admin_creates_a_key_and_revokes_it_through_the_ui(
    signed_in: SignIn, live: LiveServer, ui_workspace: Workspace
) -> None:
    page = signed_in(Role.ADMIN, "/settings")
    page.get_by_label("User name").fill("browser-bot")
    page.get_by_label("Role").select_option("viewer")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New key for browser-bot")
    token = page.get_by_role("textbox", name="Token").input_value()
    assert token.startswith("tst_")
    expect(page.get_by_role("button", name="Copy the token")).to_be_visible()
    assert_accessible(page)
    api = httpx.Client(base_url=live.url + "/api/v1", headers={"Authorization": f"Bearer {token}"})
    assert api.get("/whoami").json()["role"] == "viewer"

    page.get_by_role("link", name="Done: back to the keys").click()
    expect(page.locator("body")).not_to_contain_text(token)
    row = page.get_by_role("row").filter(has_text="browser-bot")
    row.get_by_role("link", name="Revoke").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revoke the key of browser-bot?")
    assert_accessible(page)
    page.get_by_role("button", name="Revoke the key of browser-bot").click()
    expect(page.get_by_role("status").filter(has_text="browser-bot")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="browser-bot")).to_contain_text("Revoked")
    assert api.get("/whoami").status_code == 401
    api.close()


def test_a_viewer_sees_no_key_controls(signed_in: SignIn, environment: str) -> None:
    page = signed_in(Role.VIEWER, "/settings")
    expect(page.get_by_role("button", name="Create key")).to_have_count(0)
    expect(page.get_by_role("link", name="Revoke")).to_have_count(0)
    expect(page.get_by_text("Keys are managed by the workspace's admins")).to_be_visible()
    assert_accessible(page)
