"""A run's records as its page shows them: one Step per record, everything the template needs
worked out here (bodies pretty-printed, expected and actual diffed), so the templates stay plain
and the same code renders the first view and the records streamed live (run_stream.py).

Records are shown as the API serves them: runners and the engine mask secrets before a record
is written (domain/masking.py), and a variable kept sealed is shown as the API shows it
(`masking.shown`): `***`.
"""

import difflib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from testament.domain.masking import shown
from testament.domain.model import Artifact
from testament.services.executions.read import Record

__all__ = [
    "INLINE_IMAGES",
    "Body",
    "Expectation",
    "Held",
    "Step",
    "comparable",
    "diff",
    "expectation_of",
    "score_view",
    "shown_variables",
    "step_of",
    "steps_of",
]

# Only raster images are shown in the page; anything else (HTML, SVG, text) is a download.
INLINE_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
FOLD_LINES = 25  # a body longer than this is folded (a <details> to open)
FOLD_CHARS = 2000
DIFF_LIMIT = 4000  # longer values are shown side by side without a character diff
SIMILAR = 0.5  # below this similarity, expected and actual differ as wholes
LITERAL_CHARS = 200  # a longer text is not a literal to diff character by character
# Operators whose "expected" describes what was wanted (a type, a pattern, a part) rather than
# being a value the actual should equal: a character diff between the two would be noise.
DESCRIBING = frozenset({"type", "matches", "contains", "not_contains", "exists", "in", "not_in"})

Part = tuple[str, bool]  # a piece of text and whether it differs from the other side


@dataclass(frozen=True)
class Body:
    text: str
    json: bool
    lines: int
    folded: bool
    truncated: bool = False
    size: int | None = None


@dataclass(frozen=True)
class Expectation:
    what: str
    operator: str
    message: str
    expected: list[Part]
    actual: list[Part]
    literal: bool = True  # False: shown plainly, side by side, no highlights
    folded: bool = False  # a long actual comes folded


def is_literal(value: Any) -> bool:
    """A number, or a short one-line text: a value two of which can be compared piece by piece."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, str) and len(value) <= LITERAL_CHARS and "\n" not in value


def comparable(operator: str, expected: Any, actual: Any) -> bool:
    """Whether a character diff of expected and actual helps: both literal values of the same kind
    (two numbers, or two short texts), compared as values (not a type, a pattern or a part)."""
    if operator in DESCRIBING or not (is_literal(expected) and is_literal(actual)):
        return False
    return isinstance(expected, str) == isinstance(actual, str)


def expectation_of(failure: Mapping[str, Any]) -> Expectation:
    """A failed expectation: a character diff when expected and actual are comparable literals,
    else both shown as they are (the actual folded when long)."""
    operator = str(failure.get("operator", ""))
    raw_expected, raw_actual = failure.get("expected"), failure.get("actual")
    expected_text, actual_text = as_text(raw_expected), as_text(raw_actual)
    if comparable(operator, raw_expected, raw_actual):
        expected, actual = diff(expected_text, actual_text)
        literal, folded = True, False
    else:
        expected, actual = [(expected_text, False)], [(actual_text, False)]
        lines = actual_text.count("\n") + 1
        literal, folded = False, lines > 6 or len(actual_text) > 400
    return Expectation(
        str(failure.get("expectation", "")),
        operator,
        str(failure.get("message", "")),
        expected,
        actual,
        literal,
        folded,
    )


@dataclass(frozen=True)
class Held:
    """A check that held, as one row: what was checked, how, what was expected and found."""

    what: str
    operator: str
    expected: str
    actual: str


def held_of(check: Mapping[str, Any]) -> Held:
    return Held(
        str(check.get("expectation", "")),
        str(check.get("operator", "")),
        as_text(check.get("expected")),
        as_text(check.get("actual")),
    )


@dataclass
class Step:
    seq: int
    attempt: int
    interrupted: bool
    status: str
    timestamp: datetime
    observation_id: str
    kind: str  # http, connect, manual or other
    title: str
    summary: str = ""
    request: dict[str, Any] | None = None
    response: dict[str, Any] | None = None
    captures: dict[str, str] = field(default_factory=dict)
    expectations: list[Expectation] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)  # the checks that held (records since `checks`)
    checks: int | None = None  # how many checks the step made (None: an older record, failures only)
    checks_left_out: int = 0  # checks its record does not list (it keeps at most 100)
    error: str | None = None
    event: dict[str, Any] | None = None
    actions: list[str] = field(default_factory=list)
    reason: str | None = None
    details: Body | None = None  # what else the record holds (connect, manual, other)
    manual: dict[str, str] = field(default_factory=dict)
    artifacts: list[Artifact] = field(default_factory=list)

    @property
    def open(self) -> bool:
        """Failing steps come open; passing ones are one line."""
        return self.status in ("FAILED", "ERROR")


def as_text(value: Any) -> str:
    """A value as a person reads it: text as is, anything else as indented JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str)


