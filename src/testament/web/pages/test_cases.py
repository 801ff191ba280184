"""Test cases (/test-cases): the list with each one's last result, history strip, pass rate and
flaky mark, filtered through the URL (name, tag, kind) and paged by cursor; one test case
(/test-cases/{id}) with its content as highlighted YAML, its versions and a diff between any
two (?diff=3..5, unified or side by side), its history and data sets, and a run button."""

import difflib
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import YamlLexer

from testament.domain.content import KINDS
from testament.domain.errors import InvalidInput
from testament.services import history
from testament.services import test_cases as cases
from testament.web.render import duration, render, status_info
from testament.web.session import Viewer

__all__ = ["router"]

router = APIRouter()

PAGE_SIZE = 50
STRIP = 20  # runs in a list's history strip
HISTORY = 50  # runs on a test case's page (its numbers and trend)
RUNS_LISTED = 10  # of which the newest are listed, with a link to all of them
_DIFF = re.compile(r"^\s*(\d+)\s*\.\.\s*(\d+)\s*$")


def as_yaml(content: Any) -> str:
    """Content as YAML, keys in their order (what `testament apply` reads back)."""
    return yaml.safe_dump(content, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)


def highlighted(text: str) -> Markup:
    """YAML highlighted on the server: Pygments escapes the text and wraps tokens in classes."""
    return Markup(highlight(text, YamlLexer(), HtmlFormatter(nowrap=True)))


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "add", "del", "ctx", "hunk"
    text: str


@dataclass(frozen=True)
class SplitRow:
    kind: str  # "equal", "replace", "delete", "insert"
    left_no: int | None
    left: str | None
    right_no: int | None
    right: str | None


def unified(old: str, new: str, old_name: str, new_name: str) -> list[DiffLine]:
    lines: list[DiffLine] = []
    diff = difflib.unified_diff(old.splitlines(), new.splitlines(), old_name, new_name, lineterm="", n=3)
    for line in diff:
        if line.startswith(("---", "+++")):
            continue
        kind = {"@": "hunk", "+": "add", "-": "del"}.get(line[:1], "ctx")
        lines.append(DiffLine(kind, line))
    return lines


def side_by_side(old: str, new: str) -> list[SplitRow]:
    left, right = old.splitlines(), new.splitlines()
    rows: list[SplitRow] = []
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for k in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + k, j1 + k
            rows.append(
                SplitRow(
                    tag,
                    i + 1 if i < i2 else None,
                    left[i] if i < i2 else None,
                    j + 1 if j < j2 else None,
                    right[j] if j < j2 else None,
                )
            )
    return rows


def _versions_asked(diff: str | None, a: str | None, b: str | None) -> tuple[int, int] | None:
    """`diff=3..5`, or `a=3&b=5` (the page's form): the two versions to compare."""
    if a or b:
        diff = f"{a or ''}..{b or ''}"
    if not diff:
        return None
    found = _DIFF.match(diff)
    if not found:
        raise InvalidInput("diff", "must name two versions as FROM..TO, e.g. 1..2")
    return int(found.group(1)), int(found.group(2))


def _list_url(name: str, tag: str, kind: str, cursor: str | None) -> str:
    query = {k: v for k, v in (("name", name), ("tag", tag), ("kind", kind), ("cursor", cursor)) if v}
    return "/test-cases" + (f"?{urlencode(query)}" if query else "")


@router.get("/test-cases", response_class=HTMLResponse)
def test_cases_page(
    request: Request,
    user: Viewer,
    name: str = "",
    tag: str = "",
    kind: str = "",
    cursor: str | None = None,
) -> HTMLResponse:
    name, tag, kind = name.strip(), tag.strip(), kind.strip()
    if kind and kind not in KINDS:
        raise InvalidInput("kind", "must be one of " + ", ".join(KINDS))
    page = cases.list_test_cases(
        user.ctx,
        user.principal,
        limit=PAGE_SIZE,
        cursor=cursor or None,
        kind=kind or None,
        tag=tag or None,
        name_contains=name or None,
    )
    found = history.histories(user.ctx, user.principal, [c.id for c in page.items], last=STRIP)
    rows = [(case, found.get(case.id) or history.History(case.id, ())) for case in page.items]
    return render(
        request,
        "test_cases/list.html",
        title="Test cases",
        nav="/test-cases",
        rows=rows,
        filters={"name": name, "tag": tag, "kind": kind},
        filtered=bool(name or tag or kind),
        kinds=list(KINDS),
        next_url=_list_url(name, tag, kind, page.next_cursor) if page.next_cursor else None,
        first_url=_list_url(name, tag, kind, None) if cursor else None,
    )


