"""Scoreboards and effects, checked to the point against values computed by hand."""

import pytest

from testament.domain.scoring import (
    ScoredUnit,
    compute_scoreboard,
    formula_problems,
    merge_scoreboards,
    with_numeric_effects,
)

UNITS = [
    ScoredUnit(2, 1.0, "login", ("security/auth", "ux")),
    ScoredUnit(1, 0.0, "login", ("security/crypto",)),
    ScoredUnit(3, 0.5, "search", ("speed",)),
    ScoredUnit(1, 1.0, None, ("security/auth", "security/crypto")),
]


def board(achieved: float, maximum: float, ratio: float, questions: int) -> dict[str, float | int]:
    return {
        "pointsAchieved": achieved,
        "maxAchievablePoints": maximum,
        "achievementRatio": ratio,
        "noOfQuestions": questions,
    }


def test_the_scoreboard_adds_up_overall_by_section_dimension_and_sub_dimension() -> None:
    score = compute_scoreboard(UNITS).as_json()

    # 2*1 + 1*0 + 3*0.5 + 1*1 = 4.5 of 7
    assert score["scoreboard"] == board(4.5, 7, 0.642857, 4)
    assert score["sections"] == [
        {"name": "login", "scoreboard": board(2, 3, 0.666667, 2)},
        {"name": "search", "scoreboard": board(1.5, 3, 0.5, 1)},
    ]
    security, ux, speed = score["dimensions"]
    # units 1, 2 and 4 count once each towards security, whatever sub-dimensions they name
    assert (security["name"], security["scoreboard"]) == ("security", board(3, 4, 0.75, 3))
    assert security["subDimensions"] == [
        {"name": "auth", "scoreboard": board(3, 3, 1.0, 2)},
        {"name": "crypto", "scoreboard": board(1, 2, 0.5, 2)},
    ]
    assert (ux["name"], ux["scoreboard"], ux["subDimensions"]) == ("ux", board(2, 2, 1.0, 1), [])
    assert (speed["name"], speed["scoreboard"]) == ("speed", board(1.5, 3, 0.5, 1))


def test_effects_are_computed_from_the_scoreboard() -> None:
    effects = [
        {
            "name": "quality",
            "formula": "weighted(dimension('security'), 2, dimension('speed'), 1)",
            "sub_effects": [
                {"name": "auth", "formula": "dimension('security/auth') * 100"},
                {"name": "broken", "formula": "achieved / (maximum - 7)"},
            ],
        },
        {"name": "overall percent", "formula": "round(overall * 100, 1)"},
        {"name": "worst section", "formula": "min(section('login'), section('search'))"},
        {"name": "questions left", "formula": "-questions + 10"},
    ]
    score = compute_scoreboard(UNITS, effects).as_json()

    # (0.75 * 2 + 0.5 * 1) / 3
    assert score["effects"] == [
        {
            "name": "quality",
            "score": 0.666667,
            "subEffects": [{"name": "auth", "score": 100.0}, {"name": "broken", "score": 0.0}],
        },
        {"name": "overall percent", "score": 64.3, "subEffects": []},
        {"name": "worst section", "score": 0.5, "subEffects": []},
        {"name": "questions left", "score": 6.0, "subEffects": []},
    ]


def test_nothing_to_score_is_zero_of_zero() -> None:
    assert compute_scoreboard([]).as_json()["scoreboard"] == board(0, 0, 0.0, 0)


@pytest.mark.parametrize(
    ("formula", "problem"),
    [
        ("dimension('security') +", "is not a formula"),
        ("__import__('os')", "unknown function __import__()"),
        ("overall ** 2", "uses only + - * / and parentheses"),
        ("overall.real", "may not use attribute"),
        ("points", "unknown name 'points'"),
        ("dimension(security)", "takes one quoted name"),
        ("dimension('securty')", "reads dimension 'securty', which no unit of the test case has"),
        ("section('checkout')", "reads section 'checkout'"),
        ("weighted(overall, 1, achieved)", "wrong arguments"),
        ("abs(1, 2)", "wrong arguments"),
        ("'text' + 1", "quoted names only inside section() and dimension()"),
        ("[overall]", "may not use list"),
    ],
)
def test_a_formula_that_cannot_be_computed_says_why(formula: str, problem: str) -> None:
    found = formula_problems(formula, ["login"], ["security/auth", "speed"])
    assert found is not None and problem in found, found


def test_formulas_may_read_parent_and_sub_dimensions() -> None:
    assert (
        formula_problems("mean(dimension('security'), dimension('security/auth'))", [], ["security/auth"])
        is None
    )


@pytest.mark.parametrize(
    ("formula", "problem"),
    [
        ("9" * 400, "takes numbers up to 1e+15"),
        ("1+" * 989 + "1", "nested too deeply"),
        ("-" * 990 + "1", "nested too deeply"),
        ("mean(" + ", ".join(["overall"] * 500) + ")", "too long"),
    ],
)
def test_formulas_too_big_to_compute_safely_are_refused(formula: str, problem: str) -> None:
    found = formula_problems(formula, [], [])
    assert found is not None and problem in found, found


def test_a_formula_that_divides_by_zero_scores_zero_a_number_as_the_vendor_types_it() -> None:
    effects = [
        {"name": "per question", "formula": "achieved / questions"},
        {"name": "past the largest float", "formula": " * ".join(["1000000000000000"] * 22)},
    ]

    score = compute_scoreboard([], effects).as_json()

    assert [e["score"] for e in score["effects"]] == [0.0, 0.0]


def test_scores_sealed_as_null_before_are_read_as_zero() -> None:
    sealed = compute_scoreboard(UNITS).as_json() | {
        "effects": [{"name": "old", "score": None, "subEffects": [{"name": "sub", "score": None}]}]
    }

    read = with_numeric_effects(sealed)

    assert read is not None
    assert read["effects"] == [{"name": "old", "score": 0.0, "subEffects": [{"name": "sub", "score": 0.0}]}]
    assert read["scoreboard"] == sealed["scoreboard"]
    assert merge_scoreboards([sealed])["effects"] == read["effects"]
