"""Helpers of the tests that load several processes at once (tests/e2e/test_shared_database.py,
tests/fleet/test_problems.py)."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import boto3
from botocore.config import Config

T = TypeVar("T")


def at_once(calls: list[Callable[[], T]]) -> list[T]:
    """Every call in a thread of its own, released together."""
    gate = threading.Barrier(len(calls))

    def released(call: Callable[[], T]) -> T:
        gate.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(released, calls))


def connect_client(url: str, key: dict[str, Any]) -> Any:
    """boto3's Amazon Connect client of the server at `url`, with an access key; no retries (a
    throttled call must show as one)."""
    return boto3.client(
        "connect",
        endpoint_url=f"{url}/aws/connect",
        region_name="us-east-1",
        aws_access_key_id=key["access_key_id"],
        aws_secret_access_key=key["secret_access_key"],
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, max_pool_connections=100),
    )
