"""The guide's escalation path on a small shop's desk: agent → team lead → manager, printed.

Li's parcel question waits two hours without an answer: it goes to the team lead, one step
more urgent, and the lead is notified. Wang writes that she will complain to 12315: the
ticket switches to the complaint process and goes to the managers, urgent. Sweeps run every
half hour on a frozen clock; each level fires once however often they run.

Run:  PYTHONPATH=src python examples/escalation_path.py
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from helpdesk_kit import Helpdesk, Identity, InboundMessage
from helpdesk_kit.clock import FrozenClock
from helpdesk_kit.desk import DeskSettings
from helpdesk_kit.escalation import guide_policies
from helpdesk_kit.plugins import hookimpl
from helpdesk_kit.tickets import events as ev

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI)


class Pager:
    """Prints the notifications the desk sends (a real plugin would send a message)."""

    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock
        self.sent: list[dict[str, Any]] = []

    @hookimpl
    def notify(self, desk: Helpdesk, notification: dict[str, Any]) -> None:
        """Record and print one notification."""
        self.sent.append(dict(notification))
        names = [_name(desk, r) for r in notification["recipients"]]
        print(f"{_now(self.clock)}  notify {', '.join(names)}: {notification['subject']}")


def _now(clock: FrozenClock) -> str:
    return f"{clock.now().astimezone(SHANGHAI):%H:%M}"


def _name(desk: Helpdesk, ref: str) -> str:
    try:
        return desk.get_agent(ref).name
    except Exception:
        return ref  # a group name


def main() -> dict[str, object]:
    """Play the morning; return a few facts for the tests."""
    clock = FrozenClock(START)
    pager = Pager(clock)
    desk = Helpdesk(
        clock=clock,
        plugins=[pager],
        settings=DeskSettings(default_group="support"),
        load_entrypoints=False,
    )
    lead = desk.add_agent("Zhou (team lead)", role="supervisor", max_concurrent=5)
    desk.add_group("support", supervisor=lead)
    desk.add_group("managers")
    desk.add_agent("Ann", groups=["support"], max_concurrent=1)
    desk.add_agent("Ma (manager)", role="supervisor", groups=["managers"], max_concurrent=3)
    desk.configure_escalation(guide_policies(time_limit="2h", manager_group="managers"))

    def write(email: str, text: str, ticket: Any = None) -> Any:
        number = None if ticket is None else ticket.number
        sender = Identity("email", email)
        result = desk.receive(
            InboundMessage(
                channel="form", sender=sender, text=text, subject=text, ticket_number=number
            )
        )
        print(f"{_now(clock)}  {email} writes {text!r} → {result.ticket.ref}")
        return result.ticket

    first = write("wang@example.cn", "我的退货还没处理")
    second = write("li@example.cn", "快递到哪里了")  # Ann is busy: it waits in the group
    for _ in range(6):
        clock.advance(timedelta(minutes=30))
        result = desk.sweep().results["escalation"]
        if result.fired:
            print(f"{_now(clock)}  sweep: {result.fired} level(s) fired")
        if clock.now() == START + timedelta(hours=1):
            desk.reply(first, "正在为您查询", author=desk.get_agent(first.assignee_id))
            print(f"{_now(clock)}  Ann answers {first.ref}")
            write("wang@example.cn", "再不处理我就打12315投诉!", first)
        if clock.now() == START + timedelta(hours=1, minutes=30):
            ticket = desk.get_ticket(first)
            desk.reply(ticket, "非常抱歉,我来负责处理", author=desk.get_agent(ticket.assignee_id))
            print(f"{_now(clock)}  the manager answers {ticket.ref}")
    print()
    for ticket in (first, second):
        t = desk.get_ticket(ticket)
        owner = "-" if t.assignee_id is None else desk.get_agent(t.assignee_id).name
        group = "-" if t.group_id is None else desk.get_group(t.group_id).name
        print(f"{t.ref}  {t.lifecycle}/{t.status}  {t.priority.value}  {group}  {owner}")
        for e in desk.events(t):
            if e.kind == ev.ESCALATION_FIRED:
                print(f"    {e.at.astimezone(SHANGHAI):%H:%M}  escalation {e.data['level']}")
    return {
        "first": desk.get_ticket(first),
        "second": desk.get_ticket(second),
        "levels": {t.ref: [f.level for f in desk.escalations(t)] for t in (first, second)},
        "notified": len(pager.sent),
    }


if __name__ == "__main__":
    main()
