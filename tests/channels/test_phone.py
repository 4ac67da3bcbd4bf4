"""The phone channel: numbers, call records into tickets, SMS replies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpdesk_kit import Helpdesk
from helpdesk_kit.channels.base import ChannelPlugin
from helpdesk_kit.channels.email import EmailChannel, parse_email
from helpdesk_kit.channels.phone import (
    CallRecord,
    PhoneChannel,
    is_anonymous,
    normalize_number,
    number_candidates,
)
from helpdesk_kit.channels.phone.plugin import from_env
from helpdesk_kit.errors import GuardFailed, InvalidInput, PluginError

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "cc", "expected"),
    [
        ("+86 138-0000-0000", "86", "+8613800000000"),
        ("0086 13800000000", "86", "+8613800000000"),
        ("13800000000", "86", "+8613800000000"),
        ("(010) 1234 5678", "86", "+861012345678"),
        ("+86 (0)10 1234 5678", "86", "+861012345678"),
        ("+852 2345 6789", "86", "+85223456789"),
        ("13800000000", None, "13800000000"),
        ("110", "86", "110"),
        ("+1 (415) 555-0100", None, "+14155550100"),
    ],
)
def test_numbers_are_canonical(raw, cc, expected):
    assert normalize_number(raw, cc) == expected


def test_bad_numbers_and_codes():
    for bad in ["call me", "+", "12", "1" * 16, "１３８００"]:
        with pytest.raises(InvalidInput):
            normalize_number(bad, "86")
    with pytest.raises(InvalidInput):
        normalize_number("13800000000", "086")
    assert is_anonymous("anonymous")
    assert is_anonymous(" Private ")
    assert is_anonymous("")
    assert not is_anonymous("+8613800000000")
    assert number_candidates("+86 138 0000 0000", "86")[:3] == [
        "+8613800000000",
        "13800000000",
        "013800000000",
    ]


@given(
    st.sampled_from(["86", "1", "852", "44"]),
    st.text("0123456789", min_size=6, max_size=11).filter(lambda s: not s.startswith("0")),
    st.sampled_from(["{p}{cc} {n}", "00{cc}{n}", "0{n}", "{n}", "{p}{cc}-{n}", "{p}{cc} (0){n}"]),
)
def test_every_way_of_writing_a_number_gives_one_form(cc, national, shape):
    # oracle: the number is +<cc><national>; every common way of writing it maps there
    written = shape.format(p="+", cc=cc, n=national)
    expected = "+" + cc + national
    assert normalize_number(written, cc) == expected


class Gateway:
    def __init__(self):
        self.sent = []

    def send_sms(self, to, text):
        self.sent.append((to, text))
        return f"sms-{len(self.sent)}"


@pytest.fixture
def gateway():
    return Gateway()


@pytest.fixture
def phone(gateway):
    return PhoneChannel(country_code="86", sms=gateway)


@pytest.fixture
def desk(phone, helpdesk_storage, helpdesk_clock):
    return Helpdesk(
        storage=helpdesk_storage,
        clock=helpdesk_clock,
        plugins=[ChannelPlugin(phone)],
        load_entrypoints=False,
    )


def voicemail(**kw):
    kw.setdefault("call_id", "call-1")
    kw.setdefault("caller", "+86 138 0000 0000")
    kw.setdefault("started_at", T0)
    kw.setdefault("outcome", "voicemail")
    kw.setdefault("duration", 42)
    kw.setdefault("recording_url", "https://pbx.example/rec/call-1.wav?sig=x")
    kw.setdefault("transcript", "我的快递三天没动了，订单号 SO778。")
    return CallRecord(**kw)


@pytest.mark.parametrize("helpdesk_storage", ["memory", "sqlite", "postgresql"], indirect=True)
def test_voicemail_to_ticket_to_sms_reply(desk, phone, gateway, helpdesk_clock):
    known = desk.add_customer("Zhao", phone="138 0000 0000")  # stored in the national form
    result = phone.record_call(desk, voicemail())
    ticket = result.ticket
    assert result.created
    assert result.customer.id == known.id  # the caller's number found the customer
    assert ticket.channel == "phone"
    assert ticket.subject == "Voicemail from 13800000000"
    assert ticket.tags == {"voicemail"}
    msg = desk.messages(ticket)[0]
    assert msg.external_id == "call-1"
    assert msg.text.splitlines()[0] == "Voicemail from 13800000000 on 2026-11-02 09:00 UTC, 42 s."
    assert "我的快递三天没动了" in msg.text
    assert msg.attachments[0].filename == "call-1.wav"
    assert msg.attachments[0].content_type == "audio/x-wav"
    assert msg.attachments[0].url.startswith("https://pbx.example/rec/")

    again = phone.record_call(desk, voicemail())  # the PBX sent the record twice
    assert again.duplicate
    assert desk.count_tickets() == 1

    helpdesk_clock.advance(minutes=30)
    desk.reply(ticket, "已催促快递，明天送达。", author=desk.add_agent("Ann"))
    assert gateway.sent == [("+8613800000000", f"[{ticket.ref}] 已催促快递，明天送达。")]
    delivered = next(e for e in desk.events(ticket) if e.kind == "message.delivered")
    assert delivered.data["external_id"] == "sms-1"


def test_callback_request_leaves_a_follow_up(desk, phone):
    when = T0 + timedelta(hours=5)
    result = phone.record_call(
        desk, voicemail(outcome="callback_requested", callback_at=when, transcript="")
    )
    followups = desk.followups(result.ticket)
    assert [(f.title, f.due_at, f.reason) for f in followups] == [
        ("Call back +8613800000000", when, "callback_requested")
    ]
    agent = desk.add_agent("Ann")
    desk.transition(result.ticket, "solve", actor=agent)
    with pytest.raises(GuardFailed):
        desk.transition(result.ticket, "close", actor=agent)


def test_answered_calls_are_logged_and_assigned(desk, phone):
    ann = desk.add_agent("Ann", status="online")
    bo = desk.add_agent("Bo", status="online")
    call = CallRecord(
        "call-2",
        "13911112222",
        T0,
        "answered",
        duration=timedelta(minutes=3, seconds=12),
        agent_id=bo.id,
        summary="Wants to change the delivery address.",
        line="400-800-1234",
    )
    result = phone.record_call(desk, call)
    assert result.ticket.assignee_id == bo.id
    assert ann.id != bo.id
    assert result.ticket.tags == {"call"}
    text = desk.messages(result.ticket)[0].text
    assert text.startswith(
        "Call from +8613911112222 on 2026-11-02 09:00 UTC, 3 min 12 s, answered by Bo."
    )
    assert "Line: 400-800-1234" in text
    assert "Wants to change the delivery address." in text
    assert desk.followups(result.ticket) == []


def test_missed_abandoned_and_anonymous_calls(desk, gateway):
    phone = PhoneChannel(country_code="86", sms=gateway, open_missed=False)
    missed = phone.record_call(desk, CallRecord("c3", "13800000000", T0, "missed"))
    assert missed.ticket is None
    assert "missed" in missed.ignored
    abandoned = phone.record_call(desk, CallRecord("c4", "13800000000", T0, "abandoned", 5))
    assert abandoned.ticket is None
    eager = PhoneChannel(open_abandoned=True)
    kept = eager.record_call(desk, CallRecord("c5", "13800000000", T0, "abandoned", 5))
    assert kept.ticket.tags == {"abandoned-call"}
    assert desk.followups(kept.ticket)[0].title == "Call back 13800000000"
    hidden = phone.record_call(desk, voicemail(call_id="c6", caller="anonymous"))
    assert hidden.customer.identities[0].kind == "anonymous_call"
    assert hidden.ticket.subject == "Voicemail from an anonymous caller"
    assert desk.count_tickets() == 2


def test_a_call_about_a_known_ticket_joins_it(desk, phone):
    first = phone.record_call(desk, voicemail())
    again = phone.record_call(
        desk, voicemail(call_id="call-9", ticket_number=first.ticket.number, transcript="又是我")
    )
    assert again.ticket.id == first.ticket.id
    assert not again.created


def test_outbound_calls_are_notes(desk, phone):
    ann = desk.add_agent("Ann")
    ticket = phone.record_call(desk, voicemail()).ticket
    call = CallRecord(
        "out-1",
        "+8613800000000",
        T0,
        "answered",
        duration=65,
        agent_id=ann.id,
        direction="outbound",
        ticket_number=ticket.number,
        summary="Confirmed the new address.",
    )
    note = phone.record_call(desk, call).message
    assert not note.public
    assert note.author_id == ann.id
    assert note.text.startswith("Outbound call to +8613800000000")
    assert "1 min 5 s, answered, by Ann." in note.text
    with pytest.raises(InvalidInput, match="ticket_number"):
        phone.record_call(desk, CallRecord("out-2", "1", T0, "answered", direction="outbound"))


def test_replies_without_sms_go_by_email(helpdesk_clock):
    class Capture:
        def __init__(self):
            self.sent = []

        def send(self, msg):
            self.sent.append(msg)

    mail = Capture()
    phone = PhoneChannel(country_code="86")
    desk = Helpdesk(
        clock=helpdesk_clock,
        plugins=[ChannelPlugin(phone, EmailChannel("support@shop.example", mail))],
        load_entrypoints=False,
    )
    desk.add_customer("Zhao", phone="13800000000", email="zhao@example.cn")
    ticket = phone.record_call(desk, voicemail()).ticket
    desk.reply(ticket, "好的", author=desk.add_agent("Ann"))
    assert parse_email(mail.sent[0].as_bytes()).to[0].email == "zhao@example.cn"
    # a caller with neither: delivery fails with the reason
    other = phone.record_call(desk, voicemail(call_id="c7", caller="13900000000")).ticket
    desk.reply(other, "hello", author=desk.add_agent("Bo"))
    failed = next(e for e in desk.events(other) if e.kind == "message.delivery_failed")
    assert "no email identity" in failed.data["error"]


def test_bad_records_and_environment():
    with pytest.raises(InvalidInput):
        CallRecord("", "1", T0, "answered")
    with pytest.raises(InvalidInput):
        CallRecord("x", "1", T0, "answered", duration=-1)
    with pytest.raises(InvalidInput):
        CallRecord("x", "1", datetime(2026, 1, 1), "answered")
    with pytest.raises(ValueError, match="'hung up' is not a valid CallOutcome"):
        CallRecord("x", "1", T0, "hung up")
    assert from_env({"HELPDESK_KIT_PHONE_COUNTRY_CODE": "86"}).country_code == "86"
    with pytest.raises(PluginError):
        from_env({"HELPDESK_KIT_PHONE_COUNTRY_CODE": "china"})
