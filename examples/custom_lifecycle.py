"""Define a lifecycle as data, validate it, draw it, and run tickets through it."""

from helpdesk_kit import FrozenClock, Helpdesk, Lifecycle, hookimpl
from helpdesk_kit.errors import InvalidDefinition

RETURNS = {
    "name": "returns",
    "initial": "requested",
    "states": {
        "requested": {"category": "new"},
        "label_sent": {"category": "pending", "flags": ["sla_paused", "waiting_on_customer"]},
        "received": {"category": "open"},
        "refunded": {"category": "solved"},
        "closed": {"category": "closed"},
    },
    "transitions": [
        {"name": "send_label", "from": "requested", "to": "label_sent", "roles": ["agent"]},
        {"name": "receive_parcel", "from": "label_sent", "to": "received", "roles": ["agent"]},
        {"name": "refund", "from": "received", "to": "refunded", "roles": ["supervisor"]},
        {
            "name": "close",
            "from": "refunded",
            "to": "closed",
            "guards": ["problem_solved", "customer_confirmed_or_timed_out", "no_open_followups"],
        },
    ],
    "settings": {"auto_close_after": "2d"},
}

try:
    Lifecycle.from_dict({**RETURNS, "transitions": RETURNS["transitions"][:1]})
except InvalidDefinition as exc:
    print(exc)  # every problem at once

print(Lifecycle.from_dict(RETURNS).to_mermaid())


class Returns:
    @hookimpl
    def register_lifecycles(self, register):
        register(RETURNS)


clock = FrozenClock()
desk = Helpdesk(clock=clock, plugins=[Returns()])
ann = desk.add_agent("Ann")
lead = desk.add_agent("Lead", role="supervisor")
customer = desk.add_customer("Chen", email="chen@example.cn")
ticket = desk.open_ticket(customer, "Return SO9", lifecycle="returns")
for name, actor in [("send_label", ann), ("receive_parcel", ann), ("refund", lead)]:
    ticket = desk.transition(ticket, name, actor=actor)
clock.advance(days=2)
print(desk.sweep())  # closes the refunded ticket after the 2-day window
print(desk.get_ticket(ticket).status)
