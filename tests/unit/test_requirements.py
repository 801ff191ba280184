"""Requirements and labels (domain/requirements.py): checked with the field named, merged with
the machine's over the test case's, and matched through the keys of a worker's label subsets."""

import pytest

from testament.domain.errors import InvalidInput
from testament.domain.requirements import (
    MAX_LABELS,
    check_labels,
    check_requires,
    describe,
    merged,
    requirement_key,
    satisfiable_keys,
    satisfies,
)


def test_a_requirement_set_is_met_by_every_worker_whose_labels_include_it() -> None:
    labels = {"browser": "chromium", "os": "linux", "zone": "eu"}
    keys = set(satisfiable_keys(labels))

    assert len(keys) == 2**3  # one per subset, the empty one included
    for requires in ({}, {"browser": "chromium"}, {"os": "linux", "browser": "chromium"}, labels):
        assert requirement_key(requires) in keys
        assert satisfies(labels, requires)
    for requires in ({"browser": "firefox"}, {"browser": "chromium", "gpu": "yes"}):
        assert requirement_key(requires) not in keys
        assert not satisfies(labels, requires)


def test_equal_sets_have_one_key_whatever_their_order() -> None:
    assert requirement_key({"b": "2", "a": "1"}) == requirement_key({"a": "1", "b": "2"})
    assert requirement_key({}) == ""
    assert requirement_key({"a": "x=1,b"}) != requirement_key({"a": "x", "b": "1"})  # no ambiguity


def test_the_plan_machine_wins_over_the_test_case() -> None:
    assert merged({"browser": "chromium", "os": "linux"}, {"browser": "firefox"}) == {
        "browser": "firefox",
        "os": "linux",
    }


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ("chromium", "requires"),
        ({"browser": 1}, "requires.browser"),
        ({"browser": ""}, "requires.browser"),
        ({"bad name": "x"}, "requires"),
        ({f"l{i}": "x" for i in range(MAX_LABELS + 1)}, "requires"),
    ],
)
def test_a_bad_requirement_names_its_field(value: object, field: str) -> None:
    with pytest.raises(InvalidInput) as bad:
        check_requires("requires", value)
    assert bad.value.field == field


def test_labels_follow_the_same_rules_and_none_is_no_requirement() -> None:
    assert check_requires("requires", None) == {}
    assert check_labels({"os": "linux", "browser": "chromium"}) == {"browser": "chromium", "os": "linux"}
    with pytest.raises(InvalidInput):
        check_labels({"browser": "x" * 101})


def test_why_an_execution_waits_names_its_kind_and_labels() -> None:
    assert describe("http", {}) == "no live worker has kind 'http'"
    assert describe("noop", {"browser": "firefox", "os": "linux"}) == (
        "no live worker has kind 'noop' and labels browser=firefox,os=linux"
    )
