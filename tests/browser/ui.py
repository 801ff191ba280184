"""Helpers for driving the web UI in Debian's chromium with plain Playwright (no pytest plugin):
launching the browser, signing in through the real form, and the accessibility check.

Used by tests/browser/conftest.py and scripts/screenshots.py alike.
"""

import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, Playwright, ViewportSize

__all__ = [
    "AXE_PATH",
    "AXE_TAGS",
    "CHROMIUM_ARGS",
    "DEFAULT_IMPACTS",
    "NARROW",
    "WIDE",
    "accessibility_violations",
    "assert_accessible",
    "chromium_path",
    "launch_chromium",
    "sign_in",
]

# Playwright's own browser download is not used: Debian's chromium is. The machines have no
# internet, so everything chromium would fetch by itself is turned off (else it keeps opening
# connections that are refused, many at a time).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDE: ViewportSize = {"width": 1280, "height": 800}  # a desktop
NARROW: ViewportSize = {"width": 360, "height": 780}  # a small phone: the narrowest the UI supports

AXE_PATH = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
# The rules enforced: axe-core's WCAG 2.0, 2.1 and 2.2 level A and AA rules and its best practices.
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice")
# A violation of one of those rules fails the check at these impacts (axe's scale: minor,
# moderate, serious, critical).
DEFAULT_IMPACTS = ("serious", "critical")


def chromium_path() -> str:
    """Debian's chromium, or an error that says how to install it."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise RuntimeError("no chromium on PATH: install Debian's (apt-get install chromium)")
    return path


def launch_chromium(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)


def sign_in(page: Page, base_url: str, token: str, path: str = "/") -> Page:
    """Open `path` signed out, which shows the sign-in form, post the key through it and wait
    until the browser lands on `path` (the page asked for)."""
    page.goto(base_url + path)
    form = page.locator("form[action^='/sign-in']")
    if form.count() == 0:
        raise AssertionError(f"{path} signed out did not show the sign-in form (at {page.url})")
    page.fill("input[name=api_key]", token)
    with page.expect_navigation():
        form.locator("[type=submit]").click()
    landed = page.url.removeprefix(base_url)
    if landed != path:
        raise AssertionError(f"signing in to reach {path} landed on {landed}")
    return page


def accessibility_violations(
    page: Page,
    *,
    impacts: Iterable[str] = DEFAULT_IMPACTS,
    tags: Iterable[str] = AXE_TAGS,
    disable: Iterable[str] = (),
    context: str | None = None,
) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now, of the given impacts.

    axe is evaluated through the DevTools protocol (`page.evaluate` with the file's source),
    which the page's Content-Security-Policy does not govern: `add_script_tag` would add an
    inline script, which the UI's CSP refuses, as it should.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_PATH.read_text())
    options = {
        "runOnly": {"type": "tag", "values": list(tags)},
        "rules": {rule: {"enabled": False} for rule in disable},
        "resultTypes": ["violations"],
    }
    violations: list[dict[str, Any]] = page.evaluate(
        "([context, options]) => axe.run(context ? document.querySelector(context) : document, options)"
        ".then(r => r.violations)",
        [context, options],
    )
    wanted = set(impacts)
    return [v for v in violations if v.get("impact") in wanted]


def _describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} [{v['helpUrl']}]")
        for node in v["nodes"][:5]:
            target = json.dumps(node.get("target"))
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    at {target}: {node.get('html', '')[:160]}\n      {summary}")
        if len(v["nodes"]) > 5:
            lines.append(f"    ... and {len(v['nodes']) - 5} more elements")
    return "\n".join(lines)


def assert_accessible(
    page: Page,
    *,
    impacts: Iterable[str] = DEFAULT_IMPACTS,
    disable: Iterable[str] = (),
    context: str | None = None,
) -> None:
    """Fail with a readable list when axe-core finds violations of AXE_TAGS' rules of the given
    impacts (serious and critical by default) on the page, or in the element `context` (a CSS
    selector) of it. `disable` names rules to leave out, each with a reason at the call."""
    violations = accessibility_violations(page, impacts=impacts, disable=disable, context=context)
    if violations:
        found = f"axe-core found {len(violations)} accessibility violation(s) on {page.url}"
        raise AssertionError(f"{found}:\n{_describe(violations)}")
