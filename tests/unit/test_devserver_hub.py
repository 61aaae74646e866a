"""The dev server's hub: thread-safe publishing, retained reload state, devtools replay, loop lifetimes."""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pipeline.dev.server.hub import Hub, encode

TIMEOUT_S = 10


def run(coroutine):
    """``asyncio.run`` in a thread of its own: when the browser tests ran first in this process, Playwright's sync
    API keeps an event loop running in the main thread, where ``asyncio.run`` refuses to start another."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(asyncio.wait_for(coroutine, TIMEOUT_S))).result(TIMEOUT_S + 5)


async def take(subscription, count: int) -> list[dict]:
    return [json.loads(await asyncio.wait_for(subscription.__anext__(), TIMEOUT_S)) for _ in range(count)]


async def nothing_pending(subscription) -> bool:
    return await subscription.get(timeout=0.05) is None


def test_messages_published_before_any_event_loop_are_retained():
    hub = Hub()
    hub.publish("devtools", {"type": "build.started", "id": 1, "trigger": [Path("web/css/app.css")], "ts": 1.5})
    hub.publish("reload", {"type": "error", "task": "wasm:compile", "message": "main.go:1:1: boom"})

    async def main():
        async with hub.subscribe("devtools") as devtools, hub.subscribe("reload") as reload:
            assert await take(devtools, 1) == [{"type": "build.started", "id": 1, "trigger": ["web/css/app.css"],
                                                "ts": 1.5}]
            assert await take(reload, 1) == [{"type": "error", "task": "wasm:compile", "message": "main.go:1:1: boom"}]
            assert await nothing_pending(devtools) and await nothing_pending(reload)

    run(main())


@pytest.mark.parametrize("recovery", [{"type": "ok"}, {"type": "reload"},
                                      {"type": "css", "changes": [{"from": "/a.css", "to": "/b.css"}]}])
def test_the_reload_state_is_the_current_error_and_nothing_after_recovery(recovery):
    hub = Hub()
    assert hub.reload_state is None
    hub.publish("reload", {"type": "error", "task": "css", "message": "first"})
    hub.publish("reload", {"type": "error", "task": "css", "message": "second"})
    assert hub.reload_state == {"type": "error", "task": "css", "message": "second"}  # only the latest error
    hub.publish("reload", recovery)
    assert hub.reload_state is None

    async def main():
        async with hub.subscribe("reload") as reload:
            assert await nothing_pending(reload)  # a page connecting after recovery gets nothing stale

    run(main())


def test_reload_messages_are_not_replayed_except_the_error_state():
    hub = Hub()
    hub.publish("reload", {"type": "reload"})
    hub.publish("reload", {"type": "css", "changes": []})

    async def main():
        async with hub.subscribe("reload") as reload:
            assert await nothing_pending(reload)
            hub.publish("reload", {"type": "reload"})
            assert await take(reload, 1) == [{"type": "reload"}]

    run(main())


def test_devtools_replay_is_bounded_and_ordered_then_live():
    hub = Hub(replay_size=5)
    for n in range(12):
        hub.publish("devtools", {"type": "task", "id": n})
    assert [event["id"] for event in hub.devtools_replay()] == [7, 8, 9, 10, 11]

    async def main():
        async with hub.subscribe("devtools") as devtools:
            hub.publish("devtools", {"type": "task", "id": 12})
            assert [event["id"] for event in await take(devtools, 6)] == [7, 8, 9, 10, 11, 12]

    run(main())


def test_publishing_from_many_threads_reaches_every_subscriber_once_in_per_thread_order():
    hub = Hub()
    threads, per_thread = 4, 150

    def publisher(name: int) -> None:
        for n in range(per_thread):
            hub.publish("devtools", {"type": "task", "thread": name, "n": n})

    async def main():
        async with hub.subscribe("devtools") as first, hub.subscribe("devtools") as second:
            workers = [threading.Thread(target=publisher, args=(name,)) for name in range(threads)]
            for worker in workers:
                worker.start()
            received = [await take(first, threads * per_thread), await take(second, threads * per_thread)]
            await asyncio.to_thread(lambda: [worker.join(TIMEOUT_S) for worker in workers])
        return received

    for messages in run(main()):
        for name in range(threads):
            assert [m["n"] for m in messages if m["thread"] == name] == list(range(per_thread))


def test_subscribers_are_unregistered_on_exit_and_dropped_when_their_loop_is_gone():
    hub = Hub()

    async def exits_cleanly():
        async with hub.subscribe("reload"):
            assert hub.subscriber_count("reload") == 1

    run(exits_cleanly())
    assert hub.subscriber_count("reload") == 0

    async def abandons():  # entered, never exited: like a server whose loop stopped with a socket open
        await hub.subscribe("devtools").__aenter__()

    run(abandons())
    assert hub.subscriber_count("devtools") == 1
    hub.publish("devtools", {"type": "build.started", "id": 1})  # no error: the closed loop's subscriber goes
    assert hub.subscriber_count("devtools") == 0
    assert hub.devtools_replay() == [{"type": "build.started", "id": 1}]


def test_a_subscriber_that_falls_too_far_behind_is_ended_not_buffered_forever():
    hub = Hub(replay_size=2, queue_size=4)

    async def main():
        async with hub.subscribe("devtools") as devtools:
            for n in range(10):
                hub.publish("devtools", {"type": "task", "id": n})
            await asyncio.sleep(0.05)  # let the deliveries run
            received = [json.loads(text) async for text in devtools]
            assert devtools.overflowed
            return received

    assert [event["id"] for event in run(main())] == [0, 1, 2, 3]


def test_a_subscription_published_to_from_its_own_loop_thread_works():
    hub = Hub()

    async def main():
        async with hub.subscribe("reload") as reload:
            hub.publish("reload", {"type": "ok"})
            return await take(reload, 1)

    assert run(main()) == [{"type": "ok"}]


def test_bad_channels_and_messages_fail_in_the_publisher():
    hub = Hub()
    with pytest.raises(ValueError, match="unknown channel"):
        hub.publish("logs", {"type": "x"})
    with pytest.raises(ValueError, match="unknown channel"):
        hub.subscribe("logs")
    with pytest.raises(TypeError):
        hub.publish("devtools", ["not", "a", "dict"])  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        hub.publish("devtools", {"type": "task", "duration_s": float("nan")})
    assert hub.devtools_replay() == []
    with pytest.raises(ValueError):
        Hub(replay_size=10, queue_size=10)


def test_encoding_is_compact_utf8_json():
    assert encode({"type": "error", "message": "é ✓", "path": Path("a/b")}) == \
        '{"type":"error","message":"é ✓","path":"a/b"}'
