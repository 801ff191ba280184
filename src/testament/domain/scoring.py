"""Scores: how much of a test holds, and where it breaks.

Every scorable unit of a test case (an http step, a manual step, a Connect observation) may
carry `points` (default 1), a `section`, and `dimensions`; a dimension may name a
sub-dimension after a slash (`security/auth`). A run gives each unit a credit from 0 to 1:
1 when its latest record passed, 0 otherwise, or what the runner reports as partial credit.
The scoreboard adds them up overall, per section, per dimension and per sub-dimension:

    pointsAchieved = sum(points * credit)     maxAchievablePoints = sum(points)
    achievementRatio = achieved / max (0 when max is 0)     noOfQuestions = units counted

A unit with `security/auth` and `security/crypto` counts once towards `security` and once
towards each sub-dimension. A unit that never ran scores 0: the maximum is the test's, not
the part that happened to run.

`effects` are named scores a test case defines as formulas over its scoreboard, e.g.
`weighted(dimension('security'), 2, dimension('speed'), 1)`. They are computed, never typed
in. A formula is parsed with Python's own expression grammar and evaluated over a closed
set of names and functions (no `eval`): numbers, `+ - * /`, parentheses, `overall`,
`achieved`, `maximum`, `questions`, `section(name)`, `dimension(name)` (ratios 0..1),
`mean(...)`, `weighted(x1, w1, x2, w2, ...)`, `min(...)`, `max(...)`, `abs(x)` and
`round(x[, digits])`. A score is always a number: a formula that divides by zero (or whose
result is too large to be a number) scores 0. Scoreboards sealed before this rule may hold
`null` scores; they are read as 0 (`with_numeric_effects`).
"""

import ast
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "Effect",
    "Scorable",
    "Scoreboard",
    "ScoredUnit",
    "Tally",
    "compute_scoreboard",
    "formula_problems",
    "gate_passed",
    "merge_scoreboards",
    "with_numeric_effects",
]

DIMENSION = re.compile(r"^[^/\s][^/]{0,99}(/[^/\s][^/]{0,99})?$")
PRECISION = 6


class Scorable(BaseModel):
    """The scoring fields a unit of any kind may carry (left out, they stay out of the stored
    content: a unit without `points` is worth 1)."""

    model_config = ConfigDict(extra="forbid")  # a misspelt "pionts" is refused, not dropped

    points: float | None = Field(default=None, ge=0, le=1_000_000, description="what the unit is worth; 1")
    section: str | None = Field(default=None, min_length=1, max_length=200)
    dimensions: list[str] | None = Field(
        default=None, max_length=20, description='skills it measures; "name" or "name/sub"'
    )

    @field_validator("dimensions")
    @classmethod
    def _dimension_names(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        for name in value:
            if not DIMENSION.match(name):
                raise ValueError(
                    f"{name!r} must be a name, or a name and a sub-dimension after one '/' "
                    "(each 1-100 characters)"
                )
        if len(set(value)) != len(value):
            raise ValueError("lists a dimension twice")
        return value


class SubEffect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    formula: str = Field(min_length=1, max_length=2000)


class Effect(SubEffect):
    sub_effects: list[SubEffect] = Field(default_factory=list, max_length=50)


# ------------------------------------------------------------------------------- scoreboard


@dataclass(frozen=True)
class ScoredUnit:
    points: float
    credit: float  # 0..1
    section: str | None = None
    dimensions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tally:
    achieved: float = 0.0
    maximum: float = 0.0
    questions: int = 0

    def add(self, unit: ScoredUnit) -> "Tally":
        return Tally(
            self.achieved + unit.points * unit.credit, self.maximum + unit.points, self.questions + 1
        )

    @property
    def ratio(self) -> float:
        return round(self.achieved / self.maximum, PRECISION) if self.maximum else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "pointsAchieved": round(self.achieved, PRECISION),
            "maxAchievablePoints": round(self.maximum, PRECISION),
            "achievementRatio": self.ratio,
            "noOfQuestions": self.questions,
        }


