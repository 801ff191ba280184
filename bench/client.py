"""A minimal JSON-over-HTTP client on `http.client`.

The load generator runs in the same (GIL-bound) process as the measuring code, so the
client is kept as cheap per request as the standard library allows: one keep-alive
connection per thread, no retries, no redirects.
"""

import http.client
import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Api", "Response"]


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Api:
    """One keep-alive connection to the server; not thread-safe (make one per thread)."""

    host: str
    port: int
    token: str = ""
    timeout_s: float = 30.0
    _conn: http.client.HTTPConnection | None = field(default=None, repr=False)

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_s)
        return self._conn

    def headers(self, has_body: bool) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if has_body:
            headers["Content-Type"] = "application/json"
        return headers

    def send(self, method: str, path: str, body: bytes | None = None) -> Response:
        """One request; a dropped keep-alive connection is reopened once."""
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=self.headers(body is not None))
                reply = conn.getresponse()
                return Response(reply.status, reply.read())
            except (ConnectionError, http.client.HTTPException):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def call(self, method: str, path: str, payload: Any = None, expect: int = 200) -> Any:
        """Send JSON, check the status, return the decoded body."""
        body = None if payload is None else json.dumps(payload).encode()
        reply = self.send(method, path, body)
        if reply.status != expect:
            raise RuntimeError(
                f"{method} {path}: HTTP {reply.status} (wanted {expect}): {reply.body[:300]!r}"
            )
        return reply.json()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
