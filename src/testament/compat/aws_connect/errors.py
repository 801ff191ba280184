"""AWS errors as botocore reads them from a rest-json service: the `x-amzn-ErrorType` header
and a JSON body with `Message` (plus `Reason` or `Problems` where the model has them).

Domain errors are mapped in one table; an operation may name a different AWS error for
the same domain error (a Conflict is a DuplicateResourceException when creating, an
InvalidRequestException when starting): `BY_ROUTE` says which, by the operation's route.
"""

from collections.abc import Callable
from typing import Any

from fastapi.responses import JSONResponse

from testament.domain import errors as e

__all__ = ["BY_ROUTE", "DEFAULT_ERRORS", "AwsError", "aws_error_response", "from_domain", "member_of"]

STATUS = {
    "AccessDeniedException": 403,
    "DuplicateResourceException": 409,
    "IdempotencyException": 409,
    "IncompleteSignatureException": 403,
    "InternalServiceException": 500,
    "InvalidContactFlowException": 400,
    "InvalidParameterException": 400,
    "SerializationException": 400,
    "InvalidRequestException": 400,
    "InvalidTestCaseException": 400,
    "InvalidSignatureException": 403,
    "LimitExceededException": 429,
    "MissingAuthenticationTokenException": 403,
    "ResourceNotFoundException": 404,
    "ServiceQuotaExceededException": 402,
    "ThrottlingException": 429,
    "UnrecognizedClientException": 403,
    "ValidationException": 400,
}

DEFAULT_ERRORS: dict[type[e.TestamentError], str] = {
    e.Unauthenticated: "UnrecognizedClientException",
    e.Forbidden: "AccessDeniedException",
    e.NotFound: "ResourceNotFoundException",
    e.InvalidInput: "InvalidParameterException",
    e.IllegalTransition: "InvalidRequestException",
    e.Conflict: "InvalidRequestException",
    e.QuotaExceeded: "ServiceQuotaExceededException",
    e.Throttled: "ThrottlingException",
}


class AwsError(Exception):
    def __init__(self, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra


def from_domain(
    exc: e.TestamentError, overrides: dict[type[e.TestamentError], str] | None = None
) -> AwsError:
    table = {**DEFAULT_ERRORS, **(overrides or {})}
    code = next((table[cls] for cls in type(exc).__mro__ if cls in table), "InternalServiceException")
    if not isinstance(exc, e.InvalidInput):
        return AwsError(code, exc.message)
    content_problem = all(p.field.startswith("content") for p in exc.problems)
    if code == "InvalidParameterException" and content_problem:
        code = "InvalidTestCaseException"
    said = [f"{member_of(p.field)}: {p.rule}" for p in exc.problems]
    if code == "InvalidTestCaseException":
        problems = [{"message": message[:256]} for message in said[:50]]
        return AwsError(code, "Invalid test case content", Problems=problems)
    return AwsError(code, "; ".join(said))


def _taken_is_duplicate(exc: e.TestamentError) -> AwsError:
    return from_domain(exc, {e.Conflict: "DuplicateResourceException"})


# the operations that create or rename a resource: a name already taken is a duplicate there
BY_ROUTE: dict[str, Callable[[e.TestamentError], AwsError]] = {
    route: _taken_is_duplicate
    for route in (
        "PUT /test-cases/{InstanceId}",  # CreateTestCase
        "POST /test-cases/{InstanceId}/{TestCaseId}",  # UpdateTestCase
        "PUT /contact-flows/{InstanceId}",  # CreateContactFlow
        "PUT /queues/{InstanceId}",  # CreateQueue
        "PUT /hours-of-operations/{InstanceId}",  # CreateHoursOfOperation
    )
}


MEMBERS = {  # the core's field names that differ from the request members they come from
    "name": "Name",
    "description": "Description",
    "tags": "Tags",
    "cursor": "NextToken",
    "limit": "MaxResults",
    "client_token": "ClientToken",
}


def member_of(field: str) -> str:
    """A core problem's field as the AWS request member it is about: the stored content's
    members are the test case's own (`content.Content.Observations[0]` is `Content.Observations[0]`)."""
    if field.startswith("content."):
        return field.removeprefix("content.")
    head, dot, rest = field.partition(".")
    return f"{MEMBERS.get(head, head)}{dot}{rest}"


def aws_error_response(error: AwsError) -> JSONResponse:
    return JSONResponse(
        {"Message": error.message, "message": error.message, **error.extra},
        status_code=STATUS.get(error.code, 400),
        headers={"x-amzn-ErrorType": error.code},
    )
