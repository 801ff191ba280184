"""Enterprise Tester's error body: `{"Message": "..."}`; 403 also for validation failures and
for refused changes (a completed run), as the vendor does.

Messages speak the vendor's nouns (script run, step result, script assignment, script,
script package, execution package, attachment) and permission names (`ExecuteAllTests`):
a domain error's entity, permission and field are looked up in the tables below, and any
other text has our nouns replaced in one pass. A few operations answer differently
(`BY_ROUTE`): deleting a package, a project or a user refuses a conflict with 403, and the
user and incident operations name their own properties in validation messages.
"""

import re
from collections.abc import Callable, Sequence

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from testament.compat.errors import first_problem
from testament.domain import errors as e
from testament.domain.access import Permission

__all__ = [
    "BY_ROUTE",
    "EtError",
    "error_response",
    "from_domain",
    "invalid_body",
    "vendor_field",
    "vendor_words",
]


class EtError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


STATUS: dict[type[e.TestamentError], int] = {
    e.Unauthenticated: 401,
    e.Forbidden: 403,
    e.InvalidInput: 403,  # the vendor answers validation failures with 403
    e.NotFound: 404,
    e.IllegalTransition: 403,  # a refused change, such as updating a completed run
    e.Conflict: 409,
    e.QuotaExceeded: 403,
    e.Throttled: 429,
}

# our nouns (singular) and the vendor's
NOUNS: dict[str, str] = {
    "manual execution": "script run",
    "execution": "script run",
    "test case version": "script version",
    "test case": "script",
    "suite": "script package",
    "package": "execution package",
    "assignment": "script assignment",
    "artifact file": "attachment",
    "artifact": "attachment",
    "key": "user",
    "workspace": "project",
}
_NOUN = re.compile(
    r"\b(?<!script )(?<!execution )("
    + "|".join(re.escape(n) for n in sorted(NOUNS, key=len, reverse=True))
    + r")(s?)\b(?! package)",  # the vendor's "execution package" is not our execution
    re.IGNORECASE,
)

# what a refusal says, by the permission lacked (the vendor's permission names)
REFUSALS: dict[Permission, str] = {
    Permission.READ: "You do not have the permission TestManagement/ManageExecutions/View",
    Permission.WRITE: "You do not have the permission TestManagement/ManageExecutions/Edit",
    Permission.EXECUTE: "You do not have the permission ExecuteOnlyMyTests (or ExecuteAllTests)",
    Permission.RUN_ANY_ASSIGNMENT: (
        "This script assignment is another tester's: running it needs the permission ExecuteAllTests "
        "(ExecuteOnlyMyTests runs only your own)"
    ),
    Permission.DELETE: "You do not have the permission TestManagement/ManageExecutions/Delete",
    Permission.ADMINISTER: "You do not have the permission Administration",
}

# our field names and the vendor's property names
FIELDS: dict[str, str] = {
    "results": "StepResults",
    "step": "Id",
    "content": "",
    "test_case_id": "ScriptId",
    "assignee": "AssignedToId",
    "tester": "TesterId",
}


def vendor_words(text: str) -> str:
    """`text` with each of our nouns replaced by the vendor's (plural kept)."""

    def swap(found: re.Match[str]) -> str:
        return NOUNS[found.group(1).lower()] + found.group(2)

    return _NOUN.sub(swap, text)


def vendor_field(field: str) -> str:
    """A field path in the vendor's PascalCase: `results[0].actual_result` → `StepResults[0].ActualResult`."""
    parts = []
    for part in field.split("."):
        name, bracket, rest = part.partition("[")
        vendor = FIELDS.get(name, "".join(w.capitalize() for w in name.split("_")))
        if vendor or bracket:
            parts.append(vendor + bracket + rest)
    return ".".join(parts)


def _message(exc: e.TestamentError) -> str:
    if isinstance(exc, e.NotFound):
        return f"The {NOUNS.get(exc.entity) or vendor_words(exc.entity)} {exc.ident} does not exist"
    if isinstance(exc, e.Forbidden) and exc.permission is not None and exc.permission in REFUSALS:
        return REFUSALS[Permission(exc.permission)]
    if isinstance(exc, e.InvalidInput):
        joint = " " if exc.rule.startswith("must") else ": "  # "Name must …", "PackageId: no …"
        return vendor_words(f"{vendor_field(exc.field)}{joint}{exc.rule}")
    return vendor_words(exc.message)


def from_domain(exc: e.TestamentError) -> EtError:
    status = next((STATUS[c] for c in type(exc).__mro__ if c in STATUS), 500)
    message = _message(exc)
    return EtError(status, message[:1].upper() + message[1:])


def _refused_as_403(exc: e.TestamentError) -> EtError:
    """The vendor refuses a conflicting change with 403."""
    error = from_domain(exc)
    return EtError(403 if error.status == 409 else error.status, error.message)


def _naming(
    properties: dict[str, str], translate: Callable[[e.TestamentError], EtError]
) -> Callable[[e.TestamentError], EtError]:
    """`translate`, except that a validation failure names the vendor's property (403)."""

    def named(exc: e.TestamentError) -> EtError:
        if isinstance(exc, e.InvalidInput):
            return EtError(403, f"{properties.get(exc.field, exc.field)} {exc.rule}")
        return translate(exc)

    return named


# our field names and the vendor's, in a user's and an incident's messages
USER_PROPERTIES = {"name": "UserName", "display_name": "DisplayName", "email": "Email", "enabled": "Enabled"}
INCIDENT_PROPERTIES = {
    "summary": "Summary",
    "description": "Description",
    "type": "TypeId",
    "priority": "PriorityId",
    "status": "StatusId",
    "resolution": "ResolutionId",
    "assignee_id": "AssignedToId",
    "project_id": "ProjectId",
    "field_values": "FieldValues",
}
_user_errors = _naming(USER_PROPERTIES, _refused_as_403)
_incident_errors = _naming(INCIDENT_PROPERTIES, from_domain)

BY_ROUTE: dict[str, Callable[[e.TestamentError], EtError]] = {
    "DELETE /api/executionpackage/{package_id}": _refused_as_403,
    "DELETE /api/project/{project_id}": _refused_as_403,
    "POST /api/users": _user_errors,
    "PUT /api/user/{user_id}": _user_errors,
    "DELETE /api/user/{user_id}": _user_errors,
    "POST /api/incidents": _incident_errors,
    "PUT /api/incident/{incident_id}": _incident_errors,
    "PATCH /api/incident/{incident_id}": _incident_errors,
}


def invalid_body(exc: RequestValidationError) -> EtError:
    """A body its model refused (403, the vendor's validation status): a member's rule after
    the member's path (`StepResults[0].Outcome must be a string, not a number`), a sentence of
    the surface's as it is, anything else as `where: what`."""
    first = exc.errors()[0]
    if first["type"] == "et_message":
        return EtError(403, first["msg"])
    if first["type"] == "wire_rule":
        return EtError(403, f"{_member_path(first['loc'][1:])} {first['msg']}".strip())
    return EtError(403, first_problem(exc, "body"))


def _member_path(loc: Sequence[str | int]) -> str:
    """`("StepResults", 0, "Outcome")` as the vendor writes it: `StepResults[0].Outcome`."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path


def error_response(error: EtError) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Basic realm="Enterprise Tester"'} if error.status == 401 else None
    return JSONResponse({"Message": error.message}, status_code=error.status, headers=headers)
