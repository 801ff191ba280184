"""The vendor's PATCH body, `Operation`: `{"update": {"customFields": [{"set": {"name", "value",
…}}], "pickListValues": [...]}}`, read as the custom values it sets. Pure functions."""

from typing import Any

from testament.compat.enterprise_tester.errors import EtError

__all__ = ["custom_values"]


def custom_values(body: Any) -> dict[str, Any]:
    """Each `customFields[].set`'s `name` and `value`; a picklist value set (`pickListValues[].set`)
    is kept as its `text` under its `name`. Anything else is refused with the vendor's 403."""
    update = body.get("update") if isinstance(body, dict) else None
    if not isinstance(update, dict):
        raise EtError(403, 'The body must be an Operation: {"update": {"customFields": [{"set": {...}}]}}')
    values: dict[str, Any] = {}
    for key, read in (("customFields", "value"), ("pickListValues", "text")):
        items = update.get(key) or []
        if not isinstance(items, list):
            raise EtError(403, f"update.{key} must be a list")
        for i, item in enumerate(items):
            setting = item.get("set") if isinstance(item, dict) else None
            name = setting.get("name") if isinstance(setting, dict) else None
            if not isinstance(setting, dict) or not isinstance(name, str) or not name:
                raise EtError(403, f"update.{key}[{i}].set must name the field it sets (name)")
            values[name] = setting.get(read)
    if not values:
        raise EtError(403, "update sets no custom field: give customFields or pickListValues")
    return values
