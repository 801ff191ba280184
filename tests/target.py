"""A small system under test for http test cases: a real HTTP server on 127.0.0.1.

Paths:
  /ok                      200 {"ok": true}
  /slow?ms=N               waits N ms, then 200 {"slept_ms": N}
  /flaky/<key>?fail=N      fails (500) the first N calls for <key>, then 200
  /echo                    200 with the request's method, path, headers and body
  /long?bytes=N            200 text/plain: the first N bytes of `long_body(N)`, numbered lines
"""

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


def long_body(size: int) -> bytes:
    """What /long?bytes=SIZE answers: numbered lines, cut at SIZE bytes."""
    return b"".join(b"line %06d of a long answer\n" % n for n in range(size // 29 + 1))[:size]


class _Handler(BaseHTTPRequestHandler):
    calls: Counter[str] = Counter()
    lock = threading.Lock()

    def log_message(self, *_args: object) -> None:
        pass

    def _send(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _route(self) -> None:
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/ok":
            self._send(200, {"ok": True})
        elif url.path == "/slow":
            ms = int(query.get("ms", "1000"))
            time.sleep(ms / 1000)
            self._send(200, {"slept_ms": ms})
        elif url.path.startswith("/flaky/"):
            with self.lock:
                self.calls[url.path] += 1
                n = self.calls[url.path]
            fail = int(query.get("fail", "1"))
            self._send(500 if n <= fail else 200, {"call": n})
        elif url.path == "/echo":
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            self._send(
                200, {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
            )
        elif url.path == "/long":
            data = long_body(int(query.get("bytes", "100000")))
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        else:
            self._send(404, {"error": "not found"})

    do_GET = _route
    do_POST = _route


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hangs up mid-answer (a stopped execution) is expected here


class Target:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.server = _QuietServer((host, 0), _Handler)
        self.server.daemon_threads = True
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Target":
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


if __name__ == "__main__":  # run standalone for subprocess tests: prints its URL, serves until killed
    import sys

    with Target() as target:
        sys.stdout.write(target.url + "\n")
        sys.stdout.flush()
        threading.Event().wait()
