"""Reply templates and macros on a small web shop's desk (SQLite), printed as a timeline.

The starter pack's first reply, an order template fed by the host's ``customer_context``
hook, a refund macro (reply + note + priority + tags + transition in one unit of work), a
pending reminder the next day and the closing reply. Run: ``python examples/macros.py``.
"""

import sys
import tempfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from helpdesk_kit import DeskSettings, FrozenClock, Helpdesk, Identity, InboundMessage, hookimpl
from helpdesk_kit.cli.demo import print_timeline

ZONE = ZoneInfo("Asia/Shanghai")


class Shop:
    """The host application: orders by customer e-mail."""

    @hookimpl
    def customer_context(self, desk, customer):
        if customer.email == "wang.fang@example.cn":
            return {
                "orders": [
                    {
                        "id": "SO20261120-0042",
                        "status": "已签收",
                        "amount": Decimal("2999.00"),
                        "currency": "CNY",
                    }
                ]
            }
        return None


def main(url: str) -> None:
    clock = FrozenClock(datetime(2026, 11, 26, 9, 0, tzinfo=ZONE))
    settings = DeskSettings(default_group="after-sales", timezone="Asia/Shanghai")
    with Helpdesk.from_url(
        url, clock=clock, settings=settings, plugins=[Shop()], load_entrypoints=False
    ) as desk:
        desk.add_group("after-sales")
        lin = desk.add_agent("林一", groups=["after-sales"], languages=["zh", "en"])
        desk.install_starter_macros(author="setup")
        desk.save_template(
            "refund_started",
            {
                "zh": "{customer.name}，订单 {order.id} 的退款（{order.amount} 元）已提交，"
                "预计 3 个工作日内原路退回。",
                "en": "{customer.name}, the refund of {order.amount} {order.currency} for "
                "order {order.id} is on its way (3 working days).",
            },
            author=lin,
        )
        desk.save_macro(
            "refund",
            shortcode="/refund",
            template="refund_started",
            set_priority="high",
            add_tags=["refund"],
            set_fields={"category": "refund"},
            note="{agent.name} 已为 {order.id} 发起退款",
            transition="pend",
            author=lin,
        )

        clock.set(datetime(2026, 11, 26, 9, 12, tzinfo=ZONE))
        ticket = desk.receive(
            InboundMessage(
                channel="email",
                sender=Identity("email", "wang.fang@example.cn"),
                sender_name="王芳",
                subject="手机屏幕碎了，要求退款",
                text="你好，昨天收到的手机屏幕是碎的，我想退款。",
                external_id="<r1@mail.example.cn>",
                locale="zh-CN",
            )
        ).ticket
        assert ticket is not None

        clock.set(datetime(2026, 11, 26, 9, 13, tzinfo=ZONE))
        desk.apply_macro(ticket, "/greet", agent=lin)
        clock.set(datetime(2026, 11, 26, 9, 30, tzinfo=ZONE))
        desk.apply_macro(ticket, "/refund", agent=lin)
        clock.set(datetime(2026, 11, 27, 10, 0, tzinfo=ZONE))
        desk.apply_macro(ticket, "/remind", agent=lin)
        clock.set(datetime(2026, 11, 28, 11, 0, tzinfo=ZONE))
        final = desk.apply_macro(ticket, "/close", agent=lin).ticket

        print_timeline(desk, final, sys.stdout)
        print()
        for message in desk.messages(final):
            if message.public and message.author_kind == "agent":
                print(message.text.replace("\n", " "))
        print()
        print("English preview of /greet:")
        print(desk.expand_shortcode("/greet", final, lin, locale="en").text)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="helpdesk-kit-macros-") as folder:
        main(f"sqlite:///{Path(folder) / 'desk.db'}")
