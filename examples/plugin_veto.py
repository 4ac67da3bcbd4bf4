"""A plugin that vetoes solving unpaid orders and logs every event."""

from helpdesk_kit import FrozenClock, Helpdesk, hookimpl
from helpdesk_kit.errors import GuardFailed


class ShopRules:
    @hookimpl
    def check_transition(self, desk, ticket, transition, actor):
        if transition == "solve" and "refund-pending" in ticket.tags:
            return "the refund has not been booked yet"
        return None

    @hookimpl
    def on_ticket_event(self, desk, event, ticket):
        print(f"[audit] {ticket.ref} {event.kind}")


desk = Helpdesk(clock=FrozenClock(), plugins=[ShopRules()])
ann = desk.add_agent("Ann")
customer = desk.add_customer("Zhang Wei", email="zhang@example.cn")
ticket = desk.open_ticket(customer, "Refund for SO77", "Please refund.", tags=["refund-pending"])
try:
    desk.transition(ticket, "solve", actor=ann)
except GuardFailed as exc:
    print("vetoed:", exc.reason)
desk.tag(ticket, remove=["refund-pending"], actor=ann)
print("now:", desk.transition(ticket, "solve", actor=ann).status)
