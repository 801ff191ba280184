"""Helpers for the web UI's tests: a browser-like HTTP client signed in with a workspace's key.

with signed_in(workspace, Role.VIEWER) as browser:
    page = browser.get("/runs")
    assert page.status_code == 200
    browser.post("/some/action", data={"csrf": csrf_of(page.text), ...})
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from testament.domain.access import Role
from tests.conftest import Workspace

__all__ = ["PAGES", "csrf_of", "sign_in", "signed_in", "web_client"]

# Every page of the UI's navigation (a new page goes here so the role and header tests cover it).
PAGES = ("/", "/runs", "/manual", "/test-cases", "/plans", "/tasks", "/workers", "/settings")

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def web_client(url: str) -> httpx.Client:
    """A client that keeps cookies and does not follow redirects (tests look at them)."""
    return httpx.Client(base_url=url, timeout=30, follow_redirects=False)


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: httpx.Client, token: str, next_path: str = "/") -> httpx.Response:
    """Post the sign-in form as a browser would (its own CSRF token first)."""
    form = client.get("/sign-in", params={"next": next_path})
    return client.post("/sign-in", data={"api_key": token, "csrf": csrf_of(form.text), "next": next_path})


@contextmanager
def signed_in(workspace: Workspace, role: Role = Role.ADMIN) -> Iterator[httpx.Client]:
    """A browser signed in with the workspace's key of `role` (closed when the block ends)."""
    with web_client(workspace.url) as client:
        answer = sign_in(client, workspace.keys[role].token)
        assert answer.status_code == 303, answer.text
        yield client