def body_of(text: str | None, *, truncated: bool = False, size: int | None = None) -> Body | None:
    """A body, JSON pretty-printed; folded when longer than a screenful."""
    if text is None or text == "":
        return None
    is_json = False
    stripped = text.lstrip()
    if stripped[:1] in ("{", "[") and not truncated:
        try:
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
            is_json = True
        except ValueError:
            pass
    lines = text.count("\n") + 1
    return Body(text, is_json, lines, lines > FOLD_LINES or len(text) > FOLD_CHARS, truncated, size)


def diff(expected: str, actual: str) -> tuple[list[Part], list[Part]]:
    """Expected and actual, each cut into parts that are the same or differ (difflib)."""
    if expected == actual:
        return [(expected, False)], [(actual, False)]
    if len(expected) > DIFF_LIMIT or len(actual) > DIFF_LIMIT:
        return [(expected, True)], [(actual, True)]
    left: list[Part] = []
    right: list[Part] = []
    matcher = difflib.SequenceMatcher(None, expected, actual, autojunk=False)
    if matcher.ratio() < SIMILAR:  # unlike values: a character diff would only be noise
        return [(expected, True)], [(actual, True)]
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        same = op == "equal"
        if a2 > a1:
            left.append((expected[a1:a2], not same))
        if b2 > b1:
            right.append((actual[b1:b2], not same))
    return left or [("", False)], right or [("", False)]


def _headers(headers: Any) -> list[tuple[str, str]]:
    if isinstance(headers, Mapping):
        return [(str(k), str(v)) for k, v in headers.items()]
    return []


def _http(step: Step, record: Mapping[str, Any]) -> None:
    request = record.get("request") or {}
    response = record.get("response")
    step.title = str(record.get("step") or step.observation_id)
    if request:
        step.request = {
            "method": request.get("method", ""),
            "url": request.get("url", ""),
            "headers": _headers(request.get("headers")),
            "body": body_of(
                request.get("body"), truncated=bool(request.get("truncated")), size=request.get("size")
            ),
        }
    if isinstance(response, Mapping):
        step.response = {
            "status": response.get("status"),
            "elapsed_ms": response.get("elapsed_ms"),
            "headers": _headers(response.get("headers")),
            "body": body_of(
                response.get("body"), truncated=bool(response.get("truncated")), size=response.get("size")
            ),
        }
    step.captures = {str(k): as_text(v) for k, v in (record.get("captures") or {}).items()}
    for failure in record.get("failures") or []:
        if not isinstance(failure, Mapping):
            continue
        step.expectations.append(expectation_of(failure))
    checks = record.get("checks")
    if isinstance(checks, list):  # every check made, passed ones too; older records lack it
        held = [c for c in checks if isinstance(c, Mapping) and c.get("passed") is True]
        step.held = [held_of(c) for c in held]
        left_out = record.get("checks_left_out")
        step.checks_left_out = left_out if isinstance(left_out, int) and left_out > 0 else 0
        step.checks = len(checks) + step.checks_left_out
    if record.get("error") is not None:
        step.error = as_text(record["error"])
    parts = [f"{step.request['method']} {step.request['url']}" if step.request else ""]
    if step.response:
        parts.append(f"→ {step.response['status']}")
    step.summary = " ".join(p for p in parts if p)


