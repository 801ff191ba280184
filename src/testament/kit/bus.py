"""A small in-process publish/subscribe bus.

Handlers run synchronously in the publisher's thread, after the transaction that produced
the event has committed; a failing handler is logged and never breaks the publisher.
"""

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any

__all__ = ["EventBus"]

log = logging.getLogger(__name__)

Handler = Callable[[Any], None]


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[type, list[Handler]] = defaultdict(list)
        self._lock = threading.Lock()

    def subscribe(self, event_type: type, handler: Handler) -> Callable[[], None]:
        with self._lock:
            self._handlers[event_type].append(handler)

        def unsubscribe() -> None:
            with self._lock:
                if handler in self._handlers[event_type]:
                    self._handlers[event_type].remove(handler)

        return unsubscribe

    def publish(self, event: Any) -> None:
        with self._lock:
            handlers = [h for t, hs in self._handlers.items() if isinstance(event, t) for h in hs]
        for handler in handlers:
            try:
                handler(event)
            except Exception:
                log.exception("event handler %r failed on %r", handler, event)
