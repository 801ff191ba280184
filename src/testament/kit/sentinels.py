"""`UNSET`: the default of an update's optional argument, so that None can mean "clear it"."""

from typing import Any

__all__ = ["UNSET"]

UNSET: Any = object()