_CONNECT_SHOWN = {"Type", "Identifier", "Status", "Event", "Actions", "Reason"}


def _connect(step: Step, record: Mapping[str, Any]) -> None:
    kind = str(record.get("Type", ""))
    step.title = str(record.get("Identifier") or kind.title() or step.observation_id)
    event = record.get("Event")
    if isinstance(event, Mapping):
        step.event = {
            "type": str(event.get("Type", "")),
            "properties": [(str(k), as_text(v)) for k, v in (event.get("Properties") or {}).items()],
            "source": as_text(event["FlowAction"]) if event.get("FlowAction") else None,
        }
        step.summary = f"{kind.title()}: {step.event['type']}"
    else:
        step.summary = kind.title()
    step.actions = [as_text(a) for a in record.get("Actions") or []]
    if record.get("Reason"):
        step.reason = as_text(record["Reason"])
    rest = {k: v for k, v in record.items() if k not in _CONNECT_SHOWN}
    step.details = body_of(as_text(rest)) if rest else None


_MANUAL_FIELDS = ("description", "data", "expected_result", "outcome", "actual_result", "notes")


def _manual(step: Step, record: Mapping[str, Any]) -> None:
    step.title = f"Step {record.get('step', '')}".strip()
    step.manual = {name: str(record.get(name) or "") for name in _MANUAL_FIELDS}
    step.summary = step.manual["description"][:120]


def _kind_of(record: Mapping[str, Any]) -> str:
    if "request" in record or "response" in record or "failures" in record:
        return "http"
    if "Type" in record:
        return "connect"
    if "outcome" in record and "expected_result" in record:
        return "manual"
    return "other"


def step_of(record: Record, artifacts: Sequence[Artifact] = ()) -> Step:
    data: Mapping[str, Any] = record.record if isinstance(record.record, Mapping) else {}
    kind = _kind_of(data)
    step = Step(
        record.seq,
        record.attempt,
        record.interrupted,
        record.status,
        record.timestamp,
        record.observation_id,
        kind,
        record.observation_id,
        artifacts=[a for a in artifacts if a.record_seq == record.seq],
    )
    if kind == "http":
        _http(step, data)
    elif kind == "connect":
        _connect(step, data)
    elif kind == "manual":
        _manual(step, data)
    else:
        step.details = body_of(as_text(record.record))
    return step


def steps_of(records: Iterable[Record], artifacts: Sequence[Artifact] = ()) -> list[Step]:
    by_seq: dict[int | None, list[Artifact]] = {}
    for artifact in artifacts:
        by_seq.setdefault(artifact.record_seq, []).append(artifact)
    return [step_of(r, by_seq.get(r.seq, [])) for r in records]


def shown_variables(variables: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """A run's variables as the API shows them: a sealed (secret) one as `***`."""
    return [(name, as_text(value)) for name, value in shown(dict(variables or {})).items()]


def score_view(board: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The sealed scoreboard, as rows (name, achieved, maximum, ratio) per part."""
    if not board or not isinstance(board.get("scoreboard"), Mapping):
        return None

    def row(name: str, tally: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "name": name,
            "achieved": tally.get("pointsAchieved"),
            "maximum": tally.get("maxAchievablePoints"),
            "ratio": tally.get("achievementRatio"),
            "questions": tally.get("noOfQuestions"),
        }

    dimensions = []
    for dimension in board.get("dimensions") or []:
        dimensions.append(row(dimension["name"], dimension["scoreboard"]))
        for sub in dimension.get("subDimensions") or []:
            dimensions.append(row(f"{dimension['name']} / {sub['name']}", sub["scoreboard"]))
    effects = []
    for effect in board.get("effects") or []:
        effects.append((effect.get("name", ""), effect.get("score")))
        for sub in effect.get("subEffects") or []:
            effects.append((f"{effect.get('name', '')} / {sub.get('name', '')}", sub.get("score")))
    return {
        "overall": row("Overall", board["scoreboard"]),
        "sections": [row(s["name"], s["scoreboard"]) for s in board.get("sections") or []],
        "dimensions": dimensions,
        "effects": effects,
    }
