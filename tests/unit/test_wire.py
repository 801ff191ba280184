"""The typed wire models' shared parts: a rule in the surface's words, a composite member's rule
that lets what is inside name itself, what counts as a typed body, and what an answer sends."""

from typing import Annotated, Any

import pytest
from pydantic import BaseModel, ValidationError

from testament.compat.wire import is_wire_model, rule, sent, shaped


class Inner(BaseModel):
    number: Annotated[int, rule("must be an integer id")]


class Outer(BaseModel):
    inner: Annotated[Inner | None, shaped("must be an object", dict)] = None
    items: Annotated[list[Inner] | None, shaped("must be a list", list)] = None
    optional: str | None = None


def first_problem(model: type[BaseModel], data: Any) -> tuple[tuple[Any, ...], str]:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(data)
    error = refused.value.errors()[0]
    return error["loc"], error["msg"]


def test_a_broken_rule_is_said_in_the_surfaces_words() -> None:
    assert first_problem(Inner, {"number": "abc"}) == (("number",), "must be an integer id")
    assert Inner.model_validate({"number": "12"}).number == 12  # digits are an id too


def test_a_composite_members_rule_refuses_its_shape_and_lets_its_members_name_themselves() -> None:
    assert first_problem(Outer, {"inner": "x"}) == (("inner",), "must be an object")
    assert first_problem(Outer, {"items": {"number": 1}}) == (("items",), "must be a list")
    assert first_problem(Outer, {"inner": {"number": "x"}}) == (("inner", "number"), "must be an integer id")
    assert first_problem(Outer, {"items": [{"number": 1}, {}]})[0] == ("items", 1, "number")


def test_a_typed_body_is_a_model_a_list_of_models_or_a_choice_of_them() -> None:
    assert is_wire_model(Outer) and is_wire_model(list[Inner]) and is_wire_model(Inner | None)
    assert is_wire_model(Annotated[Inner | Outer, "tagged"])
    assert not is_wire_model(dict[str, Any])
    assert not is_wire_model(dict[str, Any] | None)
    assert not is_wire_model(Any)
    assert not is_wire_model(Inner | dict[str, Any])


def test_an_answer_sends_the_members_its_translator_set_and_no_others() -> None:
    assert sent(Outer.model_validate({"optional": None})) == {"optional": None}
    assert sent(Outer()) == {}
