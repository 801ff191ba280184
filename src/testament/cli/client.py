"""A small client of the native API for the CLI: one httpx client, problem+json errors to messages."""

from typing import Any

import httpx

__all__ = ["ApiClient", "ApiError"]


class ApiError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body: dict[str, Any] = body if isinstance(body, dict) else {"detail": str(body)}
        super().__init__(self.describe())

    @property
    def code(self) -> str:
        return str(self.body.get("code", ""))

    @property
    def unreachable(self) -> bool:
        """No answer at all: the server is down, or the URL is wrong."""
        return self.status == 0

    def describe(self) -> str:
        detail = self.body.get("detail") or self.body.get("title") or "request failed"
        return str(detail) if self.unreachable else f"{self.status}: {detail}"


class ApiClient:
    def __init__(self, server: str, key: str, timeout_s: float = 30.0) -> None:
        self._http = httpx.Client(
            base_url=server.rstrip("/") + "/api/v1",
            headers={"Authorization": f"Bearer {key}"},
            timeout=timeout_s,
        )

    def __enter__(self) -> "ApiClient":
        return self

    def __exit__(self, *_exc: object) -> None:
        self._http.close()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            server = str(self._http.base_url).removesuffix("/api/v1/")
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ApiError(
                0, {"detail": f"cannot reach the Testament server at {server} ({reason}); is it running?"}
            ) from None
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = response.text
            raise ApiError(response.status_code, body)
        return response.json() if response.content else None

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, params={k: v for k, v in params.items() if v is not None})

    def post(self, path: str, body: Any = None) -> Any:
        return self.call("POST", path, json=body)

    @property
    def server(self) -> str:
        return str(self._http.base_url).removesuffix("/api/v1/")

    def all_records(self, execution_id: str, after_seq: int | None = None) -> list[dict[str, Any]]:
        """Every record (or every one written after `after_seq`), in order."""
        records: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = self.get(
                f"/executions/{execution_id}/records", limit=1000, cursor=cursor, after_seq=after_seq
            )
            records += page["items"]
            if not (cursor := page["next_cursor"]):
                return records
