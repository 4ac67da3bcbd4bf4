"""The hub: in-process publish/subscribe between desk commands and live pages."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from helpdesk_kit.desk import Helpdesk
from helpdesk_kit.web.hub import Hub


def test_subscribers_get_what_is_published_from_any_thread() -> None:
    async def scenario() -> list[dict[str, Any]]:
        hub = Hub()
        sub = hub.subscribe("inbox")
        other = hub.subscribe("ticket:1")
        hub.publish("inbox", {"n": 1})
        thread = threading.Thread(target=hub.publish, args=("inbox", {"n": 2}))
        thread.start()
        thread.join()
        got = [await asyncio.wait_for(sub.get(), 1), await asyncio.wait_for(sub.get(), 1)]
        assert other._sub.queue.empty()
        sub.close()
        other.close()
        assert hub.subscribers("inbox") == 0
        return got

    assert asyncio.run(scenario()) == [{"topic": "inbox", "n": 1}, {"topic": "inbox", "n": 2}]


def test_a_slow_subscriber_loses_its_oldest_payloads() -> None:
    async def scenario() -> list[int]:
        hub = Hub(queue_size=3)
        async with hub.subscribe("dashboard") as sub:
            for n in range(5):
                hub.publish("dashboard", {"n": n})
            await asyncio.sleep(0)
            return [(await sub.get())["n"] for _ in range(3)]

    assert asyncio.run(scenario()) == [2, 3, 4]


def test_ticket_events_reach_the_ticket_the_customer_and_the_inbox(
    helpdesk: Helpdesk, web_app: Any
) -> None:
    hub: Hub = web_app.state.web.hub
    seen: list[tuple[str, str]] = []

    def publish(topic: str, payload: Any) -> None:
        seen.append((topic, payload.get("kind", "")))

    hub.publish = publish  # type: ignore[method-assign]
    customer = helpdesk.add_customer("Wang", email="wang@example.cn")
    ticket = helpdesk.open_ticket(customer, "Invoice", "wrong title", channel="email")
    assert (f"ticket:{ticket.id}", "ticket.created") in seen
    assert (f"visitor:{customer.id}", "ticket.created") in seen
    assert ("inbox", "ticket.created") in seen
