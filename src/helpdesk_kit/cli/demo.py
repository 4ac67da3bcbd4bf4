"""``helpdesk-kit demo``: a scripted day of a small web shop's support, printed as a timeline."""

from __future__ import annotations

import argparse
import unicodedata
from datetime import datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from helpdesk_kit.clock import FrozenClock
from helpdesk_kit.desk import DeskSettings, Helpdesk
from helpdesk_kit.tickets.model import Identity, InboundMessage, Ticket, TicketEvent

__all__ = ["add_parser", "run_demo"]

ZONE = ZoneInfo("Asia/Shanghai")


def add_parser(subparsers: Any) -> None:
    """Add ``demo``."""
    parser = subparsers.add_parser("demo", help="play a scripted day of a web shop's support")
    parser.add_argument(
        "--url", help="storage URL (default: a new SQLite file in a temporary folder)"
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    import sys
    import tempfile
    from pathlib import Path

    clock = FrozenClock(datetime(2026, 11, 26, 9, 0, tzinfo=ZONE))
    settings = DeskSettings(default_group="after-sales", timezone="Asia/Shanghai")
    if args.url:
        with Helpdesk.from_url(args.url, clock=clock, settings=settings) as desk:
            run_demo(desk, clock, sys.stdout)
        return 0
    with tempfile.TemporaryDirectory(prefix="helpdesk-kit-demo-") as folder:
        url = f"sqlite:///{Path(folder) / 'demo.db'}"
        with Helpdesk.from_url(url, clock=clock, settings=settings) as desk:
            run_demo(desk, clock, sys.stdout)
    return 0


def run_demo(desk: Helpdesk, clock: FrozenClock, out: TextIO) -> Ticket:
    """Play the day on ``desk`` and print its timeline to ``out``; return the ticket."""
    desk.add_group("after-sales")
    lin = desk.add_agent(
        "Lin Yi",
        email="lin@shop.example",
        groups=["after-sales"],
        languages=["zh", "en"],
        max_concurrent=5,
    )
    desk.add_agent(
        "Sam Lee",
        email="sam@shop.example",
        groups=["after-sales"],
        languages=["en"],
        max_concurrent=5,
        status="away",
    )
    wang = Identity("email", "wang.fang@example.cn")

    clock.set(datetime(2026, 11, 26, 9, 12, tzinfo=ZONE))
    first = desk.receive(
        InboundMessage(
            channel="email",
            sender=wang,
            sender_name="王芳",
            subject="订单 SO20261120-0042 还没有收到",
            external_id="<a1@mail.example.cn>",
            text="你好，我11月20日下的订单 SO20261120-0042 到现在还没有收到，物流也不更新。",
        )
    )
    assert first.ticket is not None
    ticket = first.ticket

    clock.set(datetime(2026, 11, 26, 9, 40, tzinfo=ZONE))
    chat = desk.receive(
        InboundMessage(
            channel="chat",
            sender=wang,
            sender_name="王芳",
            ticket_number=ticket.number,
            thread_key="chat-session-7731",
            external_id="chat-7731-1",
            text=f"我刚发了邮件（{ticket.ref}），能帮我查一下吗？",
        )
    )
    if chat.ticket is None or chat.ticket.id != ticket.id:
        raise RuntimeError("the chat message did not join the email ticket")

    clock.set(datetime(2026, 11, 26, 9, 41, 20, tzinfo=ZONE))
    desk.add_note(
        ticket, "Courier shows the parcel stuck at the Hangzhou hub since 11-22.", author=lin
    )
    desk.reply(
        ticket,
        "王女士您好，已为您查询：包裹滞留在杭州转运中心，我们已联系快递加急处理，"
        "预计明天送达。到货后请回复确认。",
        author=lin,
        transition="pend",
    )

    clock.set(datetime(2026, 11, 27, 15, 5, tzinfo=ZONE))
    desk.receive(
        InboundMessage(
            channel="email",
            sender=wang,
            sender_name="王芳",
            subject="Re: 订单还没有收到",
            external_id="<a2@mail.example.cn>",
            thread_refs=("<a1@mail.example.cn>",),
            text="收到了，谢谢！",
        )
    )
    clock.set(datetime(2026, 11, 27, 15, 20, tzinfo=ZONE))
    desk.transition(ticket, "solve", actor=lin)
    desk.confirm_solution(ticket, actor=desk.get_customer(ticket.customer_id))
    clock.set(datetime(2026, 11, 27, 15, 21, tzinfo=ZONE))
    final = desk.transition(ticket, "close", actor=lin)

    print_timeline(desk, final, out)
    return final


def print_timeline(desk: Helpdesk, ticket: Ticket, out: TextIO) -> None:
    """Print a ticket's audit trail as a readable timeline."""
    names = {a.id: a.name for a in desk.agents()}
    customer = desk.get_customer(ticket.customer_id)
    messages = {m.id: m for m in desk.messages(ticket)}
    out.write(f"Ticket {ticket.ref} · {ticket.subject}\n")
    out.write(
        f"Customer: {customer.display_name} · channel: {ticket.channel} · "
        f"status: {ticket.status}\n\n"
    )
    for event in desk.events(ticket):
        when = event.at.astimezone(ZONE).strftime("%m-%d %H:%M:%S")
        who = _pad(_who(event, names, customer.display_name), 10)
        out.write(f"  {when}  {who} {_describe(event, names, messages)}\n")
    if ticket.first_response_at is not None:
        frt = ticket.first_response_at - ticket.created_at
        out.write(f"\nFirst response after {frt}; reopened {ticket.reopen_count} time(s).\n")


def _pad(text: str, width: int) -> str:
    """Pad to ``width`` terminal columns (CJK characters take two)."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - used)


def _who(event: TicketEvent, names: dict[str, str], customer: str) -> str:
    kind, _, ident = event.actor.partition(":")
    if kind == "agent":
        return names.get(ident, ident)
    if kind == "customer":
        return customer
    return kind


def _describe(event: TicketEvent, names: dict[str, str], messages: dict[str, Any]) -> str:
    d = event.data
    if event.kind == "ticket.created":
        return f"opened {d['subject']!r} by {d['channel']}"
    if event.kind in ("message.received", "reply.sent", "note.added"):
        msg = messages.get(d["message_id"])
        text = "" if msg is None else " ".join(msg.text.split())
        text = text if len(text) <= 60 else text[:59] + "…"
        verb = {
            "message.received": f"wrote ({d.get('channel', '')})",
            "reply.sent": "replied",
            "note.added": "noted (internal)",
        }[event.kind]
        return f"{verb}: {text}"
    if event.kind == "ticket.assigned":
        who = names.get(d["assignee_id"] or "", "nobody")
        return f"assigned to {who}" + (f" ({d['reason']})" if d.get("reason") else "")
    if event.kind == "ticket.transitioned":
        return f"{d['transition']}: {d['from']} → {d['to']}"
    if event.kind == "ticket.reopened":
        return "reopened"
    if event.kind == "ticket.confirmed":
        return "confirmed the problem is solved"
    return event.kind
