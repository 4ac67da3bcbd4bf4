"""Channel overhead and the cross-channel timeline, on SQLite (and PostgreSQL when given).

Two measurements, each against a baseline run in the same process:

- ``email intake``: ``EmailChannel.receive`` (parse the raw mail, build the
  ``InboundMessage``, ``Helpdesk.receive``) per message, against ``Helpdesk.receive`` of the
  same messages already built — the cost the e-mail channel adds to intake.
- ``timeline``: ``Helpdesk.customer_timeline`` (one indexed join) against what a caller
  would do without it — the customer's tickets, then each ticket's messages, merged and
  sorted — on a desk of CUSTOMERS customers with several tickets and messages each.

Run::

    PYTHONPATH=src python benchmarks/channels.py [--mails 1000] [--customers 500]
        [--postgres URL]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from helpdesk_kit import FrozenClock, Helpdesk, Identity, InboundMessage
from helpdesk_kit.channels.base import ChannelPlugin
from helpdesk_kit.channels.email import EmailChannel, parse_email
from helpdesk_kit.storage.base import Storage
from helpdesk_kit.storage.sql import SqlStorage

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


class NoSend:
    """Mail is never sent in these runs."""

    def send(self, msg: EmailMessage) -> None:
        raise AssertionError("nothing is sent here")


def raw_mail(i: int) -> bytes:
    """A typical customer mail: quoted-printable UTF-8, a signature, every third a reply."""
    msg = EmailMessage()
    msg["From"] = f"Customer {i % 300} <customer{i % 300}@example.com>"
    msg["To"] = "客服中心 <support@shop.example>"
    msg["Subject"] = f"订单 SO-{i} 还没有到 / order not arrived"
    msg["Message-ID"] = f"<m{i}@mail.example.com>"
    msg["Date"] = "Mon, 02 Nov 2026 10:15:00 +0800"
    body = (
        f"您好，\n\n我的订单 SO-{i} 一周了还没到，麻烦查一下。\n\n"
        f"谢谢\n-- \nCustomer {i % 300}\n"
    )
    if i % 3 == 2:
        msg["In-Reply-To"] = f"<m{i - 1}@mail.example.com>"
        body += "\n> 在 2026年11月1日 客服中心 写道：\n> 我们已经在处理。\n"
    msg.set_content(body, cte="quoted-printable")
    return msg.as_bytes()


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def email_intake(make_storage: Callable[[], Storage], n: int) -> None:
    raws = [raw_mail(i) for i in range(n)]
    channel = EmailChannel("客服中心 <support@shop.example>", NoSend())
    prebuilt = [channel.to_inbound(parse_email(r), r) for r in raws]

    def desk() -> Helpdesk:
        return Helpdesk(
            make_storage(),
            FrozenClock(T0),
            plugins=[ChannelPlugin(EmailChannel("support@shop.example", NoSend()))],
            load_entrypoints=False,
        )

    base = desk()
    t_base = timed(lambda: [base.receive(m) for m in prebuilt])
    expected = base.count_tickets()
    base.close()
    full = desk()
    mail = full.channels["email"]
    t_channel = timed(lambda: [mail.receive(full, r) for r in raws])
    assert full.count_tickets() == expected  # both did the same work
    full.close()
    print(
        f"  email intake: channel {n / t_channel:8.0f} msg/s   "
        f"receive() of built messages {n / t_base:8.0f} msg/s   "
        f"ratio {t_base / t_channel:.2f}"
    )


def timeline(make_storage: Callable[[], Storage], customers: int) -> None:
    desk = Helpdesk(make_storage(), FrozenClock(T0), load_entrypoints=False)
    channels = ["email", "chat", "wechat", "phone"]

    def handle(k: int, c: int) -> str:
        return [f"c{c}@example.com", f"visitor-{c}", f"openid-{c}", f"+86139{c:08d}"][k]

    def history() -> Any:
        for c in range(customers):
            for k in range(4):
                ident = Identity(channels[k], handle(k, c))
                for j in range(5):
                    yield InboundMessage(
                        channels[k],
                        ident,
                        text=f"message {j} of ticket {k}",
                        subject=f"ticket {k}" if j == 0 else "",
                        external_id=f"{c}-{k}-{j}",
                        thread_refs=[f"{c}-{k}-0"] if j else (),
                    )

    desk.import_messages(history(), batch_size=2000)
    # one customer behind four identities: merge the channel customers into the e-mail one
    people = []
    for c in range(customers):
        main = desk.find_customer("email", handle(0, c))
        assert main is not None
        for k in (1, 2, 3):
            other = desk.find_customer(channels[k], handle(k, c))
            assert other is not None
            main = desk.merge_customers(other, main)
        people.append(main)
    sample = people[:: max(1, customers // 200)]

    def naive() -> None:
        for person in sample:
            found = []
            for ticket in desk.customer_history(person):
                found += desk.messages(ticket)
            found.sort(key=lambda m: (m.created_at, m.id))
            assert len(found) == 20

    def joined() -> None:
        for person in sample:
            assert len(desk.customer_timeline(person)) == 20

    t_naive = timed(naive)
    t_joined = timed(joined)
    k = len(sample)
    print(
        f"  timeline of 20 messages on 4 channels ({customers * 20:,} messages stored): "
        f"customer_timeline {1000 * t_joined / k:6.2f} ms   "
        f"tickets + messages per ticket {1000 * t_naive / k:6.2f} ms   "
        f"speed-up {t_naive / t_joined:.1f}x"
    )
    desk.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--postgres", default=os.environ.get("HELPDESK_KIT_TEST_DATABASE_URL"))
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(1000))

        def sqlite() -> Storage:
            return SqlStorage(f"sqlite:///{tmp}/b{next(counter)}.db")

        print("SQLite (file, synchronous=full)")
        email_intake(sqlite, args.mails)
        timeline(sqlite, args.customers)
    if args.postgres:
        from helpdesk_kit.storage.sql.isolation import create_schema, drop_schema, new_schema_name

        schemas: list[str] = []

        def pg() -> Storage:
            name = new_schema_name("helpdesk_kit_bench")
            schemas.append(name)
            return SqlStorage(create_schema(args.postgres, name), migrate=True)

        print("PostgreSQL")
        try:
            email_intake(pg, args.mails)
            timeline(pg, args.customers)
        finally:
            for name in schemas:
                drop_schema(args.postgres, name)


if __name__ == "__main__":
    main()
