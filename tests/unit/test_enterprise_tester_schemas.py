"""Enterprise Tester's request models say a broken rule as the vendor's surface does: the
member's path in PascalCase, then the rule (or a sentence of the surface's, as it is), 403."""

from typing import Any

import pytest
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from testament.compat.enterprise_tester.errors import EtError, invalid_body
from testament.compat.enterprise_tester.patches import custom_values
from testament.compat.enterprise_tester.schemas import (
    IncidentInput,
    Operation,
    RunUpdateInput,
    ScriptAssignmentInput,
    ScriptInput,
    ScriptPackageInput,
)


def refusal(model: type[BaseModel], body: Any) -> tuple[int, str]:
    """What the surface answers when `model` refuses `body` (FastAPI puts a body's errors under `body`)."""
    with pytest.raises(ValidationError) as refused:
        model.model_validate(body)
    errors = [{**e, "loc": ("body", *e["loc"])} for e in refused.value.errors()]
    error = invalid_body(RequestValidationError(errors))
    return error.status, error.message


def test_a_text_member_that_is_not_a_string_is_named_with_its_kind() -> None:
    assert refusal(ScriptPackageInput, {"Name": ["x"]}) == (403, "Name must be a string, not an array")
    assert refusal(RunUpdateInput, {"StepResults": [{"Id": "s", "Outcome": 5}]}) == (
        403,
        "StepResults[0].Outcome must be a string, not a number",
    )


def test_a_step_result_without_an_id_of_the_run_is_refused_by_its_id_first() -> None:
    assert refusal(RunUpdateInput, {"StepResults": [{"Outcome": 5}]})[1] == (
        "StepResults[0].Id must be the id of a step result of this run"
    )
    assert refusal(RunUpdateInput, {"StepResults": [7]})[1].startswith("StepResults[0].Id ")
    assert refusal(RunUpdateInput, {"StepResults": "x"})[1] == "StepResults must be a list of step results"


def test_no_step_results_is_none_in_any_of_the_vendors_spellings() -> None:
    nothings: list[Any] = [None, [], {}, "", 0, False]
    for nothing in nothings:
        assert RunUpdateInput.model_validate({"StepResults": nothing}).StepResults is None


def test_a_package_left_out_is_refused_in_the_vendors_sentence() -> None:
    assert refusal(ScriptInput, {"Name": 5}) == (
        403,
        "You must specify a valid PackageId which the script can be added to.",
    )
    assert refusal(ScriptAssignmentInput, {"PackageId": ""})[1] == (
        "You must specify a valid PackageId which the assignment can be added to."
    )
    assert refusal(ScriptPackageInput, {"ProjectId": 3})[1] == "You must specify a valid ProjectId"
    assert ScriptPackageInput.model_validate({"ParentId": "ABC"}).ParentId == "abc"


def test_a_body_that_is_not_an_object_is_refused_as_before() -> None:
    assert refusal(ScriptInput, [1]) == (403, "body: Input should be a valid dictionary")
    assert refusal(IncidentInput, "x")[1] == "The body must be a CreateOrUpdateIncident object"
    assert refusal(IncidentInput, {"Comments": [3]})[1] == "Comments[0] must be a comment object with a Body"


def test_an_operation_is_read_as_the_custom_values_it_sets() -> None:
    operation = Operation.model_validate(
        {
            "update": {
                "customFields": [{"set": {"name": "Build", "value": 42}}],
                "pickListValues": [{"set": {"name": "Risk", "text": "High"}}],
            }
        }
    )

    assert custom_values(operation) == {"Build": 42, "Risk": "High"}
    assert refusal(Operation, {"update": {"customFields": [{"set": {}}]}})[1] == (
        "update.customFields[0].set must name the field it sets (name)"
    )
    assert (
        refusal(Operation, {"update": {"pickListValues": "x"}})[1] == "update.pickListValues must be a list"
    )
    assert refusal(Operation, {"update": 1})[1].startswith("The body must be an Operation")
    with pytest.raises(EtError, match="sets no custom field"):
        custom_values(Operation.model_validate({"update": {}}))
    with pytest.raises(EtError, match="must be an Operation"):
        custom_values(None)
