"""The incident's rules: a summary, picklist values, and a resolution exactly when resolved or closed."""

from datetime import UTC, datetime

import pytest

from testament.domain.errors import InvalidInput
from testament.domain.incidents import Incident, IncidentChange

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def raised(**given: object) -> Incident:
    change = IncidentChange(**{"summary": "Sign-in fails", **given})
    return Incident.raise_new(
        id="i1", workspace_id="w", project_id="w", number=1, by="ann", now=NOW, change=change
    )


def test_a_new_incident_is_an_open_major_bug_without_a_resolution() -> None:
    incident = raised()

    assert (incident.type, incident.priority, incident.status, incident.resolution) == (
        "Bug",
        "Major",
        "Open",
        None,
    )
    assert (incident.version, incident.created_by) == (1, "ann")


def test_an_incident_needs_a_summary() -> None:
    with pytest.raises(InvalidInput) as refused:
        Incident.raise_new(
            id="i", workspace_id="w", project_id="w", number=1, by="a", now=NOW, change=IncidentChange()
        )
    assert refused.value.field == "summary"


def test_picklist_fields_take_only_their_values_in_any_case() -> None:
    assert raised(priority="critical").priority == "Critical"
    with pytest.raises(InvalidInput) as refused:
        raised(type="Feature request")
    assert refused.value.field == "type" and "New Feature" in refused.value.rule


def test_resolving_needs_a_resolution_and_reopening_drops_it() -> None:
    incident = raised()
    with pytest.raises(InvalidInput) as refused:
        incident.update(IncidentChange(status="Resolved"), by="bob", now=NOW)
    assert refused.value.field == "resolution"

    incident.update(IncidentChange(status="Resolved", resolution="Fixed"), by="bob", now=NOW)
    resolved = (incident.status, incident.resolution, incident.version, incident.updated_by)
    incident.update(IncidentChange(status="Reopened"), by="ann", now=NOW)

    assert resolved == ("Resolved", "Fixed", 2, "bob")
    assert (incident.status, incident.resolution) == ("Reopened", None)


def test_an_open_incident_takes_no_resolution() -> None:
    with pytest.raises(InvalidInput) as refused:
        raised(resolution="Fixed")
    assert refused.value.field == "resolution"


def test_field_values_are_merged() -> None:
    incident = raised(field_values={"Severity": "High"})
    incident.update(IncidentChange(field_values={"Browser": "Firefox"}), by="ann", now=NOW)

    assert incident.field_values == {"Severity": "High", "Browser": "Firefox"}
