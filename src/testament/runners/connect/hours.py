"""Hours of operation (AWS CreateHoursOfOperation shape) evaluated at an instant.

`Config` lists per-day ranges in the resource's `TimeZone`, read with zoneinfo at the virtual
clock's time. A range whose end equals its start is open all day (AWS shows 00:00-00:00 as
"24 hours"); a range whose end is before its start runs past midnight into the next day.

Pitfall: the day an overnight range belongs to is the day it starts, so 01:00 on Tuesday is
inside Monday's 22:00-02:00.
"""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["HoursError", "is_open"]

DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


class HoursError(ValueError):
    """The hours resource cannot be evaluated (unknown time zone, malformed range)."""


def _minutes(value: Any) -> int:
    if not isinstance(value, dict):
        raise HoursError(f"a time must be {{Hours, Minutes}}, not {value!r}")
    try:
        return int(value.get("Hours", 0)) * 60 + int(value.get("Minutes", 0))
    except (TypeError, ValueError):
        raise HoursError(f"a time must be {{Hours, Minutes}}, not {value!r}") from None


def is_open(body: dict[str, Any], at: datetime) -> bool:
    zone_name = str(body.get("TimeZone") or "UTC")
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise HoursError(f"unknown time zone {zone_name!r}") from None
    local = at.astimezone(zone)
    today = DAYS[local.weekday()]
    yesterday = DAYS[(local.weekday() - 1) % 7]
    minute = local.hour * 60 + local.minute
    for entry in body.get("Config") or []:
        day = str(entry.get("Day", "")).upper()
        start, end = _minutes(entry.get("StartTime")), _minutes(entry.get("EndTime"))
        if day == today and (start == end or start <= minute < end or (end < start and minute >= start)):
            return True
        if day == yesterday and end < start and minute < end:
            return True
    return False