@dataclass(frozen=True)
class Scoreboard:
    overall: Tally
    sections: dict[str, Tally]
    dimensions: dict[str, Tally]
    sub_dimensions: dict[str, dict[str, Tally]]
    effects: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The stored and served form (TestInvite's names, which every surface can map)."""
        return {
            "scoreboard": self.overall.as_json(),
            "sections": [{"name": name, "scoreboard": t.as_json()} for name, t in self.sections.items()],
            "dimensions": [
                {
                    "name": name,
                    "scoreboard": tally.as_json(),
                    "subDimensions": [
                        {"name": sub, "scoreboard": t.as_json()}
                        for sub, t in self.sub_dimensions.get(name, {}).items()
                    ],
                }
                for name, tally in self.dimensions.items()
            ],
            "effects": self.effects,
        }


def _tally(units: Iterable[ScoredUnit]) -> Scoreboard:
    overall = Tally()
    sections: dict[str, Tally] = {}
    dimensions: dict[str, Tally] = {}
    subs: dict[str, dict[str, Tally]] = {}
    for unit in units:
        overall = overall.add(unit)
        if unit.section is not None:
            sections[unit.section] = sections.get(unit.section, Tally()).add(unit)
        parents: dict[str, None] = {}
        for name in unit.dimensions:
            parent, _, sub = name.partition("/")
            parents.setdefault(parent)
            if sub:
                inner = subs.setdefault(parent, {})
                inner[sub] = inner.get(sub, Tally()).add(unit)
        for parent in parents:
            dimensions[parent] = dimensions.get(parent, Tally()).add(unit)
    return Scoreboard(overall, sections, dimensions, subs)


def compute_scoreboard(units: Sequence[ScoredUnit], effects: Sequence[Mapping[str, Any]] = ()) -> Scoreboard:
    """The scoreboard of a run's units, with its test case's effects evaluated over it."""
    board = _tally(units)
    computed = [
        {
            "name": effect["name"],
            "score": _evaluate(effect["formula"], board),
            "subEffects": [
                {"name": sub["name"], "score": _evaluate(sub["formula"], board)}
                for sub in effect.get("sub_effects", [])
            ],
        }
        for effect in effects
    ]
    return Scoreboard(board.overall, board.sections, board.dimensions, board.sub_dimensions, computed)


def _tally_of(json: Mapping[str, Any]) -> Tally:
    return Tally(json["pointsAchieved"], json["maxAchievablePoints"], json["noOfQuestions"])


def merge_scoreboards(boards: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Several executions' scoreboards as one (a test instance that ran a plan, or a test
    case per data set): points summed overall and per name; each execution's effects kept."""
    overall = Tally()
    sections: dict[str, Tally] = {}
    dimensions: dict[str, Tally] = {}
    subs: dict[str, dict[str, Tally]] = {}
    effects: list[dict[str, Any]] = []

    def plus(a: Tally, b: Tally) -> Tally:
        return Tally(a.achieved + b.achieved, a.maximum + b.maximum, a.questions + b.questions)

    for board in boards:
        overall = plus(overall, _tally_of(board["scoreboard"]))
        for section in board["sections"]:
            sections[section["name"]] = plus(
                sections.get(section["name"], Tally()), _tally_of(section["scoreboard"])
            )
        for dimension in board["dimensions"]:
            name = dimension["name"]
            dimensions[name] = plus(dimensions.get(name, Tally()), _tally_of(dimension["scoreboard"]))
            inner = subs.setdefault(name, {})
            for sub in dimension["subDimensions"]:
                inner[sub["name"]] = plus(inner.get(sub["name"], Tally()), _tally_of(sub["scoreboard"]))
        effects += (with_numeric_effects(board) or {})["effects"]
    return Scoreboard(overall, sections, dimensions, subs, effects).as_json()


def gate_passed(score: Mapping[str, Any], pass_ratio: float | None, statuses: Sequence[str]) -> bool | None:
    """A plan's quality gate: None without a threshold; else whether the run's ratio reaches
    it with no execution left unfinished or broken (ERROR)."""
    if pass_ratio is None:
        return None
    settled = all(s not in ("QUEUED", "RUNNING", "ERROR") for s in statuses)
    return settled and score["achievementRatio"] >= pass_ratio


# ------------------------------------------------------------------------------- formulas


class FormulaError(ValueError):
    pass


def _weighted(*args: float) -> float:
    if not args or len(args) % 2:
        raise FormulaError("weighted() takes pairs of value, weight")
    values, weights = args[0::2], args[1::2]
    total = sum(weights)
    if total == 0:
        raise ZeroDivisionError
    return sum(v * w for v, w in zip(values, weights, strict=True)) / total


def _mean(*args: float) -> float:
    if not args:
        raise FormulaError("mean() takes at least one value")
    return sum(args) / len(args)


_NUMERIC_FUNCTIONS: dict[str, Callable[..., float]] = {
    "mean": _mean,
    "weighted": _weighted,
    "min": min,
    "max": max,
    "abs": abs,
    "round": lambda value, digits=0: round(value, int(digits)),
}
_SCOPE_FUNCTIONS = ("section", "dimension")
_NAMES = ("overall", "achieved", "maximum", "questions")
_OPERATORS: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}


