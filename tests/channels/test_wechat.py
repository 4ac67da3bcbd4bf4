"""WeChat Official Account: signatures, safe XML, passive replies, the customer-service API."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpdesk_kit import Helpdesk
from helpdesk_kit.channels.base import ChannelPlugin
from helpdesk_kit.channels.wechat import (
    HttpResponse,
    WeChatApi,
    WeChatChannel,
    check_signature,
    parse_push,
    parse_xml,
    sign,
    text_reply_xml,
    verify_url,
)
from helpdesk_kit.channels.wechat.plugin import from_env
from helpdesk_kit.errors import ChannelError, ConfigurationError, InvalidInput, PluginError
from helpdesk_kit.plugins import hookimpl
from helpdesk_kit.tickets.model import Actor

TOKEN = "helpdeskToken2026"
OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
ACCOUNT = "gh_3f2a1b0c9d8e"


def push_xml(msg_type="text", msg_id="1234567890123456", when=1793581200, **fields):
    parts = [
        f"<ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>",
        f"<FromUserName><![CDATA[{fields.pop('openid', OPENID)}]]></FromUserName>",
        f"<CreateTime>{when}</CreateTime>",
        f"<MsgType><![CDATA[{msg_type}]]></MsgType>",
    ]
    for name, value in fields.items():
        parts.append(f"<{name}><![CDATA[{value}]]></{name}>")
    if msg_id is not None:
        parts.append(f"<MsgId>{msg_id}</MsgId>")
    return ("<xml>" + "".join(parts) + "</xml>").encode()


def signed(timestamp="1793581200", nonce="8812", **extra):
    return {
        "signature": sign(TOKEN, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "openid": OPENID,
        **extra,
    }


# ------------------------------------------------------------------ signatures


@given(st.text(min_size=1), st.text(), st.text())
def test_signature_is_sha1_of_the_sorted_parts(token, timestamp, nonce):
    expected = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    assert sign(token, timestamp, nonce) == expected
    assert check_signature(token, expected, timestamp, nonce)
    assert check_signature(token, expected.upper(), timestamp, nonce)
    flipped = ("0" if expected[0] != "0" else "1") + expected[1:]
    assert not check_signature(token, flipped, timestamp, nonce)


def test_url_check():
    params = {**signed(), "echostr": "5837397520665436492"}
    assert verify_url(TOKEN, params) == "5837397520665436492"
    with pytest.raises(InvalidInput, match="signature"):
        verify_url("another-token", params)
    with pytest.raises(InvalidInput, match="echostr"):
        verify_url(TOKEN, signed())
    assert not check_signature(TOKEN, None, "1", "2")
    assert not check_signature("", "x", "1", "2")


# ------------------------------------------------------------------ XML


def test_pushes_of_every_kind_parse():
    text = parse_push(push_xml(Content="你好，我的订单 SO9 还没发货 <急>"))
    assert text.msg_type == "text"
    assert text.content == "你好，我的订单 SO9 还没发货 <急>"
    assert text.from_user == OPENID
    assert text.to_user == ACCOUNT
    assert text.msg_id == "1234567890123456"
    assert text.create_time == datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    voice = parse_push(push_xml("voice", MediaId="media-v1", Format="amr", Recognition="我要退货"))
    assert (voice.media_id, voice.format, voice.recognition) == ("media-v1", "amr", "我要退货")
    image = parse_push(push_xml("image", PicUrl="http://mmbiz.qpic.cn/x.jpg", MediaId="m1"))
    assert image.pic_url == "http://mmbiz.qpic.cn/x.jpg"
    sub = parse_push(push_xml("event", msg_id=None, Event="subscribe", EventKey="qrscene_42"))
    assert sub.is_event
    assert sub.event == "subscribe"
    assert sub.event_key == "qrscene_42"
    assert sub.dedupe_key == f"{OPENID}:1793581200:subscribe"
    where = parse_push(
        push_xml("location", Location_X="23.134521", Location_Y="113.358803", Label="广州")
    )
    assert (where.latitude, where.longitude, where.label) == ("23.134521", "113.358803", "广州")
    nested = parse_xml(
        "<xml><A>1</A><ScanCodeInfo><ScanType>qrcode</ScanType></ScanCodeInfo><A>2</A></xml>"
    )
    assert nested == {"A": ["1", "2"], "ScanCodeInfo": {"ScanType": "qrcode"}}


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<xml><Content>&lol3;</Content></xml>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<xml><Content>&secret;</Content></xml>"""


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (BOMB, "document type declaration"),
        (EXTERNAL, "document type declaration"),
        (b"<xml><Content>unclosed</xml>", "not well-formed"),
        (b"", "empty"),
        (b"<root><a>1</a></root>", "root element <xml>"),
        (b"<xml>" + b"<a>" * 20 + b"</a>" * 20 + b"</xml>", "nesting deeper"),
        (b"<xml>" + b"x" * 300_000 + b"</xml>", "limit"),
        (b"\xff\xfe<xml/>", "not well-formed"),
        (b"<xml>&undefined;</xml>", "not well-formed"),
    ],
)
def test_hostile_or_broken_xml_is_refused(body, words):
    with pytest.raises(InvalidInput, match=words):
        parse_xml(body)


