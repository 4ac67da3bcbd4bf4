"""The guide's service levels on a small shop's desk: two days of SLA timers, printed.

Chat must get a first reply within 30 s and email within 2 h of service time
(Mon–Fri 09:00–18:00 Asia/Shanghai, official holidays), and every email is answered within
24 hours. An out-of-hours auto-reply promises the due time; the bot holds an evening chat
until a person takes it; sweeps record warnings and breaches.

Run:  PYTHONPATH=src python examples/sla_guide.py
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from helpdesk_kit import Helpdesk, Identity, InboundMessage
from helpdesk_kit.clock import FrozenClock
from helpdesk_kit.desk import DeskSettings
from helpdesk_kit.sla import guide_policies
from helpdesk_kit.tickets.model import Actor, Ticket

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """An instant in November 2026, Shanghai time."""
    return datetime(2026, 11, day, hour, minute, second, tzinfo=SHANGHAI)


def show(desk: Helpdesk, ticket: Ticket, label: str) -> None:
    """Print the ticket's timers that have a target."""
    for t in desk.sla_timers(ticket):
        if t.target is None:
            continue
        due = "-" if t.due_at is None else f"{t.due_at.astimezone(SHANGHAI):%a %d %H:%M:%S}"
        print(f"    {label:6} {t.metric:15} cycle {t.cycle}  {t.status.value:8}  due {due}")


def main() -> dict[str, object]:
    """Play the two days; return a few facts for the tests."""
    clock = FrozenClock(at(25, 17, 30))  # Wednesday
    desk = Helpdesk(
        clock=clock, settings=DeskSettings(auto_assign=False), load_entrypoints=False
    )
    desk.configure_sla(guide_policies())
    lin = desk.add_agent("Lin Yi", languages=["zh", "en"])
    bot = Actor.bot()
    facts: dict[str, object] = {}

    print("Wed 17:30  an email arrives; the auto-reply promises a time")
    wang = Identity("email", "wang.fang@example.cn")
    mail = desk.receive(
        InboundMessage("email", wang, sender_name="王芳", subject="订单没收到",
                       text="你好，我的订单还没有收到。", locale="zh-CN")
    ).ticket
    assert mail is not None
    promise = desk.sla_promise(mail)
    facts["promise"] = promise
    desk.reply(mail, f"已收到您的邮件，{promise}。", author=Actor.system())  # not a response
    print(f"    auto-reply: {promise}")
    show(desk, mail, "email")

    clock.set(at(25, 19, 0))
    print("Wed 19:00  a chat starts after hours; the bot answers and holds it")
    chat = desk.receive(
        InboundMessage("chat", Identity("wechat", "o-liu"), text="在吗？", thread_key="s-1")
    ).ticket
    assert chat is not None
    desk.reply(chat, "您好，我是智能客服，请问有什么可以帮您？", author=bot)
    show(desk, chat, "chat")

    clock.set(at(26, 9, 0))
    print("Thu 09:00  the chat goes to Lin (the hand-off starts the 30 s)")
    desk.assign(chat, lin)
    show(desk, chat, "chat")
    clock.set(at(26, 9, 0, 20))
    desk.reply(chat, "您好，我是林怡。", author=lin)
    facts["chat"] = next(t for t in desk.sla_timers(chat) if t.metric == "first_response")

    clock.set(at(26, 10, 10))
    swept = desk.sweep().results["sla"]
    print(f"Thu 10:10  sweep: {swept.warnings} warning(s), {swept.breaches} breach(es)")
    clock.set(at(26, 10, 20))
    desk.reply(mail, "您好，已为您查询物流，预计明天送达。", author=lin)
    print("Thu 10:20  Lin answers the email (due 10:30): met, after the 80 % warning")
    show(desk, mail, "email")

    clock.set(at(27, 17, 0))
    print("Fri 17:00  the customer writes again: answered within 24 h (wall clock)")
    desk.receive(
        InboundMessage("email", wang, text="还是没收到。", ticket_number=mail.number)
    )
    show(desk, mail, "email")
    clock.set(at(28, 17, 1))
    swept = desk.sweep().results["sla"]
    print(f"Sat 17:01  sweep: {swept.warnings} warning(s), {swept.breaches} breach(es)"
          " -- nobody works on Saturdays")
    show(desk, mail, "email")

    kinds = [(e.kind, e.data.get("metric")) for e in desk.events(mail) if e.kind.startswith("sla.")]
    print("\nSLA events of the email:", ", ".join(f"{k} ({m})" for k, m in kinds))
    facts["email_events"] = kinds
    return facts


if __name__ == "__main__":
    main()
