"""The callback deliverer: a background thread that posts due completion callbacks.

What a callback carries is the surface's business (TestInvite's test-instance object, in the
candidate's `basic` or `detailed` mode), so the deliverer is given a `render` function by the
application that starts it. Callback URLs and their params are never logged: they may hold
tokens.
"""

import logging
import threading
from collections.abc import Callable
from typing import Any

import httpx

from testament.services import callbacks
from testament.services.context import AppContext

__all__ = ["CallbackDeliverer", "Render"]

log = logging.getLogger(__name__)

Render = Callable[[AppContext, callbacks.DueCallback], dict[str, Any]]
TIMEOUT_S = 10.0


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
            self._thread.join(timeout=TIMEOUT_S + 5)

    def _loop(self) -> None:
        with httpx.Client(timeout=TIMEOUT_S, follow_redirects=False) as client:
            while not self._stop.is_set():
                try:
                    due = callbacks.claim_due(self.app)
                    for callback in due:
                        callbacks.record_result(self.app, callback, self._post(client, callback))
                except Exception:  # the loop must outlive a database hiccup; the next poll retries
                    log.exception("delivering completion callbacks failed; trying again")
                    due = []
                if not due:
                    self._stop.wait(self.app.settings.callback_poll_s)

    def _post(self, client: httpx.Client, callback: callbacks.DueCallback) -> str | None:
        """None when the receiver took it (2xx); otherwise what went wrong."""
        try:
            body = self.render(self.app, callback)
        except Exception:
            log.exception("callback %s: its test instance could not be rendered", callback.id)
            return "the test instance could not be rendered"
        try:
            response = client.post(callback.url, json=body)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: could not reach the callback URL"
        if response.is_success:
            return None
        return f"the callback URL answered HTTP {response.status_code}"
