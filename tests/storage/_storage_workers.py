"""Code run in child processes by the storage concurrency and crash tests (spawned)."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from helpdesk_kit.plugins import hookimpl

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def make_stream(threads: int, senders: int, seed: int = 7) -> list[dict[str, Any]]:
    """Messages of ``threads`` conversations: an opener and two replies, with duplicates."""
    import random

    rnd = random.Random(seed)
    stream: list[dict[str, Any]] = []
    for t in range(threads):
        sender = f"customer{t % senders}@example.com"
        ids = [f"<t{t}m{k}@mail>" for k in range(3)]
        for k, ext in enumerate(ids):
            msg = {
                "sender": sender,
                "external_id": ext,
                "refs": ids[:k],
                "thread": t,
                "subject": f"Thread {t}",
                "text": f"message {k} of thread {t}",
            }
            stream.append(msg)
            if rnd.random() < 0.3:
                stream.append(dict(msg))  # a retried delivery
    # Interleave conversations while keeping each one's order.
    by_thread: dict[int, list[dict[str, Any]]] = {}
    for m in stream:
        by_thread.setdefault(m["thread"], []).append(m)
    out: list[dict[str, Any]] = []
    queues = list(by_thread.values())
    while queues:
        q = rnd.choice(queues)
        out.append(q.pop(0))
        if not q:
            queues.remove(q)
    return out


def intake_worker(url: str, stream: Sequence[dict[str, Any]]) -> int:
    """Take in every message of ``stream`` (the same stream as the other workers)."""
    from helpdesk_kit.desk import Helpdesk
    from helpdesk_kit.tickets.model import Identity, InboundMessage

    taken = 0
    with Helpdesk.from_url(url, load_entrypoints=False) as desk:
        for m in stream:
            desk.receive(
                InboundMessage(
                    channel="email",
                    sender=Identity("email", m["sender"]),
                    subject=m["subject"],
                    text=m["text"],
                    external_id=m["external_id"],
                    thread_refs=m["refs"],
                )
            )
            taken += 1
    return taken


def claim_worker(url: str, worker: str, now_iso: str) -> list[str]:
    """Claim items of kind ``sweep`` in small batches until none is left; return the keys."""
    from helpdesk_kit.storage.sql import SqlStorage

    now = datetime.fromisoformat(now_iso)
    storage = SqlStorage(url)
    got: list[str] = []
    try:
        while True:
            with storage.unit_of_work() as uow:
                items = uow.due.claim_due("sweep", now, 3, worker=worker)
                time.sleep(0.005)  # hold the claim a little so the workers overlap
                uow.commit()
            if not items:
                break
            with storage.unit_of_work() as uow:
                for item in items:
                    assert uow.due.complete("sweep", item.key, worker=worker, now=now)
                uow.commit()
            got += [i.key for i in items]
    finally:
        storage.close()
    return got


class StallInRouting:
    """A plugin that, while a message is half taken in, tells the test and waits to be killed."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    @hookimpl
    def route_ticket(self, desk: Any, ticket: Any, candidates: Any) -> str | None:
        Path(self.marker).write_text(str(os.getpid()))
        time.sleep(600)
        return None


def crash_worker(url: str, marker: str, done_before: int) -> None:
    """Take in ``done_before`` messages fully, then stall inside the next one's transaction."""
    from helpdesk_kit.clock import FrozenClock
    from helpdesk_kit.desk import Helpdesk
    from helpdesk_kit.tickets.model import Identity, InboundMessage

    def msg(n: int) -> InboundMessage:
        return InboundMessage(
            channel="email",
            sender=Identity("email", f"crash{n}@example.com"),
            subject=f"crash {n}",
            text="x",
            external_id=f"<crash{n}@mail>",
        )

    clock = FrozenClock(T0 + timedelta(hours=1))
    with Helpdesk.from_url(url, clock=clock, load_entrypoints=False) as desk:
        for n in range(done_before):
            desk.receive(msg(n))
        desk.plugin_manager.register(StallInRouting(marker))
        desk.receive(msg(done_before))
