"""The vendor's PATCH body, `Operation` (schemas.Operation), read as the custom values it sets.
Pure functions."""

from typing import Any

from testament.compat.enterprise_tester.errors import EtError
from testament.compat.enterprise_tester.schemas import OPERATION_RULE, Operation

__all__ = ["custom_values"]


def custom_values(operation: Operation | None) -> dict[str, Any]:
    """Each `customFields[].set`'s `name` and `value`; a picklist value set (`pickListValues[].set`)
    is kept as its `text` under its `name`. No body, or one that sets nothing, is refused with
    the vendor's 403."""
    if operation is None:
        raise EtError(403, OPERATION_RULE)
    update = operation.update
    values: dict[str, Any] = {s.set_.name: s.set_.value for s in update.customFields or []}
    values |= {s.set_.name: s.set_.text for s in update.pickListValues or []}
    if not values:
        raise EtError(403, "update sets no custom field: give customFields or pickListValues")
    return values
