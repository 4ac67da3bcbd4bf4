"""The bot on a shop's live chat: flows with the host's actions, articles, hand-off, metrics.

Run: PYTHONPATH=src python examples/bot_chat.py [storage URL, e.g. sqlite:///bot.db]
"""

from __future__ import annotations

import sys
from datetime import timedelta

from helpdesk_kit import FrozenClock, Helpdesk
from helpdesk_kit.bot import IntentClassifier, load_starter_examples
from helpdesk_kit.channels.base import ChannelPlugin
from helpdesk_kit.channels.webchat import ChatChannel
from helpdesk_kit.plugins import hookimpl


class Shop:
    """The host application: its orders and accounts, offered to the bot as actions."""

    def __init__(self) -> None:
        self.orders = {
            "SO20240611": ("lily", "已于昨天由顺丰发出，运单号 SF1234567890"),
            "SO20240612": ("tom", "is packed and leaves our warehouse today"),
        }

    @hookimpl
    def register_bot_actions(self, register):
        register("order_status", self.order_status)
        register("password_reset", self.password_reset)

    def order_status(self, desk, customer, slots):
        number = slots["order_number"]
        found = self.orders.get(number)
        if found is None or found[0] != customer.name:  # only the customer's own orders
            return {"ok": False, "text": f"没有找到订单 {number}。", "retry": "order_number"}
        return {"ok": True, "text": f"订单 {number} {found[1]}。"}

    def password_reset(self, desk, customer, slots):
        # a real shop checks that the account exists and sends the link by e-mail or SMS
        return {"ok": True, "text": f"A reset link is on its way to {slots['account']}."}


class Visitor:
    """A visitor's browser tab: sends messages, prints what the bot and agents say."""

    def __init__(self, chat, desk, name):
        self.frames = []
        self.session = chat.connect(desk, f"visitor-{name}", self.frames.append, name=name)
        self.name = name

    def say(self, text):
        print(f"  {self.name:>5}: {text}")
        seen = len(self.frames)
        self.session.handle({"type": "message", "text": text})
        for frame in self.frames[seen:]:
            if frame["type"] == "message" and frame["author"] != "visitor":
                who = frame["name"] or frame["author"]
                print(f"  {who:>5}: " + frame["text"].replace("\n", "\n         "))
            elif frame["type"] == "status":
                print(f"         [chat is now {frame['status']}]")


def main(url: str | None = None) -> None:
    clock = FrozenClock()
    chat = ChatChannel()
    plugins = [ChannelPlugin(chat), Shop()]
    if url:
        desk = Helpdesk.from_url(url, clock=clock, plugins=plugins, load_entrypoints=False)
    else:
        desk = Helpdesk(clock=clock, plugins=plugins, load_entrypoints=False)
    desk.kb.import_starter()
    bot = desk.configure_bot(
        IntentClassifier().fit(load_starter_examples()),
        article_url="https://help.shop.example/{locale}/{key}",
        note_locale="zh",
    )
    ann = desk.add_agent("Ann", email="ann@shop.example", status="offline")

    print("1. Order status (Chinese), through the shop's action")
    lily = Visitor(chat, desk, "lily")  # the chat's customer is named after the visitor
    lily.say("你好，我的订单到哪了？")
    lily.say("SO20240611")
    lily.say("谢谢")
    clock.advance(timedelta(minutes=5))

    print("\n2. Password reset (English), with a confirmation")
    tom = Visitor(chat, desk, "tom")
    tom.say("I forgot my password")
    tom.say("tom@example.com")
    tom.say("yes")
    clock.advance(timedelta(minutes=5))

    print("\n3. An article that does not help, then a person")
    mia = Visitor(chat, desk, "mia")
    mia.say("退货政策是怎样的？")
    mia.say("没用")
    mia.say("还是不对，转人工吧")
    ticket = desk.get_ticket(mia.session.ticket)
    note = next(m for m in desk.messages(ticket) if not m.public)
    print(f"  note for the agent on {ticket.ref}:")
    print("    " + note.text.replace("\n", "\n    "))
    print(
        f"  {ticket.ref} waits in the queue: status {ticket.status}, assignee {ticket.assignee_id}"
    )

    print("\n4. Ann comes online and takes the chat; she relabels it")
    desk.set_agent_status(ann, "online")
    chat.join(desk, mia.session.id, ann)
    chat.say(desk, mia.session.id, ann, "您好，我是 Ann。请问是哪个订单要退货？")
    print("    Ann: 您好，我是 Ann。请问是哪个订单要退货？")
    relabel = desk.relabel_intent(ticket, "return_refund", agent=ann)
    print(f"  relabelled: {relabel.text!r} -> {relabel.intent} (bot: {relabel.previous})")
    print("  training data:", bot.export_training_tsv().splitlines()[-1].replace("\t", " | "))

    print("\n5. Half an hour later the sweep solves what the bot resolved")
    clock.advance(timedelta(minutes=31))
    print("  solved:", desk.sweep().results["bot.solve"])

    print("\n6. Metrics")
    m = desk.bot_metrics()
    print(
        f"  conversations {m.conversations}, contained {m.contained} "
        f"({m.containment_rate:.0%}), handed off {m.handoffs} {m.reasons}, "
        f"accuracy {m.accuracy:.0%} of {m.reviewed} reviewed"
    )
    for row in m.intents:
        print(f"  {row.intent!s:15} {row.conversations} conversation(s), {row.contained} contained")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