def test_incomplete_pushes_name_what_is_missing():
    with pytest.raises(InvalidInput) as info:
        parse_push(b"<xml><MsgType>event</MsgType><CreateTime>soon</CreateTime></xml>")
    assert info.value.problems == [
        "<ToUserName> is missing",
        "<FromUserName> is missing",
        "<CreateTime> is not a Unix time: 'soon'",
        "<Event> is missing from an event",
    ]


@given(st.text())
def test_passive_reply_xml_round_trips(content):
    xml = text_reply_xml(OPENID, ACCOUNT, content, datetime(2026, 11, 2, tzinfo=UTC))
    back = parse_xml(xml)
    expected = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "", content)
    expected = expected.replace("\r\n", "\n").replace("\r", "\n")  # XML end-of-line handling
    assert back["Content"] == expected
    assert back["ToUserName"] == OPENID
    assert back["FromUserName"] == ACCOUNT
    assert back["MsgType"] == "text"
    assert back["CreateTime"] == "1793577600"


# ------------------------------------------------------------------ the API


class FakeWeChat:
    """WeChat's API as a fake transport: tokens, customer-service messages, scripted errors."""

    def __init__(self):
        self.calls = []
        self.tokens = 0
        self.valid = set()
        self.script = []  # errcodes to answer the next customer-service calls with
        self.sent = []

    def request(self, method, url, *, params=None, body=None, headers=None, timeout=10.0):
        path = urlsplit(url).path
        params = dict(params or {})
        self.calls.append((method, path, params, body))
        if path == "/cgi-bin/token":
            assert params["appid"] == "wx123"
            if params["secret"] != "s3cret":
                return HttpResponse(200, b'{"errcode":40125,"errmsg":"invalid appsecret"}')
            self.tokens += 1
            token = f"TOKEN{self.tokens}"
            self.valid = {token}  # a new token invalidates the old one
            return HttpResponse(
                200, json.dumps({"access_token": token, "expires_in": 7200}).encode()
            )
        if path == "/cgi-bin/message/custom/send":
            if self.script:
                code = self.script.pop(0)
                return HttpResponse(200, json.dumps({"errcode": code, "errmsg": "x"}).encode())
            if params["access_token"] not in self.valid:
                return HttpResponse(200, b'{"errcode":40001,"errmsg":"invalid credential"}')
            self.sent.append(json.loads(body.decode("utf-8")))
            return HttpResponse(200, b'{"errcode":0,"errmsg":"ok"}')
        return HttpResponse(404, b"not found")


@pytest.fixture
def wechat_api():
    return FakeWeChat()


def make_api(fake, clock, **kw):
    return WeChatApi("wx123", kw.pop("secret", "s3cret"), transport=fake, clock=clock, **kw)