MAX_NODES = 400
MAX_DEPTH = 40
MAX_NUMBER = 10**15


def _parse(formula: str) -> ast.expr:
    try:
        tree = ast.parse(formula.strip(), mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"is not a formula (column {exc.offset}): {exc.msg}") from None
    except (RecursionError, MemoryError):
        raise FormulaError(f"is nested too deeply (at most {MAX_DEPTH} levels)") from None
    _check_size(tree.body)
    return tree.body


def _check_size(node: ast.AST) -> None:
    """Small enough to check and compute quickly: a bounded number of parts and nesting."""
    count, stack = 0, [(node, 1)]
    while stack:
        current, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise FormulaError(f"is too long (at most {MAX_NODES} parts)")
        if depth > MAX_DEPTH:
            raise FormulaError(f"is nested too deeply (at most {MAX_DEPTH} levels)")
        stack += [(child, depth + 1) for child in ast.iter_child_nodes(current)]


def _scopes(node: ast.AST) -> list[tuple[str, str]]:
    """Checks the formula's shape; returns the (section|dimension, name) pairs it reads."""
    found: list[tuple[str, str]] = []
    names: set[int] = set()  # the quoted names of section() and dimension(), the only strings allowed
    for child in ast.walk(node):  # breadth first: a call comes before its arguments
        if isinstance(child, ast.Call):
            if not isinstance(child.func, ast.Name) or child.keywords:
                raise FormulaError("calls only the listed functions, with plain arguments")
            name = child.func.id
            if name in _SCOPE_FUNCTIONS:
                arg = child.args[0] if len(child.args) == 1 else None
                if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                    raise FormulaError(f"{name}() takes one quoted name, e.g. {name}('security')")
                found.append((name, arg.value))
                names.add(id(arg))
            elif name not in _NUMERIC_FUNCTIONS:
                raise FormulaError(
                    f"unknown function {name}(); use {', '.join([*_SCOPE_FUNCTIONS, *_NUMERIC_FUNCTIONS])}"
                )
        elif isinstance(child, ast.Name):
            if (
                child.id not in _NAMES
                and child.id not in _SCOPE_FUNCTIONS
                and child.id not in _NUMERIC_FUNCTIONS
            ):
                raise FormulaError(f"unknown name {child.id!r}; use {', '.join(_NAMES)}")
        elif isinstance(child, ast.Constant):
            if isinstance(child.value, (int, float)) and not abs(child.value) <= MAX_NUMBER:
                raise FormulaError(f"takes numbers up to {MAX_NUMBER:.0e}")
            text = isinstance(child.value, str)
            if (
                isinstance(child.value, bool)
                or not isinstance(child.value, (int, float, str))
                or (text and id(child) not in names)
            ):
                raise FormulaError("takes numbers, and quoted names only inside section() and dimension()")
        elif isinstance(child, ast.BinOp):
            if type(child.op) not in _OPERATORS:
                raise FormulaError("uses only + - * / and parentheses")
        elif isinstance(child, ast.UnaryOp):
            if not isinstance(child.op, (ast.USub, ast.UAdd)):
                raise FormulaError("uses only + - * / and parentheses")
        elif not isinstance(child, (ast.Load, ast.operator, ast.unaryop, ast.expr_context)):
            raise FormulaError(f"may not use {type(child).__name__.lower()}")
    return found


