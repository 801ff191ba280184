"""The one error hierarchy every door maps into its own wire format.

    TestamentError
     ├── Unauthenticated        no or bad credentials
     ├── Forbidden              the principal's role lacks a permission
     ├── NotFound               no such entity in the principal's workspace
     ├── InvalidInput           a field breaks a rule (field, rule)
     ├── Conflict               the request contradicts the current state
     │    └── IllegalTransition an entity cannot move to the asked state
     ├── QuotaExceeded          a workspace limit is reached
     └── Throttled              too many requests for this key

No HTTP status codes here: each surface maps these in one table of its own.
"""

from dataclasses import dataclass

__all__ = [
    "Conflict",
    "Forbidden",
    "IllegalTransition",
    "InvalidInput",
    "NotFound",
    "Problem",
    "QuotaExceeded",
    "TestamentError",
    "Throttled",
    "Unauthenticated",
]


class TestamentError(Exception):
    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthenticated(TestamentError):
    pass


class Forbidden(TestamentError):
    def __init__(self, message: str, *, permission: str | None = None) -> None:
        super().__init__(message)
        self.permission = permission  # the one lacked, when one permission decides (a surface names it)


class NotFound(TestamentError):
    def __init__(self, entity: str, ident: str) -> None:
        super().__init__(f"{entity} {ident!r} was not found")
        self.entity = entity
        self.ident = ident


@dataclass(frozen=True)
class Problem:
    """One broken rule: `field` is a dotted path (`content.steps[0].request.method`)."""

    field: str
    rule: str


class InvalidInput(TestamentError):
    def __init__(self, field: str, rule: str, *, more: list[Problem] | None = None) -> None:
        self.problems = [Problem(field, rule), *(more or [])]
        super().__init__("; ".join(f"{p.field}: {p.rule}" for p in self.problems))
        self.field = field
        self.rule = rule

    @classmethod
    def of(cls, problems: list[Problem]) -> "InvalidInput":
        first, *rest = problems
        return cls(first.field, first.rule, more=rest)


class Conflict(TestamentError):
    pass


class IllegalTransition(Conflict):
    pass


class QuotaExceeded(TestamentError):
    def __init__(self, quota: str, limit: int) -> None:
        super().__init__(f"quota {quota} of {limit} is reached")
        self.quota = quota
        self.limit = limit


class Throttled(TestamentError):
    pass
