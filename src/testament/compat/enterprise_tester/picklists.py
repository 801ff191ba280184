"""The incident picklists as the vendor names them (a project's IncidentTypes, Priorities,
IncidentStatuses and IncidentResolutions) and their values as Picklist objects with stable ids."""

import uuid
from enum import StrEnum
from typing import Any

from testament.compat.enterprise_tester.errors import EtError
from testament.compat.enterprise_tester.schemas import PicklistWire
from testament.domain.incidents import IncidentPriority, IncidentResolution, IncidentStatus, IncidentType

__all__ = ["PICKLIST_TYPES", "picklist_type", "picklist_value", "picklist_wire", "text_of_picklist"]

PICKLIST_TYPES: dict[str, type[StrEnum]] = {
    "IncidentTypes": IncidentType,
    "Priorities": IncidentPriority,
    "IncidentStatuses": IncidentStatus,
    "IncidentResolutions": IncidentResolution,
}
_IDS = uuid.UUID("0b5cbb0e-3f0c-4b59-8a38-5d2c3e7f9a41")


def _id(kind: type[StrEnum], text: str) -> str:
    return str(uuid.uuid5(_IDS, f"{kind.__name__}/{text}"))


def picklist_wire(kind: type[StrEnum], text: str | None) -> PicklistWire | None:
    if text is None:
        return None
    order = [m.value for m in kind].index(text)
    return PicklistWire(Id=_id(kind, text), Text=text, SortOrder=order, IsEnable=True)


def picklist_value(kind: type[StrEnum], text: str | None) -> str | None:
    """The id of a picklist value (None for none)."""
    return None if text is None else _id(kind, text)


def text_of_picklist(kind: type[StrEnum], field: str, given: Any) -> str | None:
    """A value given by its id (as the vendor's clients do) or by its text."""
    if given is None or given == "":
        return None
    for member in kind:
        if str(given).lower() in (_id(kind, member.value), member.value.lower()):
            return member.value
    raise EtError(403, f"{field} must be the Id of one of: {', '.join(m.value for m in kind)}")


def picklist_type(name: str) -> type[StrEnum]:
    for known, kind in PICKLIST_TYPES.items():
        if known.lower() == name.lower():
            return kind
    raise EtError(404, f"No picklist {name}: the incident picklists are {', '.join(PICKLIST_TYPES)}")