def formula_problems(formula: str, sections: Iterable[str], dimensions: Iterable[str]) -> str | None:
    """Why a formula cannot be computed over a test case with these sections and dimensions
    (names as written on its units, `security/auth` included), or None when it can."""
    try:
        scopes = _scopes(_parse(formula))
    except FormulaError as exc:
        return str(exc)
    known = {"section": set(sections), "dimension": _dimension_names(dimensions)}
    for kind, name in scopes:
        if name not in known[kind]:
            listed = ", ".join(sorted(known[kind])) or "none"
            return f"reads {kind} {name!r}, which no unit of the test case has (it has: {listed})"
    try:  # over a board where everything holds, to catch calls with the wrong arguments
        _value(_parse(formula), _tally([ScoredUnit(1, 1)]))
    except (ZeroDivisionError, OverflowError):
        pass
    except (TypeError, ValueError) as exc:
        return f"calls a function with the wrong arguments ({exc})"
    return None


def _dimension_names(dimensions: Iterable[str]) -> set[str]:
    names: set[str] = set()
    for name in dimensions:
        names.add(name.partition("/")[0])
        names.add(name)
    return names


UNCOMPUTABLE = 0.0  # the score of a formula that divides by zero: scores are numbers


def _evaluate(formula: str, board: Scoreboard) -> float:
    try:
        value = _value(_parse(formula), board)
    except (ZeroDivisionError, FormulaError, OverflowError, TypeError, ValueError, RecursionError):
        return UNCOMPUTABLE
    return round(value, PRECISION) if math.isfinite(value) else UNCOMPUTABLE


def _numeric(effect: Mapping[str, Any]) -> dict[str, Any]:
    score = effect.get("score")
    return {**effect, "score": UNCOMPUTABLE if score is None else score}


def with_numeric_effects(board: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A sealed scoreboard as it is served: an effect or sub-effect sealed with a `null` score
    (before a division by zero scored 0) scores 0."""
    if board is None:
        return None
    effects = [
        {**_numeric(effect), "subEffects": [_numeric(sub) for sub in effect.get("subEffects", [])]}
        for effect in board.get("effects", [])
    ]
    return {**board, "effects": effects}


def _scope_ratio(board: Scoreboard, kind: str, name: str) -> float:
    if kind == "section":
        return board.sections.get(name, Tally()).ratio
    parent, _, sub = name.partition("/")
    if sub:
        return board.sub_dimensions.get(parent, {}).get(sub, Tally()).ratio
    return board.dimensions.get(parent, Tally()).ratio


def _value(node: ast.expr, board: Scoreboard) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.Name):
        overall = board.overall
        names = {
            "overall": overall.ratio,
            "achieved": overall.achieved,
            "maximum": overall.maximum,
            "questions": float(overall.questions),
        }
        if node.id in names:
            return names[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = _value(node.operand, board)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        return _OPERATORS[type(node.op)](_value(node.left, board), _value(node.right, board))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name = node.func.id
        if name in _SCOPE_FUNCTIONS and isinstance(node.args[0], ast.Constant):
            return _scope_ratio(board, name, str(node.args[0].value))
        if name in _NUMERIC_FUNCTIONS:
            return float(_NUMERIC_FUNCTIONS[name](*(_value(a, board) for a in node.args)))
    raise FormulaError("cannot be computed")
