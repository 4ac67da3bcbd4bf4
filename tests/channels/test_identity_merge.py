"""One customer behind several identities: merging customers, the cross-channel timeline,
and a delivered reply's channel id threading the answer back."""

from __future__ import annotations

import pytest

from helpdesk_kit import Identity, InboundMessage
from helpdesk_kit.desk.channels import CUSTOMER_MERGED
from helpdesk_kit.errors import InvalidInput, NotFound, PermissionDenied
from helpdesk_kit.plugins import hookimpl

BACKENDS = ["memory", "sqlite", "postgresql"]


def inbound(channel, kind, value, text, **kw):
    return InboundMessage(channel, Identity(kind, value), text=text, **kw)


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_merge_keeps_history_and_moves_identities(helpdesk, helpdesk_clock, make_agent):
    desk = helpdesk
    agent = make_agent()
    mail = desk.receive(inbound("email", "email", "wang@example.cn", "退货", external_id="m1"))
    helpdesk_clock.advance(minutes=1)
    wx = desk.receive(
        inbound("wechat", "wechat", "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", "在吗", thread_key="o6")
    )
    helpdesk_clock.advance(minutes=1)
    call = desk.receive(inbound("phone", "phone", "+86 138 0000 0000", "voicemail"))
    helpdesk_clock.advance(minutes=1)
    desk.reply(wx.ticket, "您好", author=agent)
    desk.add_note(mail.ticket, "VIP?", author=agent)
    assert len({mail.customer.id, wx.customer.id, call.customer.id}) == 3

    survivor = desk.merge_customers(wx.customer, mail.customer, actor=agent)
    survivor = desk.merge_customers(call.customer, survivor, actor=agent)

    assert survivor.id == mail.customer.id
    assert {str(i) for i in survivor.identities} == {
        "email:wang@example.cn",
        "wechat:o6_bmjrPTlm6_2sgVt7hMZOPfL2M",
        "phone:+8613800000000",
    }
    for kind, value in [("wechat", "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"), ("phone", "+8613800000000")]:
        assert desk.find_customer(kind, value).id == survivor.id
    gone = desk.get_customer(wx.customer.id)
    assert gone.merged_into == survivor.id
    assert gone.identities == ()

    history = desk.customer_history(survivor)
    assert {t.id for t in history} == {mail.ticket.id, wx.ticket.id, call.ticket.id}
    moved = [e for e in desk.events(wx.ticket) if e.kind == CUSTOMER_MERGED]
    assert moved[0].data["source"] == wx.customer.id
    assert moved[0].data["into"] == survivor.id
    assert moved[0].actor == f"agent:{agent.id}"

    timeline = desk.customer_timeline(survivor)
    assert [(m.channel, m.text) for m in timeline] == [
        ("email", "退货"),
        ("wechat", "在吗"),
        ("phone", "voicemail"),
        ("wechat", "您好"),
        (None, "VIP?"),
    ]
    assert [m.text for m in desk.customer_timeline(survivor, include_notes=False)][-1] == "您好"
    # the merged customer's timeline is the survivor's
    assert desk.customer_timeline(call.customer.id) == timeline
    first_two = desk.customer_timeline(survivor, limit=2)
    rest = desk.customer_timeline(survivor, after=first_two[-1].id)
    assert first_two + rest == timeline

    # a new message from the old WeChat identity lands on the survivor's thread
    helpdesk_clock.advance(minutes=1)
    again = desk.receive(
        inbound("wechat", "wechat", "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", "还在吗", thread_key="o6")
    )
    assert again.customer.id == survivor.id
    assert again.ticket.id == wx.ticket.id


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_merge_refuses_nonsense(helpdesk, make_agent, make_customer):
    agent = make_agent()
    a, b, c = make_customer(), make_customer(), make_customer()
    with pytest.raises(InvalidInput, match="into itself"):
        helpdesk.merge_customers(a, a, actor=agent)
    with pytest.raises(PermissionDenied):
        helpdesk.merge_customers(a, b, actor=a)
    with pytest.raises(NotFound):
        helpdesk.merge_customers("nobody", b, actor=agent)
    helpdesk.merge_customers(a, b, actor=agent)
    with pytest.raises(InvalidInput, match="already merged"):
        helpdesk.merge_customers(a, c, actor=agent)
    with pytest.raises(InvalidInput, match="merge into that customer"):
        helpdesk.merge_customers(c, a, actor=agent)
    # nothing half-done: c keeps its identity
    assert helpdesk.get_customer(c.id).identities == c.identities


def test_merge_without_tickets_and_field_rules(helpdesk, make_agent):
    agent = make_agent()
    a = helpdesk.add_customer("", email="a@x.cn", tags=["vip"], attributes={"k": 1, "z": 2})
    b = helpdesk.add_customer("B", phone="13900000000", tier="gold", attributes={"k": 9})
    merged = helpdesk.merge_customers(a, b, actor=agent)
    assert merged.name == "B"
    assert merged.tier == "gold"
    assert merged.tags == {"vip"}
    assert merged.attributes == {"k": 9, "z": 2}
    assert merged.email == "a@x.cn"
    assert helpdesk.customer_timeline(merged) == []


class Outbox:
    """A channel that hands out ids for what it sends."""

    name = "outbox"
    capabilities = frozenset({"threading"})

    def __init__(self, ids):
        self.ids = list(ids)

    def send(self, desk, ticket, message, customer):
        return self.ids.pop(0)


class OutboxPlugin:
    def __init__(self, channel):
        self.channel = channel

    @hookimpl
    def register_channels(self, register):
        register(self.channel)


@pytest.fixture
def outbox():
    return Outbox(["out-1@desk", "out-1@desk", 42])


@pytest.fixture
def helpdesk_plugins(outbox):
    return [OutboxPlugin(outbox)]


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_a_delivered_reply_keeps_its_channel_id(helpdesk, make_agent):
    agent = make_agent()
    first = helpdesk.receive(inbound("outbox", "email", "li@example.cn", "hi", external_id="in-1"))
    reply = helpdesk.reply(first.ticket, "hello", author=agent)
    stored = next(m for m in helpdesk.messages(first.ticket) if m.id == reply.id)
    assert stored.external_id == "out-1@desk"
    # the customer answers quoting only our reply's id: it threads back
    answer = helpdesk.receive(
        inbound(
            "outbox",
            "email",
            "li@example.cn",
            "thanks",
            external_id="in-2",
            thread_refs=["out-1@desk"],
        )
    )
    assert answer.ticket.id == first.ticket.id
    assert not answer.created
    # a channel handing out an id that is taken: delivered all the same, the id not kept
    second = helpdesk.reply(first.ticket, "again", author=agent)
    kinds = [e.kind for e in helpdesk.events(first.ticket)]
    assert kinds.count("message.delivered") == 2
    assert next(m for m in helpdesk.messages(first.ticket) if m.id == second.id).external_id is None
    # ids that are not strings are kept as strings
    third = helpdesk.reply(first.ticket, "third", author=agent)
    assert next(m for m in helpdesk.messages(first.ticket) if m.id == third.id).external_id == "42"
