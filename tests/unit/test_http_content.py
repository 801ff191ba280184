"""What an http test case's expectations may say: an object as an expected value is a set of
operators, and an unknown operator is refused with the list of known ones."""

from typing import Any

import pytest

from testament.domain.content import validate_content
from testament.domain.content.http import OPERATORS
from testament.domain.errors import InvalidInput


def content_expecting(expect: dict[str, Any]) -> dict[str, Any]:
    return {"steps": [{"name": "s", "request": {"url": "http://x"}, "expect": expect}]}


def refusal(expect: dict[str, Any]) -> tuple[str, str]:
    with pytest.raises(InvalidInput) as refused:
        validate_content("http", content_expecting(expect))
    [problem] = refused.value.problems
    return problem.field, problem.rule


def test_a_misspelt_operator_alone_is_refused_naming_the_jsonpath_and_the_known_operators() -> None:
    field, rule = refusal({"json": {"$.status": {"equals": "ok"}}})

    assert field == 'content.steps[0].expect.json["$.status"]'
    assert rule.startswith("'equals' is not an operator; the operators are eq, ne, contains,")
    assert all(op in rule for op in OPERATORS)
    assert "{eq: {...}}" in rule


def test_an_unknown_key_beside_known_operators_is_refused_with_a_suggestion() -> None:
    _field, rule = refusal({"json": {"$.tags": {"gt": 0, "lenght": 3}}})

    assert rule.startswith("'lenght' (did you mean 'length'?) is not an operator")


def test_every_unknown_key_is_named() -> None:
    _field, rule = refusal({"json": {"$.a": {"foo": 1, "bar": 2}}})

    assert rule.startswith("'foo', 'bar' are not operators")


def test_an_object_meant_literally_is_refused_until_wrapped_in_eq() -> None:
    literal = {"name": "alice", "id": 7}

    refusal({"json": {"$.user": literal}})
    saved = validate_content("http", content_expecting({"json": {"$.user": {"eq": literal}}}))

    assert saved["steps"][0]["expect"]["json"] == {"$.user": {"eq": literal}}


def test_an_empty_object_is_refused_because_it_checks_nothing() -> None:
    _field, rule = refusal({"json": {"$.a": {}}})

    assert rule == "an empty object checks nothing; to compare with {}, write {eq: {}}"


def test_header_expectations_follow_the_same_rule_and_name_the_header() -> None:
    field, rule = refusal({"headers": {"content-type": {"contians": "json"}}})

    assert field == "content.steps[0].expect.headers.content-type"
    assert "'contians' (did you mean 'contains'?)" in rule


def test_known_operators_and_plain_values_are_saved_as_given() -> None:
    expect = {
        "json": {"$.name": "widget", "$.count": {"gt": 1, "lte": 5}, "$.list": ["a", {"b": 1}]},
        "headers": {"content-type": {"contains": "json"}},
    }

    saved = validate_content("http", content_expecting(expect))

    assert saved["steps"][0]["expect"] == expect


def test_a_bad_operand_is_still_named_after_its_jsonpath() -> None:
    field, rule = refusal({"json": {"$.a": {"matches": "("}}})

    assert field == 'content.steps[0].expect.json["$.a"]'
    assert rule.startswith("invalid regular expression")
