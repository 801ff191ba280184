"""AWS errors as botocore reads them from a rest-json service: the `x-amzn-ErrorType` header
and a JSON body with `Message` (plus `Reason` or `Problems` where the model has them).

Domain errors are mapped in one table; an operation may name a different AWS error for
the same domain error (a Conflict is a DuplicateResourceException when creating, an
InvalidRequestException when starting).
"""

from typing import Any

from fastapi.responses import JSONResponse

from testament.domain import errors as e

__all__ = ["DEFAULT_ERRORS", "AwsError", "aws_error_response", "from_domain"]

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
    content_problem = isinstance(exc, e.InvalidInput) and all(
        p.field.startswith("content") for p in exc.problems
    )
    if code == "InvalidParameterException" and content_problem:
        code = "InvalidTestCaseException"
    if code == "InvalidTestCaseException" and isinstance(exc, e.InvalidInput):
        problems = [{"message": f"{p.field}: {p.rule}"[:256]} for p in exc.problems[:50]]
        return AwsError(code, "Invalid test case content", Problems=problems)
    return AwsError(code, exc.message)


def aws_error_response(error: AwsError) -> JSONResponse:
    return JSONResponse(
        {"Message": error.message, "message": error.message, **error.extra},
        status_code=STATUS.get(error.code, 400),
        headers={"x-amzn-ErrorType": error.code},
    )
