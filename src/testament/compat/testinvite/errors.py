"""TestInvite's error body: `{"error": {"code": "<kind>", "message": "<text>"}}` with
400, 401, 403 and 404 (vendor-apis.md §4 decision 11)."""

from fastapi.responses import JSONResponse

from testament.domain import errors as e

__all__ = ["TiError", "error_response", "from_domain"]

CODES = {400: "invalid", 401: "unauthorized", 403: "forbidden", 404: "not-found", 429: "rate-limited"}


class TiError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message = status, message
        self.code = code or CODES.get(status, "error")


_STATUS: dict[type[e.TestamentError], tuple[int, str]] = {
    e.Unauthenticated: (401, "unauthorized"),
    e.Forbidden: (403, "forbidden"),
    e.QuotaExceeded: (403, "quota-exceeded"),
    e.InvalidInput: (400, "invalid"),
    e.NotFound: (404, "not-found"),
    e.Conflict: (400, "conflict"),  # the vendor documents no 409
    e.IllegalTransition: (400, "conflict"),
    e.Throttled: (429, "rate-limited"),
}


def from_domain(exc: e.TestamentError) -> TiError:
    status, code = next((_STATUS[c] for c in type(exc).__mro__ if c in _STATUS), (500, "error"))
    return TiError(status, exc.message, code)


def error_response(error: TiError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    return JSONResponse(
        {"error": {"code": error.code, "message": error.message}}, status_code=error.status, headers=headers
    )
