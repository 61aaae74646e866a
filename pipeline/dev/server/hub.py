"""The dev server's message hub: builds publish from any thread, WebSocket handlers subscribe on the event loop.

Two channels:

- ``reload``: what open pages must do (``reload``, ``css``, ``error``, ``ok``). The hub keeps the last *state*:
  an ``error`` message while the build is broken, nothing once a later message says it is not. A page that
  connects while the build is broken gets the error overlay at once; after recovery it gets nothing stale.
- ``devtools``: the structured build log. The last ``replay_size`` events are kept and replayed, in order, to
  every new subscriber before the live events, so a panel opened late still shows the recent builds.

``publish`` never blocks and works at any time: before a server (and its event loop) exists, while it runs, and
after it stopped; subscriptions belong to the event loop they were opened on and are dropped once that loop is
closed. Messages are JSON-encoded once, in the publisher's thread, so a message that cannot be encoded fails
there, not in the server.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections import deque
from typing import Any

RELOAD = "reload"
DEVTOOLS = "devtools"
CHANNELS = (RELOAD, DEVTOOLS)

_END = object()  # queued to end a subscription (queue overflow)


def encode(message: dict[str, Any]) -> str:
    """Compact JSON; paths and other non-JSON values (``Path``, ``datetime``) become their ``str``."""
    if not isinstance(message, dict):
        raise TypeError(f"a hub message is a dict, not {type(message).__name__}")
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=str)


class Subscription:
    """One WebSocket's view of a channel: ``async with hub.subscribe(channel) as sub: async for text in sub``.

    Yields JSON text, starting with the channel's retained messages. Iteration ends when the subscriber fell
    ``queue_size`` messages behind (``overflowed`` is then true): the consumer should close its connection so the
    client reconnects and starts again from the retained state.
    """

    def __init__(self, hub: Hub, channel: str) -> None:
        self._hub = hub
        self.channel = channel
        self.overflowed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self._ended = False

    async def __aenter__(self) -> Subscription:
        self._loop = asyncio.get_running_loop()
        self._hub._register(self)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._hub._unregister(self)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> str:
        if self._ended and self._queue.empty():
            raise StopAsyncIteration
        item = await self._queue.get()
        if item is _END:
            raise StopAsyncIteration
        return item  # type: ignore[return-value]

    async def get(self, timeout: float | None = None) -> str | None:
        """The next message, or None when the subscription ended (or ``timeout`` seconds passed)."""
        try:
            return await asyncio.wait_for(self.__anext__(), timeout)
        except (StopAsyncIteration, TimeoutError):
            return None

    # Called on the subscription's event loop only.
    def _put(self, text: str) -> None:
        if self._ended:
            return
        if self._queue.qsize() >= self._hub.queue_size:
            self.overflowed = True
            self._ended = True
            self._queue.put_nowait(_END)
            return
        self._queue.put_nowait(text)

    # Called from any thread, with the hub's lock held. False when the subscription's loop is gone.
    def _deliver(self, text: str) -> bool:
        assert self._loop is not None
        try:
            self._loop.call_soon_threadsafe(self._put, text)
        except RuntimeError:  # the event loop is closed
            return False
        return True


class Hub:
    """Thread-safe publish/subscribe between the build (any thread) and the dev server (its event loop)."""

    def __init__(self, *, replay_size: int = 2000, queue_size: int = 5000) -> None:
        if replay_size < 0 or queue_size <= replay_size:
            raise ValueError("replay_size must be >= 0 and queue_size larger than replay_size")
        self.queue_size = queue_size
        self.server_id = uuid.uuid4().hex[:12]  # tells this server's request and socket events from another's
        self._lock = threading.Lock()
        self._state: str | None = None
        self._replay: deque[str] = deque(maxlen=replay_size)
        self._subscribers: dict[str, list[Subscription]] = {channel: [] for channel in CHANNELS}

    @staticmethod
    def _check(channel: str) -> None:
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}: expected one of {', '.join(CHANNELS)}")

    def publish(self, channel: str, message: dict[str, Any]) -> None:
        """Send ``message`` to every subscriber of ``channel`` (and retain it as described in the module doc)."""
        self._check(channel)
        text = encode(message)
        with self._lock:
            if channel == RELOAD:
                self._state = text if message.get("type") == "error" else None
            else:
                self._replay.append(text)
            subscribers = self._subscribers[channel]
            gone = [subscription for subscription in subscribers if not subscription._deliver(text)]
            for subscription in gone:
                subscribers.remove(subscription)

    def subscribe(self, channel: str) -> Subscription:
        """A subscription to enter (``async with``) on the event loop that will consume it."""
        self._check(channel)
        return Subscription(self, channel)

    @property
    def reload_state(self) -> dict[str, Any] | None:
        """The retained reload-channel message (the current build error), if any."""
        with self._lock:
            return None if self._state is None else json.loads(self._state)

    def devtools_replay(self) -> list[dict[str, Any]]:
        """The retained devtools events, oldest first."""
        with self._lock:
            return [json.loads(text) for text in self._replay]

    def subscriber_count(self, channel: str) -> int:
        self._check(channel)
        with self._lock:
            return len(self._subscribers[channel])

    def _register(self, subscription: Subscription) -> None:
        # The snapshot and the registration happen under one lock: no message is lost or delivered twice between
        # the retained ones and the live ones.
        with self._lock:
            retained = ([self._state] if self._state else []) if subscription.channel == RELOAD else list(self._replay)
            for text in retained:
                subscription._queue.put_nowait(text)
            self._subscribers[subscription.channel].append(subscription)

    def _unregister(self, subscription: Subscription) -> None:
        with self._lock:
            subscribers = self._subscribers[subscription.channel]
            if subscription in subscribers:
                subscribers.remove(subscription)
