"""Authority limits: an agent refunds within her limit, asks for approval above it, and a
supervisor decides. Run: ``python examples/authority.py``.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from helpdesk_kit import FrozenClock, Helpdesk, hookimpl
from helpdesk_kit.authority import Money
from helpdesk_kit.errors import ActionFailed

ZONE = ZoneInfo("Asia/Shanghai")

POLICY = """
currency = "CNY"
window = "24h"
approvers = ["supervisor"]

[actions.refund.limits]
agent = "200"
supervisor = "2000"

[actions.coupon.limits]
agent = "50"

[actions.compensation]
limit = "500"
"""


class Payments:
    """The host application's payment system (a card can be expired)."""

    def __init__(self) -> None:
        self.expired = False

    @hookimpl
    def register_authority_actions(self, register):
        register("refund", self.refund)
        register("coupon", lambda desk, request: {"code": "CPN-" + request.id[-6:]})
        register("compensation", lambda desk, request: {"booked": True})

    def refund(self, desk, request):
        if self.expired:
            return {"ok": False, "error": "the card on file has expired"}
        return {"refund_id": "RF-" + request.id[-6:]}

    @hookimpl
    def notify(self, desk, notification):
        print(f"  [notify {notification['kind']}] {notification['subject']}")


def main() -> None:
    clock = FrozenClock(datetime(2026, 11, 26, 10, 0, tzinfo=ZONE))
    payments = Payments()
    desk = Helpdesk(clock=clock, plugins=[payments], load_entrypoints=False)
    desk.configure_authority(POLICY)
    lu = desk.add_agent("陆主管", role="supervisor", status="away")
    desk.add_group("after-sales", supervisor=lu)
    ann = desk.add_agent("Ann", groups=["after-sales"])
    wang = desk.add_customer("王芳", email="wang@example.cn")
    ticket = desk.open_ticket(wang, "屏幕碎了", "收到的手机屏幕是碎的", group="after-sales")

    def show(request):
        print(
            f"{request.action:>12} {request.amount!s:>12}  {request.status.value:<9}"
            f" ({request.decision}; used before: {request.used})"
        )

    show(
        desk.request_action(
            ticket, "refund", amount=Money("150", "CNY"), actor=ann, reason="屏幕碎裂"
        )
    )
    big = desk.request_action(
        ticket, "refund", amount=Money("100", "CNY"), actor=ann, reason="补偿运费"
    )
    show(big)
    clock.advance(minutes=20)
    show(desk.approve(big.id, actor=lu, note="老客户"))
    show(desk.request_action(ticket, "coupon", amount=Money("30", "CNY"), actor=ann))
    payments.expired = True
    try:
        desk.request_action(ticket, "refund", amount=Money("20", "CNY"), actor=lu)
    except ActionFailed as exc:
        show(exc.request)
        print(f"{'':>12} the host said: {exc.request.error}")
    usage = desk.authority_usage("refund", actor=ann, ticket=ticket)
    print(f"\nAnn's refunds for 王芳 in the last 24 h: {usage.used} of {usage.limit}")
    print("\nAudit trail:")
    for event in desk.events(ticket):
        if event.kind.startswith("authority."):
            at = event.at.astimezone(ZONE).strftime("%H:%M")
            print(f"  {at} {event.kind:<30} {event.data['action']} {event.data['amount']}")


if __name__ == "__main__":
    main()
