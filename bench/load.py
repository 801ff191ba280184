"""Closed-loop load: N client threads send one request after another for a fixed time."""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.client import Api

__all__ = ["LoadResult", "Request", "hammer"]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None = None
    expect: int = 200


@dataclass(frozen=True)
class LoadResult:
    ok: int
    errors: int
    elapsed_s: float

    @property
    def rps(self) -> float:
        return self.ok / self.elapsed_s


def _client_loop(
    api: Api, request: Request, start: threading.Barrier, deadline: list[float], out: list[int]
) -> None:
    """Count good and bad replies until the shared deadline; `out` is [ok, errors]."""
    ok = errors = 0
    start.wait()
    while time.perf_counter() < deadline[0]:
        try:
            reply = api.send(request.method, request.path, request.body)
            if reply.status == request.expect:
                ok += 1
            else:
                errors += 1
        except OSError:
            errors += 1
            api.close()
    api.close()
    out[:] = [ok, errors]


def hammer(make_api: Callable[[], Api], request: Request, clients: int, duration_s: float) -> LoadResult:
    """Run `clients` threads against `request` for `duration_s`; `make_api()` gives each its connection."""
    start = threading.Barrier(clients + 1)
    deadline = [0.0]
    tallies = [[0, 0] for _ in range(clients)]
    threads = [
        threading.Thread(target=_client_loop, args=(make_api(), request, start, deadline, tallies[i]))
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline[0] = began + duration_s
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return LoadResult(sum(t[0] for t in tallies), sum(t[1] for t in tallies), elapsed)
