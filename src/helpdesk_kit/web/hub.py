"""In-process publish/subscribe for live pages: ticket, visitor, inbox and dashboard topics.

Topics: ``ticket:<id>``, ``visitor:<customer id>``, ``inbox``, ``dashboard`` (pages may add
their own). ``publish`` may be called from any thread (desk commands run in worker threads);
each subscriber gets the payloads on its own event loop. A subscriber that falls behind
loses its oldest payloads rather than slowing the desk down.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from typing import Any

__all__ = ["Hub", "Subscription"]


class _Subscriber:
    def __init__(self, loop: asyncio.AbstractEventLoop, size: int) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=size)

    def put(self, payload: dict[str, Any]) -> None:
        if self.queue.full():
            self.queue.get_nowait()  # drop the oldest
        self.queue.put_nowait(payload)


class Hub:
    """Live updates between desk commands and open pages (one process)."""

    def __init__(self, queue_size: int = 256) -> None:
        self.queue_size = queue_size
        self._topics: dict[str, set[_Subscriber]] = {}
        self._lock = threading.Lock()

    def publish(self, topic: str, payload: Mapping[str, Any]) -> None:
        """Send ``payload`` to every subscriber of ``topic`` (thread-safe, never blocks)."""
        with self._lock:
            subscribers = list(self._topics.get(topic, ()))
        data = {"topic": topic, **payload}
        for sub in subscribers:
            try:
                sub.loop.call_soon_threadsafe(sub.put, dict(data))
            except RuntimeError:  # the subscriber's loop is closed
                self._drop(topic, sub)

    def subscribers(self, topic: str) -> int:
        """How many subscribers ``topic`` has now."""
        with self._lock:
            return len(self._topics.get(topic, ()))

    def _drop(self, topic: str, sub: _Subscriber) -> None:
        with self._lock:
            subs = self._topics.get(topic)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._topics[topic]

    def subscribe(self, topic: str) -> Subscription:
        """Payloads published to ``topic`` from now on (registered at once), until closed.

        Use ``async for payload in hub.subscribe(topic)`` or keep the subscription and
        ``await sub.get()``; ``sub.close()`` (or leaving ``async with``) unsubscribes.
        """
        return Subscription(self, topic)


class Subscription:
    """One subscriber of a topic: an async iterator of payloads."""

    def __init__(self, hub: Hub, topic: str) -> None:
        self.hub = hub
        self.topic = topic
        self._sub = _Subscriber(asyncio.get_running_loop(), hub.queue_size)
        with hub._lock:
            hub._topics.setdefault(topic, set()).add(self._sub)

    async def get(self) -> dict[str, Any]:
        """The next payload (waits for it)."""
        return await self._sub.queue.get()

    def close(self) -> None:
        """Stop receiving payloads."""
        self.hub._drop(self.topic, self._sub)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> dict[str, Any]:
        return await self.get()

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
