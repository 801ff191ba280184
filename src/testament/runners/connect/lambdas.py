"""Calling a Lambda that the test does not mock: an HTTP POST of the event Connect sends.

A workspace `connect.lambda` resource maps a function ARN to a URL. The answer must be a JSON
object; anything else (no answer, an HTTP error status, a body that is not an object) is an
error that sends the flow down its error branch, with the reason in the trace. Nothing here
raises for what the function did.
"""

from dataclasses import dataclass
from typing import Any

import httpx

__all__ = ["LambdaAnswer", "invoke_over_http"]

MIN_TIMEOUT_S = 0.1


@dataclass(frozen=True)
class LambdaAnswer:
    data: dict[str, Any] | None
    error: str = ""


def invoke_over_http(url: str, event: dict[str, Any], timeout_s: float) -> LambdaAnswer:
    timeout = max(timeout_s, MIN_TIMEOUT_S)
    try:
        response = httpx.post(url, json=event, timeout=timeout)
    except httpx.TimeoutException:
        return LambdaAnswer(None, f"POST {url} timed out after {timeout:g} s")
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return LambdaAnswer(None, f"POST {url} failed: {type(exc).__name__}: {exc}")
    if response.status_code >= 400:
        return LambdaAnswer(None, f"POST {url} answered HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError:
        return LambdaAnswer(None, f"POST {url} answered something that is not JSON")
    if not isinstance(data, dict):
        return LambdaAnswer(None, f"POST {url} answered JSON that is not an object")
    return LambdaAnswer(data)
