"""The Enterprise Tester surface's messages speak the vendor's nouns and property names."""

import pytest

from testament.compat.enterprise_tester.errors import from_domain, vendor_field, vendor_words
from testament.domain import errors as e
from testament.domain.access import Permission


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("manual execution 7 is complete", "script run 7 is complete"),
        ("the executions of a test case", "the script runs of a script"),
        ("no package has the id 'x'", "no execution package has the id 'x'"),
        (
            "the name 'x' is taken by another suite in this workspace",
            "the name 'x' is taken by another script package in this project",
        ),
        ("assignments and script assignments", "script assignments and script assignments"),
        ("an execution package stays one", "an execution package stays one"),
    ],
)
def test_our_nouns_become_the_vendors(ours: str, theirs: str) -> None:
    assert vendor_words(ours) == theirs


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("results[2].actual_result", "StepResults[2].ActualResult"),
        ("content.steps[0].expected_result", "Steps[0].ExpectedResult"),
        ("test_case_id", "ScriptId"),
        ("widget_values", "WidgetValues"),
    ],
)
def test_field_paths_take_the_vendors_property_names(ours: str, theirs: str) -> None:
    assert vendor_field(ours) == theirs


def test_a_refusal_names_the_vendors_permission_and_a_refused_change_is_403() -> None:
    refused = from_domain(
        e.Forbidden("role tester may not run_any_assignment", permission=Permission.RUN_ANY_ASSIGNMENT)
    )
    complete = from_domain(e.IllegalTransition("manual execution 7 is complete; start a new run"))
    taken = from_domain(e.Conflict("a project named 'x' already exists"))

    assert refused.status == 403 and "ExecuteAllTests" in refused.message and "role" not in refused.message
    assert (complete.status, complete.message) == (403, "Script run 7 is complete; start a new run")
    assert taken.status == 409