def test_tokens_are_cached_and_refreshed(wechat_api, helpdesk_clock):
    api = make_api(wechat_api, helpdesk_clock)
    api.send_text(OPENID, "一")
    api.send_text(OPENID, "二")
    assert wechat_api.tokens == 1
    helpdesk_clock.advance(seconds=7200 - 299)  # within five minutes of expiry
    api.send_text(OPENID, "三")
    assert wechat_api.tokens == 2
    # another server fetched a token: ours is refused, refreshed once, and the call retried
    wechat_api.valid = {"SOMEONE-ELSES"}
    api.send_text(OPENID, "四")
    assert wechat_api.tokens == 3
    assert [m["text"]["content"] for m in wechat_api.sent] == ["一", "二", "三", "四"]
    body = wechat_api.calls[-1][3]
    assert "四".encode() in body  # UTF-8, not \\u escapes (WeChat shows those literally)


def test_api_errors_are_clear(wechat_api, helpdesk_clock):
    api = make_api(wechat_api, helpdesk_clock)
    wechat_api.script = [45015]
    with pytest.raises(ChannelError, match="48 hours"):
        api.send_text(OPENID, "late")
    with pytest.raises(ChannelError, match="invalid AppSecret"):
        make_api(FakeWeChat(), helpdesk_clock, secret="wrong").send_text(OPENID, "x")

    class Broken:
        def request(self, *a, **kw):
            return HttpResponse(502, b"bad gateway")

    with pytest.raises(ChannelError, match="HTTP 502"):
        WeChatApi("wx1", "s", transport=Broken()).access_token()

    class NotJson:
        def request(self, *a, **kw):
            return HttpResponse(200, b"<html>")

    with pytest.raises(ChannelError, match="not JSON"):
        WeChatApi("wx1", "s", transport=NotJson()).access_token()
    with pytest.raises(ConfigurationError):
        WeChatApi("", "s")
    with pytest.raises(InvalidInput):
        api.send_text("", "x")


def test_stable_tokens(helpdesk_clock):
    seen = []

    class Stable:
        def request(self, method, url, *, params=None, body=None, headers=None, timeout=10.0):
            seen.append((method, urlsplit(url).path, json.loads(body) if body else None))
            if url.endswith("/stable_token"):
                return HttpResponse(200, b'{"access_token":"ST","expires_in":7200}')
            return HttpResponse(200, b'{"errcode":0}')

    api = WeChatApi("wx1", "s", transport=Stable(), clock=helpdesk_clock, stable=True)
    api.typing(OPENID)
    assert seen[0][:2] == ("POST", "/cgi-bin/stable_token")
    assert seen[0][2]["force_refresh"] is False
    assert seen[1][2] == {"touser": OPENID, "command": "Typing"}


# ------------------------------------------------------------------ the channel end to end


@pytest.fixture
def wechat_desk(wechat_api, helpdesk_storage, helpdesk_clock):
    channel = WeChatChannel(
        TOKEN,
        make_api(wechat_api, helpdesk_clock),
        welcome="欢迎关注！有问题直接留言。",
        acknowledgement="已收到（工单 {ref}），客服会尽快回复。",
    )
    desk = Helpdesk(
        storage=helpdesk_storage,
        clock=helpdesk_clock,
        plugins=[ChannelPlugin(channel)],
        load_entrypoints=False,
    )
    return desk, channel


