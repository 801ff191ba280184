"""Enterprise Tester's error body: `{"Message": "..."}`; 403 also for validation failures."""

from fastapi.responses import JSONResponse

from testament.domain import errors as e

__all__ = ["EtError", "error_response", "from_domain"]


class EtError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


STATUS: dict[type[e.TestamentError], int] = {
    e.Unauthenticated: 401,
    e.Forbidden: 403,
    e.InvalidInput: 403,  # the vendor answers validation failures with 403
    e.NotFound: 404,
    e.Conflict: 409,
    e.IllegalTransition: 409,
    e.QuotaExceeded: 403,
    e.Throttled: 429,
}


def from_domain(exc: e.TestamentError) -> EtError:
    return EtError(next((STATUS[c] for c in type(exc).__mro__ if c in STATUS), 500), exc.message)


def error_response(error: EtError) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Basic realm="Enterprise Tester"'} if error.status == 401 else None
    return JSONResponse({"Message": error.message}, status_code=error.status, headers=headers)
