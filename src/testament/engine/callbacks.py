"""The callback deliverer: a background thread that posts due completion callbacks.

What a callback carries is the surface's business (TestInvite's test-instance object, in the
candidate's `basic` or `detailed` mode), so the deliverer is given a `render` function by the
application that starts it. Posts go out a few at a time, so one slow receiver does not hold
up the rest. A URL whose host resolves to a loopback or link-local address (this server, a
cloud metadata service) is refused unless the operator allows it (`callback_allow_local`);
private networks, where CI systems live, are allowed.

Each failed attempt is logged at WARNING, since a receiver that fails is otherwise seen only
by those who list deliveries: the delivery and its test instance, the attempt, the URL as
`shown_url` gives it, what went wrong, and when it is tried next or that it was given up.
A URL's query, user info and fragment and a callback's params are never logged: they may
hold tokens.
"""

import ipaddress
import logging
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from testament.services import callbacks
from testament.services.callbacks import Attempt
from testament.services.context import AppContext

__all__ = ["CallbackDeliverer", "Render"]

log = logging.getLogger(__name__)

Render = Callable[[AppContext, callbacks.DueCallback], dict[str, Any]]
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
PARALLEL_POSTS = 4


def local_address(url: str) -> str | None:
    """The loopback or link-local address the URL's host resolves to, if any."""
    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except (OSError, UnicodeError):
        return None  # the post will fail and say so
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if callbacks.is_local(address):
            return str(address)
    return None


class CallbackDeliverer:
    def __init__(self, app: AppContext, render: Render) -> None:
        self.app = app
        self.render = render
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="testament-callbacks", daemon=True)
        self._thread.start()

    def shutdown(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        with (
            httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client,
            ThreadPoolExecutor(PARALLEL_POSTS, thread_name_prefix="testament-callback") as pool,
        ):
            while not self._stop.is_set():
                try:
                    due = callbacks.claim_due(self.app)
                    list(pool.map(lambda callback: self._deliver(client, callback), due))
                except Exception:  # the loop must outlive a database hiccup; the next poll retries
                    log.exception("delivering completion callbacks failed; trying again")
                    due = []
                if not due:
                    self._stop.wait(self.app.settings.callback_poll_s)

    def _deliver(self, client: httpx.Client, callback: callbacks.DueCallback) -> None:
        try:
            attempt = self._post(client, callback)
        except Exception as exc:  # whatever goes wrong with one callback is that callback's result
            log.exception("callback delivery %s could not be posted", callback.id)
            attempt = Attempt(f"could not be posted ({type(exc).__name__})")
        next_try = callbacks.record_result(self.app, callback, attempt)
        if attempt.error is not None:
            _log_failure(callback, attempt.error, next_try)

    def _post(self, client: httpx.Client, callback: callbacks.DueCallback) -> Attempt:
        """Delivered when the receiver answers 2xx; otherwise what went wrong."""
        if not self.app.settings.callback_allow_local and (address := local_address(callback.url)):
            return Attempt(f"refused: the URL's host resolves to {address}, a loopback or link-local address")
        body = self.render(self.app, callback)
        try:
            response = client.post(callback.url, json=body)
        except httpx.HTTPError as exc:
            return Attempt(f"{type(exc).__name__}: {_without_secrets(str(exc), callback.url)}")
        if response.is_success:
            return Attempt(status_code=response.status_code)
        return Attempt(f"the callback URL answered HTTP {response.status_code}", response.status_code)


def _without_secrets(message: str, url: str) -> str:
    """An error's message, with the parts of the URL that may carry tokens taken out of it."""
    parts = urlsplit(url)
    message = message.replace(url, callbacks.shown_url(url))
    for secret in (parts.query, parts.fragment, parts.password, parts.username):
        if secret:
            message = message.replace(secret, "***")
    return message


def _log_failure(callback: callbacks.DueCallback, error: str, next_try: datetime | None) -> None:
    attempt = callback.attempts + 1
    then = (
        f"next try at {next_try.isoformat(timespec='seconds')}"
        if next_try is not None
        else f"gave up after {attempt} attempts"
    )
    log.warning(
        "callback delivery %s for test instance %s: attempt %d of %d to %s failed: %s; %s",
        callback.id,
        callback.instance_id,
        attempt,
        callbacks.MAX_ATTEMPTS,
        callbacks.shown_url(callback.url),
        error,
        then,
    )
