"""Free-form JSON a caller stores (custom field values, callback params): plain JSON only.

Python's parser accepts NaN and Infinity, which are not JSON: PostgreSQL refuses them and
other clients cannot read them back, so they are refused here with the field's name.
"""

import json
from typing import Any

from testament.domain.errors import InvalidInput

__all__ = ["check_json_object"]


def check_json_object(field: str, value: Any, max_bytes: int = 64 * 1024) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(field, "must be an object of name: value")
    try:
        text = json.dumps(value, allow_nan=False)
    except ValueError:
        raise InvalidInput(field, "must be plain JSON (NaN and Infinity are not JSON numbers)") from None
    if len(text) > max_bytes:
        raise InvalidInput(field, f"must be at most {max_bytes // 1024} KiB as JSON")
    return value