@router.get("/test-cases/{test_case_id}", response_class=HTMLResponse)
def test_case_page(
    request: Request,
    test_case_id: str,
    user: Viewer,
    diff: str | None = None,
    a: str | None = None,
    b: str | None = None,
    view: str = "unified",
) -> HTMLResponse:
    if view not in ("unified", "split"):
        raise InvalidInput("view", "must be unified or split")
    shown = cases.get_test_case(user.ctx, user.principal, test_case_id, retired=True)
    case = shown.test_case
    known = history.versions(user.ctx, user.principal, case.id)
    asked = _versions_asked(diff, a, b)
    compared: dict[str, Any] | None = None
    if asked is not None:
        for field, number in zip(("from", "to"), asked, strict=True):
            if not 1 <= number <= case.version:
                raise InvalidInput(
                    f"diff ({field})", f"version {number} does not exist (1 to {case.version})"
                )
        old = as_yaml(
            cases.get_test_case(user.ctx, user.principal, case.id, version=asked[0], retired=True).content
        )
        new = as_yaml(
            cases.get_test_case(user.ctx, user.principal, case.id, version=asked[1], retired=True).content
        )
        compared = {
            "old": asked[0],
            "new": asked[1],
            "unified": unified(old, new, f"version {asked[0]}", f"version {asked[1]}"),
            "split": side_by_side(old, new) if view == "split" else [],
            "same": old == new,
            "swap_url": f"/test-cases/{case.id}?diff={asked[1]}..{asked[0]}&view={view}",
            "other_view_url": f"/test-cases/{case.id}?diff={asked[0]}..{asked[1]}&view="
            + ("unified" if view == "split" else "split"),
        }
    past = history.history(user.ctx, user.principal, case.id, last=HISTORY)
    durations = [d for d in past.durations if d is not None]
    default_diff = (max(case.version - 1, 1), case.version)
    return render(
        request,
        "test_cases/detail.html",
        title=case.name,
        nav="/test-cases",
        case=case,
        content=highlighted(as_yaml(shown.content)),
        data_sets=[
            (ds.name, json.dumps(ds.variables, ensure_ascii=False, sort_keys=True)) for ds in shown.data_sets
        ],
        versions=list(reversed(known)),
        compared=compared,
        view=view,
        default_diff=asked or default_diff,
        past=past,
        newest_runs=list(reversed(past.runs))[:RUNS_LISTED],
        duration_chart=duration_chart(past),
        slowest=max(durations) if durations else None,
        fastest=min(durations) if durations else None,
    )


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    tone: str
    label: str


def duration_chart(past: history.History, width: int = 480, height: int = 80) -> list[Bar]:
    """Bars of the finished runs' durations, oldest first, coloured by their status (the
    template draws them as SVG; each bar has a title with its status and duration)."""
    finished = [r for r in past.runs if r.finished]
    if not finished:
        return []
    longest = max((r.duration_ms or 0.0) for r in finished) or 1.0
    step = min(width / max(len(finished), 1), 16.0)  # thin bars, left-aligned, however few runs
    bars = []
    for i, run in enumerate(finished):
        ms = run.duration_ms or 0.0
        tall = max(2.0, ms / longest * (height - 4))
        tone, _glyph, word = status_info(run.status)
        bars.append(
            Bar(i * step + 1, height - tall, max(step - 2, 1.0), tall, tone, f"{word}, {duration(ms)}")
        )
    return bars
