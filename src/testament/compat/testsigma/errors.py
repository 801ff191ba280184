"""Testsigma's error body: `{timeStamp, error, code, fieldErrors, objectErrors}`."""

import math
from typing import Any

from fastapi.responses import JSONResponse

from testament.domain import errors as e
from testament.kit.clock import utcnow

__all__ = ["TestsigmaError", "error_response", "field_error", "from_domain"]


class TestsigmaError(Exception):
    __test__ = False

    def __init__(
        self, status: int, message: str, code: str | None = None, field_errors: list[Any] | None = None
    ):
        super().__init__(message)
        self.status, self.message, self.code, self.field_errors = status, message, code, field_errors


STATUS: dict[type[e.TestamentError], int] = {
    e.Unauthenticated: 401,
    e.Forbidden: 403,
    e.NotFound: 404,
    e.InvalidInput: 400,
    e.IllegalTransition: 400,
    e.Conflict: 422,
    e.QuotaExceeded: 429,
    e.Throttled: 429,
}


def from_domain(exc: e.TestamentError) -> TestsigmaError:
    status = next((STATUS[c] for c in type(exc).__mro__ if c in STATUS), 500)
    fields = None
    if isinstance(exc, e.InvalidInput):
        fields = [{"field": p.field, "rejectedValue": None, "message": p.rule} for p in exc.problems]
    return TestsigmaError(status, exc.message, type(exc).__name__, fields)


def field_error(field: str, message: str, rejected: Any = None) -> TestsigmaError:
    return TestsigmaError(
        400,
        f"{field}: {message}",
        "VALIDATION_ERROR",
        [{"field": field, "rejectedValue": rejected, "message": message}],
    )


def _writable(value: Any) -> Any:
    """`value` as JSON can carry it: a rejected input may be raw bytes (a body that was not
    JSON) or text with a lone surrogate (`\\ud800`), which UTF-8 cannot encode."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {_writable(str(k)): _writable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_writable(v) for v in value]
    if value is None or isinstance(value, (bool, int)) or (isinstance(value, float) and math.isfinite(value)):
        return value
    return _writable(str(value))


def error_response(error: TestsigmaError) -> JSONResponse:
    body = _writable(
        {
            "timeStamp": utcnow().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "error": error.message,
            "code": error.code,
            "fieldErrors": error.field_errors,
            "objectErrors": None,
        }
    )
    headers = {"WWW-Authenticate": 'Bearer realm="testament"'} if error.status == 401 else None
    return JSONResponse(body, status_code=error.status, headers=headers)