@pytest.mark.parametrize("helpdesk_storage", ["memory", "sqlite", "postgresql"], indirect=True)
def test_push_to_ticket_passive_reply_then_api_reply(wechat_desk, wechat_api, helpdesk_clock):
    desk, channel = wechat_desk
    agent = desk.add_agent("Ann")

    answer = channel.handle(desk, signed(), push_xml(Content="快递三天没动了"))
    ticket = answer.result.ticket
    assert answer.result.created
    assert ticket.channel == "wechat"
    assert ticket.thread_key == OPENID
    assert answer.result.customer.handle("wechat") == OPENID
    passive = parse_xml(answer.body)
    assert answer.content_type.startswith("application/xml")
    assert passive["ToUserName"] == OPENID
    assert passive["FromUserName"] == ACCOUNT
    assert passive["Content"] == f"已收到（工单 {ticket.ref}），客服会尽快回复。"
    assert wechat_api.sent == []  # the acknowledgement went in the HTTP answer, not the API

    # WeChat retries the push (our answer was late): taken once, answered "success"
    again = channel.handle(desk, signed(), push_xml(Content="快递三天没动了"))
    assert again.body == "success"
    assert again.result.duplicate
    assert desk.count_tickets() == 1

    # an hour later the agent answers: a customer-service message through the API
    helpdesk_clock.advance(hours=1)
    desk.reply(ticket, "已联系快递，今天派送。", author=agent)
    assert wechat_api.sent == [
        {"touser": OPENID, "msgtype": "text", "text": {"content": "已联系快递，今天派送。"}}
    ]
    assert [e.kind for e in desk.events(ticket)].count("message.delivered") == 2

    # the user writes again (a voice message): same conversation, no new acknowledgement
    more = channel.handle(
        desk,
        signed(),
        push_xml(
            "voice", msg_id="1234567890123457", MediaId="v1", Format="amr", Recognition="好的谢谢"
        ),
    )
    assert more.body == "success"
    assert more.result.ticket.id == ticket.id
    last = desk.messages(ticket)[-1]
    assert last.text == "好的谢谢"
    assert last.attachments[0].filename == "v1.amr"
    assert last.attachments[0].url == "wechat-media:v1"


def test_events_welcome_and_nothing_else(wechat_desk):
    desk, channel = wechat_desk
    hello = channel.handle(
        desk, signed(), push_xml("event", msg_id=None, Event="subscribe", EventKey="")
    )
    assert parse_xml(hello.body)["Content"] == "欢迎关注！有问题直接留言。"
    bye = channel.handle(desk, signed(), push_xml("event", msg_id=None, Event="unsubscribe"))
    assert bye.body == "success"
    assert desk.count_tickets() == 0


def test_menu_events_can_answer(helpdesk_clock):
    def on_event(desk, push):
        return "营业时间 9:00-21:00" if push.event_key == "HOURS" else None

    channel = WeChatChannel(TOKEN, on_event=on_event)
    desk = Helpdesk(clock=helpdesk_clock, plugins=[ChannelPlugin(channel)], load_entrypoints=False)
    click = push_xml("event", msg_id=None, Event="CLICK", EventKey="HOURS")
    assert parse_xml(channel.handle(desk, signed(), click).body)["Content"] == "营业时间 9:00-21:00"
    other = push_xml("event", msg_id=None, Event="CLICK", EventKey="OTHER")
    assert channel.handle(desk, signed(), other).body == "success"


def test_images_links_and_locations_become_messages(wechat_desk):
    desk, channel = wechat_desk
    image = channel.handle(
        desk, signed(), push_xml("image", PicUrl="http://mmbiz.qpic.cn/a.jpg", MediaId="m9")
    )
    msg = image.result.message
    assert msg.text == "[image]"
    assert msg.attachments[0].url == "http://mmbiz.qpic.cn/a.jpg"
    link = channel.handle(
        desk,
        signed(),
        push_xml("link", msg_id="2", Title="订单", Description="看这个", Url="https://x.cn/o/1"),
    )
    assert link.result.message.text == "订单\n看这个\nhttps://x.cn/o/1"
    where = channel.handle(
        desk,
        signed(),
        push_xml("location", msg_id="3", Location_X="23.1", Location_Y="113.3", Label="广州"),
    )
    assert where.result.message.text == "[location] 广州 (23.1, 113.3)"


def test_bad_requests_are_refused(wechat_desk):
    desk, channel = wechat_desk
    with pytest.raises(InvalidInput, match="signature"):
        channel.handle(desk, {**signed(), "signature": "0" * 40}, push_xml(Content="x"))
    with pytest.raises(InvalidInput, match="plaintext"):
        channel.handle(desk, signed(encrypt_type="aes"), push_xml(Content="x"))
    with pytest.raises(InvalidInput, match="not well-formed"):
        channel.handle(desk, signed(), b"<xml><Content>")
    with pytest.raises(InvalidInput, match="document type"):
        channel.handle(desk, signed(), BOMB)
    assert desk.count_tickets() == 0
    assert channel.verify({**signed(), "echostr": "abc"}) == "abc"
    with pytest.raises(InvalidInput):
        WeChatChannel("")
    with pytest.raises(InvalidInput):
        WeChatChannel(TOKEN, reply_deadline=6)


