"""The virtual clock: simulated time that costs no real time.

Waiting for customer input, mocked Lambda delays and the 300 s test limit all move this clock,
never `time.sleep`. It starts at a fixed instant (a test pins it with the `connect.start_time`
variable) so hours-of-operation checks are deterministic.

A record carries both times: `Timestamp`, the real time it was written (so it falls between
the execution's start and end, as a client reading the execution expects), and `VirtualTime`,
the simulated time the flow saw, which runs ahead of real time because nothing waits.

Pitfall: a naive start time is taken as UTC; comparing naive and aware datetimes would raise.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

__all__ = ["VirtualClock", "parse_start_time", "stamp"]


@dataclass
class VirtualClock:
    start: datetime
    elapsed_s: float = field(default=0.0)

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed_s)

    def advance(self, seconds: float) -> None:
        self.elapsed_s += max(0.0, seconds)

    def advance_to(self, elapsed_s: float) -> None:
        self.elapsed_s = max(self.elapsed_s, elapsed_s)

    def iso(self) -> str:
        return _iso(self.now())


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def stamp(clock: VirtualClock) -> dict[str, str]:
    """The times a record carries: real (`Timestamp`) and simulated (`VirtualTime`)."""
    return {"Timestamp": _iso(datetime.now(UTC)), "VirtualTime": clock.iso()}


def parse_start_time(value: object) -> datetime:
    """The virtual start: an ISO 8601 string (or datetime) when given, else the real current UTC time.

    Raises ValueError for a string that is not ISO 8601.
    """
    if value is None or value == "":
        return datetime.now(UTC)
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
