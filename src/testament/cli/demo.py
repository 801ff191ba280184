"""The demo workspace `make run` serves: a workspace, an admin key and sample test cases.

Made once per data directory and remembered in `demo.json` there (mode 600), so every
start prints the same key.
"""

import json
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from testament.domain.access import Role
from testament.domain.errors import NotFound
from testament.services import admin
from testament.services.apply import apply_bundle, parse_bundle
from testament.services.context import AppContext

__all__ = ["ensure_demo"]


def _bundle(base_url: str) -> dict[str, Any]:
    text = resources.files("testament.cli").joinpath("demo.yaml").read_text()
    bundle: dict[str, Any] = yaml.safe_load(text)
    for env in bundle.get("environments", []):
        env["variables"]["base_url"] = base_url
    for case in bundle.get("test_cases", []):
        case["content"].setdefault("variables", {})["base_url"] = base_url
    return bundle


def ensure_demo(app: AppContext, base_url: str) -> dict[str, str]:
    """The demo's workspace id and key token; made (or refreshed) as needed."""
    path = Path(app.settings.data_dir) / "demo.json"
    demo: dict[str, str] | None = json.loads(path.read_text()) if path.exists() else None
    if demo is not None:
        try:
            admin.get_workspace(app, demo["workspace_id"])
        except NotFound:
            demo = None
    if demo is None:
        workspace = admin.create_workspace(app, "demo")
        key = admin.create_key(app, workspace.id, Role.ADMIN, "demo")
        demo = {"workspace_id": workspace.id, "token": key.token, "key_id": key.id}
        path.write_text(json.dumps(demo, indent=2))
        path.chmod(0o600)
    principal = admin.authenticate_token(app, demo["token"])
    apply_bundle(app, principal, parse_bundle(_bundle(base_url)))
    return demo
