"""Checks made on a JSON text before a parser is trusted with it."""

import json

import pytest

from testament.kit.raw_json import MAX_JSON_DEPTH, has_lone_surrogate, json_depth, loads, nests_deeper_than


def test_depth_counts_arrays_and_objects_but_not_brackets_inside_strings() -> None:
    assert json_depth("1") == 0
    assert json_depth('{"a": [1, {"b": "[[[[{{{{"}]}') == 3
    assert json_depth(r'["a \" [[[ quoted", ["x"]]') == 2
    assert json_depth(r'["ends in a backslash \\", [[1]]]') == 3


def test_a_text_a_thousand_levels_deep_is_measured_without_recursion() -> None:
    assert json_depth("[" * 1000 + "]" * 1000) == 1000
    assert nests_deeper_than("[" * 1000 + "]" * 1000)


def test_the_limit_itself_is_allowed() -> None:
    at_limit = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH

    assert not nests_deeper_than(at_limit)
    assert nests_deeper_than("[" + at_limit + "]")
    assert loads(at_limit) is not None


def test_loads_refuses_a_deep_text_as_a_value_error_naming_the_limit() -> None:
    with pytest.raises(ValueError, match="nested deeper than 64 levels"):
        loads("{" + '"a":' * 0 + "[" * 65 + "]" * 65 + "}")


def test_a_lone_surrogate_is_found_in_keys_and_values_but_a_pair_is_text() -> None:
    assert has_lone_surrogate(b'{"name": "\\ud800"}')
    assert has_lone_surrogate(b'{"\\udc00": 1}')
    assert has_lone_surrogate(b'[["x", "\\uDBFF y"]]')
    assert not has_lone_surrogate(json.dumps({"name": "\U0001f600"}).encode())  # \ud83d\ude00
    assert not has_lone_surrogate(b'"\\\\ud800"')  # an escaped backslash, then plain letters
    assert not has_lone_surrogate(b'{"name": "\\ud800')  # not JSON: the route says so