def test_a_late_passive_reply_goes_through_the_api(wechat_api, helpdesk_clock):
    ticks = iter([0.0, 1.0, 9.0, 9.5, 10.0])
    channel = WeChatChannel(
        TOKEN,
        make_api(wechat_api, helpdesk_clock),
        acknowledgement="收到 {ref}",
        timer=lambda: next(ticks),
    )
    desk = Helpdesk(clock=helpdesk_clock, plugins=[ChannelPlugin(channel)], load_entrypoints=False)
    answer = channel.handle(desk, signed(), push_xml(Content="在吗"))
    assert answer.body == "success"
    ref = answer.result.ticket.ref
    assert wechat_api.sent == [
        {"touser": OPENID, "msgtype": "text", "text": {"content": f"收到 {ref}"}}
    ]


class EchoBot:
    """A bot that answers in the same breath (through the on_ticket_event hook)."""

    @hookimpl
    def on_ticket_event(self, desk, event, ticket):
        if event.kind == "message.received" and ticket.channel == "wechat":
            desk.reply(ticket, "机器人：请提供订单号", author=Actor.bot())


def test_a_bot_answer_becomes_the_passive_reply(wechat_api, helpdesk_clock):
    channel = WeChatChannel(TOKEN, make_api(wechat_api, helpdesk_clock))
    desk = Helpdesk(
        clock=helpdesk_clock, plugins=[ChannelPlugin(channel), EchoBot()], load_entrypoints=False
    )
    answer = channel.handle(desk, signed(), push_xml(Content="退货"))
    assert parse_xml(answer.body)["Content"] == "机器人：请提供订单号"
    assert answer.reply == "机器人：请提供订单号"
    assert wechat_api.sent == []


def test_replies_need_an_openid_and_an_api(helpdesk_clock):
    channel = WeChatChannel(TOKEN)
    desk = Helpdesk(clock=helpdesk_clock, plugins=[ChannelPlugin(channel)], load_entrypoints=False)
    ticket = channel.handle(desk, signed(), push_xml(Content="hi")).result.ticket
    desk.reply(ticket, "hello", author=desk.add_agent("Ann"))
    failed = [e for e in desk.events(ticket) if e.kind == "message.delivery_failed"]
    assert "no API client" in failed[0].data["error"]
    stranger = desk.add_customer("Li", email="li@example.cn")
    other = desk.open_ticket(stranger, "x", "y", channel="wechat")
    desk.reply(other, "hello", author=desk.add_agent("Bo"))
    failed = [e for e in desk.events(other) if e.kind == "message.delivery_failed"]
    assert "no WeChat openid" in failed[0].data["error"]


def test_environment():
    channel = from_env(
        {
            "HELPDESK_KIT_WECHAT_TOKEN": TOKEN,
            "HELPDESK_KIT_WECHAT_APP_ID": "wx1",
            "HELPDESK_KIT_WECHAT_APP_SECRET": "s",
            "HELPDESK_KIT_WECHAT_WELCOME": "hi",
        }
    )
    assert channel.api.app_id == "wx1"
    assert channel.welcome == "hi"
    assert from_env({"HELPDESK_KIT_WECHAT_TOKEN": TOKEN}).api is None
    with pytest.raises(PluginError, match="HELPDESK_KIT_WECHAT_TOKEN"):
        from_env({})
    with pytest.raises(PluginError, match="both"):
        from_env({"HELPDESK_KIT_WECHAT_TOKEN": TOKEN, "HELPDESK_KIT_WECHAT_APP_ID": "wx1"})


def test_token_expiry_uses_the_clock(wechat_api, helpdesk_clock):
    api = make_api(wechat_api, helpdesk_clock, refresh_margin=timedelta(0))
    first = api.access_token()
    helpdesk_clock.advance(seconds=7199)
    assert api.access_token() == first
    helpdesk_clock.advance(seconds=2)
    assert api.access_token() != first
    assert parse_qs(urlsplit("x?" + "a=1").query) == {"a": ["1"]}
