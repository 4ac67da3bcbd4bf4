"""Write the email corpus: .eml files in the shapes real clients send, with expectations.

Run from the repository root: ``python tests/channels/email/make_corpus.py``.
Each case writes ``corpus/<name>.eml`` and ``corpus/<name>.json``; the JSON
holds the values the parser must produce, written here by hand next to the
message they describe (not computed by the parser).
"""

# Message literals stay on one line so that they read like the mail they build.
# ruff: noqa: E501

from __future__ import annotations

import base64
import binascii
import json
import quopri
import random
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent / "corpus"
CASES: list[tuple[str, bytes, dict[str, object]]] = []

DEFAULTS: dict[str, object] = {
    "is_auto_reply": False,
    "is_bounce": False,
    "is_loop": False,
    "attachments": [],
}


def case(name: str, **expected: object) -> Callable[[Callable[[], bytes]], None]:
    """Register a case: the decorated function returns the raw message."""

    def register(build: Callable[[], bytes]) -> None:
        CASES.append((name, build(), {**DEFAULTS, **expected}))

    return register


# ----------------------------------------------------------------- helpers


def ew(text: str, charset: str = "utf-8", enc: str = "B") -> str:
    """One RFC 2047 encoded word."""
    data = text.encode(charset)
    if enc == "B":
        return f"=?{charset}?B?{base64.b64encode(data).decode()}?="
    q = binascii.b2a_qp(data, header=True).decode().replace("?", "=3F")
    return f"=?{charset}?Q?{q}?="


def b64(data: bytes) -> bytes:
    """Base64 in 76-character lines."""
    return base64.encodebytes(data)


def qp(data: bytes) -> bytes:
    """Quoted-printable."""
    return quopri.encodestring(data)


def msg(headers: list[tuple[str, str | bytes]], body: bytes, crlf: bool = False) -> bytes:
    """Assemble headers and a body (given with \\n line ends)."""
    lines: list[bytes] = []
    for name, value in headers:
        raw = value if isinstance(value, bytes) else value.encode("ascii")
        lines.append(name.encode() + b": " + raw)
    out = b"\n".join(lines) + b"\n\n" + body
    return out.replace(b"\n", b"\r\n") if crlf else out


def part(headers: list[tuple[str, str | bytes]], body: bytes) -> bytes:
    """A MIME body part."""
    return msg(headers, body)


def multipart(boundary: str, parts: list[bytes], preamble: bytes = b"") -> bytes:
    """A multipart body with the closing boundary."""
    out = preamble
    for p in parts:
        out += b"--" + boundary.encode() + b"\n" + p.rstrip(b"\n") + b"\n"
    return out + b"--" + boundary.encode() + b"--\n"


def text_part(
    text: str, charset: str = "utf-8", cte: str = "quoted-printable", **extra: str
) -> bytes:
    """A text/plain part."""
    data = text.encode(charset)
    body = qp(data) if cte == "quoted-printable" else b64(data) if cte == "base64" else data
    params = "".join(f"; {k}={v}" for k, v in extra.items())
    return part(
        [
            ("Content-Type", f'text/plain; charset="{charset}"{params}'),
            ("Content-Transfer-Encoding", cte),
        ],
        body,
    )


def html_part(html: str, charset: str = "utf-8", cte: str = "quoted-printable") -> bytes:
    """A text/html part."""
    data = html.encode(charset)
    body = qp(data) if cte == "quoted-printable" else b64(data) if cte == "base64" else data
    return part(
        [("Content-Type", f'text/html; charset="{charset}"'), ("Content-Transfer-Encoding", cte)],
        body,
    )


def common(
    sender: str,
    to: str,
    subject: str,
    mid: str,
    date: str = "Mon, 2 Nov 2026 10:15:00 +0800",
    in_reply_to: str | None = None,
    references: str | None = None,
) -> list[tuple[str, str | bytes]]:
    """The headers every client sends."""
    h: list[tuple[str, str | bytes]] = [
        ("Return-Path", "<" + sender.split("<")[-1].rstrip(">") + ">"),
        (
            "Received",
            "from mail.client.example (mail.client.example [192.0.2.10])\n\tby mx.example.com with ESMTPS id 4ABCD123;\n\tMon, 2 Nov 2026 02:15:01 +0000",
        ),
        ("From", sender),
        ("To", to),
        ("Subject", subject),
        ("Date", date),
        ("Message-ID", mid),
    ]
    if in_reply_to:
        h.append(("In-Reply-To", in_reply_to))
    if references:
        h.append(("References", references))
    h.append(("MIME-Version", "1.0"))
    return h


SUPPORT = "Support <support@example.com>"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" * 20


# ----------------------------------------------------------------- replies


@case(
    "gmail_en_reply",
    subject="Re: [#1042] Where is my order?",
    sender=["Alice Chen", "alice.chen@gmail.com"],
    to=["support@example.com"],
    message_id="CAH+w=7Yx1QbB3@mail.gmail.com",
    in_reply_to="01J9ZKQ8.t1042@example.com",
    references=["CAH+w=7Ya0@mail.gmail.com", "01J9ZKQ8.t1042@example.com"],
    date="2026-11-02T10:15:00+08:00",
    ticket_number=1042,
    has_html=True,
    text_contains=["“in transit”", "> your order shipped."],
    reply_text="Hi, it still hasn't arrived. Tracking says “in transit”.\n\nAlice",
    should_open_ticket=True,
    may_auto_reply=True,
)
def _() -> bytes:
    text = (
        "Hi, it still hasn't arrived. Tracking says “in transit”.\n\nAlice\n\n"
        "On Mon, Nov 2, 2026 at 9:00 AM Support <support@example.com> wrote:\n\n"
        "> Hello Alice,\n> your order shipped.\n>\n"
    )
    html = (
        '<div dir="ltr">Hi, it still hasn\'t arrived. Tracking says “in transit”.<div><br></div>'
        '<div>Alice</div></div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
        'On Mon, Nov 2, 2026 at 9:00 AM Support &lt;<a href="mailto:support@example.com">'
        'support@example.com</a>&gt; wrote:<br></div><blockquote class="gmail_quote">'
        "Hello Alice,<br>your order shipped.</blockquote></div>\n"
    )
    b = "000000000000a1b2c3d4e5f60718"
    h = common(
        "Alice Chen <alice.chen@gmail.com>",
        SUPPORT,
        "Re: [#1042] Where is my order?",
        "<CAH+w=7Yx1QbB3@mail.gmail.com>",
        in_reply_to="<01J9ZKQ8.t1042@example.com>",
        references="<CAH+w=7Ya0@mail.gmail.com> <01J9ZKQ8.t1042@example.com>",
    )
    h.append(("Content-Type", f'multipart/alternative; boundary="{b}"'))
    return msg(h, multipart(b, [text_part(text), html_part(html)]), crlf=True)


@case(
    "gmail_wrapped_wrote",
    subject="Re: Password reset",
    sender=["Bob Stone", "bob@example.org"],
    reply_text="Thanks, that worked.",
    text_contains=["> Click the link below."],
)
def _() -> bytes:
    text = (
        "Thanks, that worked.\n\n"
        "On Mon, Nov 2, 2026 at 9:00 AM Helpdesk Customer Support Team <\n"
        "support@example.com> wrote:\n\n> Click the link below.\n"
    )
    h = common(
        "Bob Stone <bob@example.org>", SUPPORT, "Re: Password reset", "<CAB1@mail.gmail.com>"
    )
    h += [("Content-Type", "text/plain; charset=UTF-8"), ("Content-Transfer-Encoding", "7bit")]
    return msg(h, text.encode())


@case(
    "gmail_zh_reply",
    subject="回复：[#2001] 发票抬头",
    sender=["李雷", "lilei@gmail.com"],
    ticket_number=2001,
    in_reply_to="01JA00.t2001@example.com",
    has_html=True,
    text_contains=["上海某某科技有限公司"],
    reply_text="好的，发票抬头改成“上海某某科技有限公司”。\n\n谢谢！",
)
def _() -> bytes:
    text = (
        "好的，发票抬头改成“上海某某科技有限公司”。\n\n谢谢！\n\n"
        "客服中心 <support@example.com> 于2026年11月2日周一 09:00写道：\n\n"
        "> 您好，请提供发票抬头。\n"
    )
    html = (
        '<div dir="ltr">好的，发票抬头改成“上海某某科技有限公司”。<div><br></div><div>谢谢！</div></div>'
        '<br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">客服中心 &lt;'
        "support@example.com&gt; 于2026年11月2日周一 09:00写道：<br></div>"
        "<blockquote>您好，请提供发票抬头。</blockquote></div>"
    )
    b = "0000000000007f3e2d1c"
    h = common(
        f"{ew('李雷')} <lilei@gmail.com>",
        f"{ew('客服中心')} <support@example.com>",
        ew("回复：[#2001] 发票抬头"),
        "<CAK9zh@mail.gmail.com>",
        in_reply_to="<01JA00.t2001@example.com>",
        references="<01JA00.t2001@example.com>",
    )
    h.append(("Content-Type", f'multipart/alternative; boundary="{b}"'))
    return msg(h, multipart(b, [text_part(text, cte="base64"), html_part(html, cte="base64")]))


@case(
    "iphone_zh_reply",
    subject="Re: [#2002] 退货",
    sender=["韩梅梅", "hanmeimei@icloud.com"],
    ticket_number=2002,
    reply_text="收到，谢谢。明天寄回。",
    text_contains=["发自我的iPhone"],
)
def _() -> bytes:
    text = (
        "收到，谢谢。明天寄回。\n\n发自我的iPhone\n\n"
        "> 在 2026年11月2日，09:00，客服中心 <support@example.com> 写道：\n>\n> 请寄回商品。\n"
    )
    h = common(
        f"{ew('韩梅梅')} <hanmeimei@icloud.com>",
        SUPPORT,
        "Re: [#2002] " + ew("退货"),
        "<9C1F-4A@icloud.com>",
    )
    h += [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Transfer-Encoding", "quoted-printable"),
        ("X-Mailer", "iPhone Mail (22A3354)"),
    ]
    return msg(h, qp(text.encode()))


@case(
    "apple_mail_en",
    subject="Re: Delivery slot",
    sender=["Bob Marley", "bob@mac.example"],
    has_html=True,
    reply_text="Sure, Tuesday works.\n\nBob",
)
def _() -> bytes:
    text = (
        "Sure, Tuesday works.\n\nBob\n\n"
        "> On 2 Nov 2026, at 09:00, Support <support@example.com> wrote:\n>\n"
        "> Which day suits you?\n"
    )
    html = (
        '<html><body dir="auto">Sure, Tuesday works.<div><br></div><div>Bob<br><div><br>'
        '<blockquote type="cite"><div>On 2 Nov 2026, at 09:00, Support &lt;support@example.com&gt; wrote:'
        "</div><br><div>Which day suits you?</div></blockquote></div></div></body></html>"
    )
    b = "Apple-Mail=_5E3A2B1C-0D9E-4F8A-B7C6-112233445566"
    h = common(
        "Bob Marley <bob@mac.example>", SUPPORT, "Re: Delivery slot", "<5E3A2B1C-0D9E@mac.example>"
    )
    h += [
        ("Content-Type", f'multipart/alternative;\n\tboundary="{b}"'),
        ("X-Mailer", "Apple Mail (2.3776)"),
    ]
    return msg(h, multipart(b, [text_part(text, "us-ascii", "7bit"), html_part(html)]))


@case(
    "iphone_en",
    subject="Re: [#1043] Refund",
    sender=["Dan", "dan@example.net"],
    reply_text="Ok thanks",
    ticket_number=1043,
)
def _() -> bytes:
    text = (
        "Ok thanks\n\nSent from my iPhone\n\n"
        "> On Nov 2, 2026, at 09:00, Support <support@example.com> wrote:\n>\n> Refund issued.\n"
    )
    h = common("Dan <dan@example.net>", SUPPORT, "Re: [#1043] Refund", "<A1B2@example.net>")
    h += [("Content-Type", "text/plain; charset=us-ascii"), ("Content-Transfer-Encoding", "7bit")]
    return msg(h, text.encode())


@case(
    "outlook_original_message",
    subject="RE: [#1050] Refund",
    sender=["Carol White", "carol@contoso.com"],
    ticket_number=1050,
    reply_text="I’d like a refund, not a voucher.\n\nRegards,\nCarol",
    text_contains=["-----Original Message-----", "Hello Carol"],
)
def _() -> bytes:
    text = (
        "I’d like a refund, not a voucher.\r\n\r\nRegards,\r\nCarol\r\n\r\n"
        "-----Original Message-----\r\nFrom: Support [mailto:support@example.com] \r\n"
        "Sent: Monday, November 2, 2026 9:00 AM\r\nTo: Carol White <carol@contoso.com>\r\n"
        "Subject: [#1050] Refund\r\n\r\nHello Carol,\r\nwe can offer a voucher.\r\n"
    )
    h = common(
        '"Carol White" <carol@contoso.com>',
        SUPPORT,
        "RE: [#1050] Refund",
        "<000001d9aa11$2b3c4d50$81b6e7f0$@contoso.com>",
    )
    h += [
        ("Thread-Topic", "[#1050] Refund"),
        ("Thread-Index", "AQHZqhEr3A=="),
        ("X-Mailer", "Microsoft Outlook 14.0"),
        ("Content-Type", 'text/plain;\n\tcharset="windows-1252"'),
        ("Content-Transfer-Encoding", "quoted-printable"),
    ]
    return msg(h, qp(text.encode("cp1252")))


@case(
    "outlook_from_sent_block",
    subject="RE: [#1051] Callback",
    sender=["Dave Lee", "dave@contoso.com"],
    ticket_number=1051,
    has_html=True,
    reply_text="Please call me after 3 pm.\n\nDave",
)
def _() -> bytes:
    text = (
        "Please call me after 3 pm.\n\nDave\n\n________________________________\n"
        "From: Support <support@example.com>\nSent: Monday, November 2, 2026 9:00:00 AM\n"
        "To: Dave Lee <dave@contoso.com>\nSubject: [#1051] Callback\n\nWhen can we call?\n"
    )
    html = (
        "<html><head><style>p.MsoNormal{margin:0}</style></head><body><div>"
        "<p class=MsoNormal>Please call me after 3 pm.</p><p class=MsoNormal>Dave</p>"
        '<div id="divRplyFwdMsg"><hr><b>From:</b> Support &lt;support@example.com&gt;<br>'
        "<b>Sent:</b> Monday, November 2, 2026 9:00:00 AM<br><b>To:</b> Dave Lee<br>"
        "<b>Subject:</b> [#1051] Callback</div><div>When can we call?</div></div></body></html>"
    )
    b = "_000_DB7PR01MB1234ABCDEFGHIJ_"
    h = common(
        "Dave Lee <dave@contoso.com>",
        SUPPORT,
        "RE: [#1051] Callback",
        "<DB7PR01MB1234@DB7PR01MB1234.eurprd01.prod.outlook.com>",
    )
    h += [
        ("Thread-Index", "AQHZ"),
        ("Content-Language", "en-US"),
        ("Content-Type", f'multipart/alternative;\n\tboundary="{b}"'),
    ]
    return msg(h, multipart(b, [text_part(text), html_part(html)]))


@case(
    "outlook_zh_gb2312",
    subject="答复: [#1060] 退款进度",
    sender=["王喆", "wangzhe@contoso.cn"],
    ticket_number=1060,
    has_html=True,
    reply_text="已经收到退款，谢谢！\n\n王喆",
    text_contains=["退款已处理"],
    no_defects=True,
)
def _() -> bytes:
    # 喆 is in GBK but not GB2312: Outlook labels such text gb2312 all the same.
    text = (
        "已经收到退款，谢谢！\r\n\r\n王喆\r\n\r\n发件人: 客服中心 <support@example.com>\r\n"
        "发送时间: 2026年11月2日 9:00\r\n收件人: 王喆 <wangzhe@contoso.cn>\r\n"
        "主题: [#1060] 退款进度\r\n\r\n您好，退款已处理。\r\n"
    )
    html = "<html><body><p>已经收到退款，谢谢！</p><p>王喆</p><hr><p><b>发件人:</b> 客服中心</p></body></html>"
    b = "_000_HK0PR01MB2222_"

    def gb(s: str) -> str:
        return f"=?gb2312?B?{base64.b64encode(s.encode('gb18030')).decode()}?="

    h = common(
        f'"{gb("王喆")}" <wangzhe@contoso.cn>',
        SUPPORT,
        gb("答复: [#1060] 退款进度"),
        "<HK0PR01MB2222@HK0PR01MB2222.apcprd01.prod.outlook.com>",
    )
    h.append(("Content-Type", f'multipart/alternative;\n\tboundary="{b}"'))
    parts = [
        part(
            [
                ("Content-Type", 'text/plain; charset="gb2312"'),
                ("Content-Transfer-Encoding", "base64"),
            ],
            b64(text.encode("gb18030")),
        ),
        part(
            [
                ("Content-Type", 'text/html; charset="gb2312"'),
                ("Content-Transfer-Encoding", "base64"),
            ],
            b64(html.encode("gb18030")),
        ),
    ]
    return msg(h, multipart(b, parts))


@case(
    "outlook_zh_mail_original",
    subject="答复: 订单问题 [#1061]",
    sender=["赵强", "zhaoqiang@example.cn"],
    ticket_number=1061,
    reply_text="请尽快处理。",
)
def _() -> bytes:
    text = (
        "请尽快处理。\n\n-----邮件原件-----\n发件人: 客服中心 [mailto:support@example.com] \n"
        "发送时间: 2026年11月2日 9:00\n收件人: 赵强\n主题: 订单问题 [#1061]\n\n您好\n"
    )
    h = common(
        f"{ew('赵强', 'gbk')} <zhaoqiang@example.cn>",
        SUPPORT,
        ew("答复: 订单问题 [#1061]", "gbk"),
        "<002201d9$aa$bb@example.cn>",
    )
    h += [
        ("Content-Type", "text/plain; charset=gbk"),
        ("Content-Transfer-Encoding", "quoted-printable"),
    ]
    return msg(h, qp(text.encode("gbk")))


def _foxmail_text() -> str:
    return (
        "好的，我等快递。\n\n\n\n------------------ 原始邮件 ------------------\n"
        '发件人: "客服中心"<support@example.com>;\n发送时间: 2026年11月2日(星期一) 上午9:00\n'
        '收件人: "小明"<12345678@qq.com>;\n主题: [#1070] 物流查询\n\n您好，快递已发出。\n'
    )


@case(
    "foxmail_qq_reply",
    subject="回复：[#1070] 物流查询",
    sender=["小明", "12345678@qq.com"],
    ticket_number=1070,
    has_html=True,
    reply_text="好的，我等快递。",
)
def _() -> bytes:
    html = (
        "<div>好的，我等快递。</div><div><br></div><div><br></div>"
        '<div style="font-size: 12px;font-family: Arial Narrow;padding:2px 0 2px 0;">'
        "------------------&nbsp;原始邮件&nbsp;------------------</div>"
        '<div><b>发件人:</b>&nbsp;"客服中心"&lt;support@example.com&gt;;<br></div>'
    )
    b = "----=_NextPart_6543210_0A1B_2C3D4E5F"
    h = common(
        f'"{ew("小明", "gb18030")}" <12345678@qq.com>',
        SUPPORT,
        ew("回复：[#1070] 物流查询", "gb18030"),
        "<tencent_ABCDEF0123456789@qq.com>",
    )
    h += [
        ("X-QQ-MID", "bizesmtp123t456"),
        ("X-Mailer", "Foxmail 7.2.25.375[cn]"),
        ("Content-Type", f'multipart/alternative;\n\tboundary="{b}"'),
    ]
    parts = [
        part(
            [
                ("Content-Type", 'text/plain;\n\tcharset="gb18030"'),
                ("Content-Transfer-Encoding", "base64"),
            ],
            b64(_foxmail_text().encode("gb18030")),
        ),
        part(
            [
                ("Content-Type", 'text/html;\n\tcharset="gb18030"'),
                ("Content-Transfer-Encoding", "base64"),
            ],
            b64(html.encode("gb18030")),
        ),
    ]
    return msg(h, multipart(b, parts, b"This is a multi-part message in MIME format.\n\n"))


@case(
    "qq_html_only",
    subject="回复：[#1071] 发货时间",
    sender=["", "87654321@qq.com"],
    ticket_number=1071,
    has_html=True,
    text_contains=["原始邮件"],
    reply_text="没问题，周五前发货就行。",
)
def _() -> bytes:
    html = (
        '<meta http-equiv="Content-Type" content="text/html; charset=GB18030">'
        "<div>没问题，周五前发货就行。</div><div><br></div>"
        "<div><div>------------------&nbsp;原始邮件&nbsp;------------------</div>"
        "<div><b>发件人:</b>&nbsp;&quot;客服中心&quot;&lt;support@example.com&gt;;</div>"
        "<div><b>发送时间:</b>&nbsp;2026年11月2日(星期一) 上午9:00</div></div>"
    )
    h = common(
        "<87654321@qq.com>",
        SUPPORT,
        ew("回复：[#1071] 发货时间", "gb18030"),
        "<tencent_00FF@qq.com>",
    )
    h += [
        ("Content-Type", 'text/html;\n\tcharset="gb18030"'),
        ("Content-Transfer-Encoding", "base64"),
    ]
    return msg(h, b64(html.encode("gb18030")))


@case(
    "thunderbird_flowed_bottom_post",
    subject="Re: Replacement part",
    sender=["Erik Larsson", "erik@acme.example"],
    reply_text="Yes, the replacement part fits perfectly and the machine runs again.",
    text_contains=["Erik Larsson\nACME AB"],
)
def _() -> bytes:
    text = (
        "On 11/2/26 9:00 AM, Support wrote:\n> Does the part fit?\n\n"
        "Yes, the replacement part fits perfectly and the \nmachine runs again.\n\n"
        "-- \nErik Larsson\nACME AB\n"
    )
    h = common(
        "Erik Larsson <erik@acme.example>",
        SUPPORT,
        "Re: Replacement part",
        "<f1e2d3c4-b5a6@acme.example>",
    )
    h += [
        ("User-Agent", "Mozilla Thunderbird"),
        ("Content-Type", "text/plain; charset=UTF-8; format=flowed"),
        ("Content-Transfer-Encoding", "7bit"),
    ]
    return msg(h, text.encode())


@case(
    "android_outlook",
    subject="RE: [#1044] Cancel order",
    sender=["Eve", "eve@outlook.example"],
    ticket_number=1044,
    reply_text="Yes please cancel it.",
)
def _() -> bytes:
    text = (
        "Yes please cancel it.\n\nGet Outlook for Android<https://aka.ms/AAb9ysg>\n"
        "________________________________\nFrom: Support <support@example.com>\n"
        "Sent: Monday, November 2, 2026 9:00:00 AM\nTo: Eve <eve@outlook.example>\n"
        "Subject: [#1044] Cancel order\n\nShall we cancel?\n"
    )
    h = common(
        "Eve <eve@outlook.example>", SUPPORT, "RE: [#1044] Cancel order", "<AM0P@outlook.example>"
    )
    h += [("Content-Type", 'text/plain; charset="utf-8"'), ("Content-Transfer-Encoding", "base64")]
    return msg(h, b64(text.encode()))


@case(
    "new_with_signature",
    subject="Cannot log in",
    sender=["John Smith", "John.Smith@example.com"],  # the domain is lowercased, not the local part
    to=["support@example.com"],
    cc=["manager@example.com"],
    reply_text="Hello,\n\nI can't log in to my account since this morning.",
    should_open_ticket=True,
    may_auto_reply=True,
)
def _() -> bytes:
    text = (
        "Hello,\n\nI can't log in to my account since this morning.\n\n"
        "-- \nJohn Smith\nSales Manager, Example Ltd\n"
    )
    h = common(
        "John Smith <John.Smith@EXAMPLE.com>", SUPPORT, "Cannot log in", "<new1@example.com>"
    )
    h.insert(4, ("Cc", "manager@example.com"))
    h += [("Content-Type", "text/plain; charset=us-ascii")]
    return msg(h, text.encode())


@case(
    "new_with_ticket_reply_to",
    subject="[#1042] Follow-up",
    sender=["Shop Bot", "orders@shop.example"],
    reply_to=["buyer@example.net"],
    ticket_number=1042,
    reply_text="The buyer asked to follow up on this ticket.",
    may_auto_reply=True,
)
def _() -> bytes:
    h = common("Shop Bot <orders@shop.example>", SUPPORT, "[#1042] Follow-up", "<fu1@shop.example>")
    h += [("Reply-To", "Buyer <buyer@example.net>"), ("Content-Type", "text/plain")]
    return msg(h, b"The buyer asked to follow up on this ticket.\n")


@case(
    "html_only_gmail",
    subject="Re: New password",
    sender=["Tom", "tom@example.com"],
    has_html=True,
    text_contains=["> Please reset your password."],
    reply_text="Thanks! The new password works.\n\nBest,\nTom",
)
def _() -> bytes:
    html = (
        '<div dir="ltr">Thanks! The <b>new</b> password works.<br><br>Best,<br>Tom</div><br>'
        '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, Nov 2, 2026 at 9:00 AM '
        'Support &lt;<a href="mailto:support@example.com">support@example.com</a>&gt; wrote:<br></div>'
        '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">'
        "<div>Please reset your password.</div></blockquote></div>\n"
    )
    h = common("Tom <tom@example.com>", SUPPORT, "Re: New password", "<CAH2@mail.gmail.com>")
    h += [
        ("Content-Type", 'text/html; charset="UTF-8"'),
        ("Content-Transfer-Encoding", "quoted-printable"),
    ]
    return msg(h, qp(html.encode()))


@case(
    "html_newsletter",
    subject="Your order summary",
    sender=["Shop", "noreply@shop.example"],
    has_html=True,
    is_list=True,
    text_contains=[
        "Order summary",
        "- Blue mug × 2",
        "1. Pay",
        "Total: ¥120 & free shipping",
        "Track it <https://shop.example/track?id=1&x=2>",
    ],
    text_not_contains=["var tracking", "color:"],
    should_open_ticket=True,
    may_auto_reply=False,
)
def _() -> bytes:
    html = (
        "<!DOCTYPE html><html><head><title>Summary</title><style>td{color:red}</style>"
        "<script>var tracking = 1;</script></head><body><h1>Order summary</h1>"
        "<ul><li>Blue mug &times; 2</li><li>Red plate</li></ul><ol><li>Pay</li><li>Wait</li></ol>"
        "<table><tr><td>Item</td><td>Price</td></tr><tr><td>Mug</td><td>&yen;60</td></tr></table>"
        "<p>Total: &#165;120 &amp; free shipping</p>"
        '<p><a href="https://shop.example/track?id=1&amp;x=2">Track it</a></p></body></html>'
    )
    h = common(
        "Shop <noreply@shop.example>",
        "buyer@example.net",
        "Your order summary",
        "<n1@shop.example>",
    )
    h += [
        ("List-Unsubscribe", "<https://shop.example/unsub>"),
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Transfer-Encoding", "base64"),
    ]
    return msg(h, b64(html.encode()))


# ----------------------------------------------------------------- attachments


@case(
    "attachments_rfc2231",
    subject="Invoice and contract",
    sender=["Frank", "frank@example.com"],
    reply_text="Attached are the invoice and the contract.",
    attachments=[
        {
            "filename": "发票-2026年11月.pdf",
            "content_type": "application/pdf",
            "size": len(PDF),
            "inline": False,
        },
        {
            "filename": "合同 final.docx",
            "content_type": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "size": 300,
            "inline": False,
        },
        {"filename": "notes.txt", "content_type": "text/plain", "size": 11, "inline": False},
        {
            "filename": "Ümläut résumé.pdf",
            "content_type": "application/pdf",
            "size": 5,
            "inline": False,
        },
    ],
)
def _() -> bytes:
    b = "----=_Part_123_456.789"
    name = "发票-2026年11月.pdf".encode()
    pct = "".join(f"%{c:02X}" for c in name)
    h = common("Frank <frank@example.com>", SUPPORT, "Invoice and contract", "<att1@example.com>")
    h.append(("Content-Type", f'multipart/mixed; boundary="{b}"'))
    parts = [
        text_part("Attached are the invoice and the contract.\n", "us-ascii", "7bit"),
        part(
            [
                ("Content-Type", "application/pdf"),
                ("Content-Transfer-Encoding", "base64"),
                (
                    "Content-Disposition",
                    f"attachment;\n filename*0*=utf-8''{pct[:30]};\n filename*1*={pct[30:60]};\n filename*2*={pct[60:]}",
                ),
            ],
            b64(PDF),
        ),
        part(
            [
                (
                    "Content-Type",
                    f'application/vnd.openxmlformats-officedocument.wordprocessingml.document;\n name="{ew("合同 final.docx")}"',
                ),
                ("Content-Transfer-Encoding", "base64"),
                ("Content-Disposition", f'attachment; filename="{ew("合同 final.docx")}"'),
            ],
            b64(bytes(range(256)) + bytes(44)),
        ),
        part(
            [
                ("Content-Type", "text/plain; charset=us-ascii; name=notes.txt"),
                ("Content-Disposition", "attachment; filename=notes.txt"),
            ],
            b"hello notes",
        ),
        part(
            [
                ("Content-Type", "application/pdf"),
                ("Content-Transfer-Encoding", "base64"),
                (
                    "Content-Disposition",
                    "attachment; filename*=iso-8859-1'de'%DCml%E4ut%20r%E9sum%E9.pdf",
                ),
            ],
            b64(b"%PDF-"),
        ),
    ]
    return msg(h, multipart(b, parts))


@case(
    "inline_image_cid",
    subject="Screenshot of the error",
    sender=["Grace", "grace@contoso.com"],
    has_html=True,
    reply_text="The error is in the screenshot below.",
    attachments=[
        {
            "filename": "image001.png",
            "content_type": "image/png",
            "size": len(PNG),
            "inline": True,
            "content_id": "image001.png@01DB2C3D.4E5F6070",
        }
    ],
)
def _() -> bytes:
    outer, rel = "_004_related_", "_000_alt_"
    html = (
        "<html><body><p>The error is in the screenshot below.</p>"
        '<p><img width=1 height=1 src="cid:image001.png@01DB2C3D.4E5F6070"></p></body></html>'
    )
    alt = multipart(
        rel,
        [
            text_part(
                "The error is in the screenshot below.\n\n[cid:image001.png@01DB2C3D.4E5F6070]\n".replace(
                    "\n\n[cid:image001.png@01DB2C3D.4E5F6070]", ""
                )
            ),
            html_part(html),
        ],
    )
    h = common(
        "Grace <grace@contoso.com>", SUPPORT, "Screenshot of the error", "<img1@contoso.com>"
    )
    h.append(
        (
            "Content-Type",
            f'multipart/related;\n\tboundary="{outer}";\n\ttype="multipart/alternative"',
        )
    )
    parts = [
        part([("Content-Type", f'multipart/alternative;\n\tboundary="{rel}"')], alt),
        part(
            [
                ("Content-Type", 'image/png; name="image001.png"'),
                ("Content-Description", "image001.png"),
                ("Content-ID", "<image001.png@01DB2C3D.4E5F6070>"),
                ("Content-Transfer-Encoding", "base64"),
            ],
            b64(PNG),
        ),
    ]
    return msg(h, multipart(outer, parts))


@case(
    "apple_mixed_inline",
    subject="Broken item",
    sender=["Hana", "hana@mac.example"],
    text_contains=["Here is the damage:", "And the box:"],
    reply_text="Here is the damage:\nAnd the box:",
    attachments=[
        {"filename": "IMG_0001.jpg", "content_type": "image/jpeg", "size": 10, "inline": True}
    ],
)
def _() -> bytes:
    b = "Apple-Mail=_AA11"
    h = common("Hana <hana@mac.example>", SUPPORT, "Broken item", "<AA11@mac.example>")
    h.append(("Content-Type", f'multipart/mixed;\n\tboundary="{b}"'))
    parts = [
        text_part("Here is the damage:", "us-ascii", "7bit"),
        part(
            [
                ("Content-Disposition", "inline;\n\tfilename=IMG_0001.jpg"),
                ("Content-Type", 'image/jpeg;\n\tx-unix-mode=0644;\n\tname="IMG_0001.jpg"'),
                ("Content-Transfer-Encoding", "base64"),
            ],
            b64(b"\xff\xd8\xff\xe0JFIF\x00\x01"),
        ),
        text_part("And the box:", "us-ascii", "7bit"),
    ]
    return msg(h, multipart(b, parts))


@case(
    "forwarded_rfc822",
    subject="FW: Order confirmation A123",
    sender=["Ivan", "ivan@example.com"],
    reply_text="Please see the forwarded confirmation.",
    attachments=[
        {"filename": "attachment-1.eml", "content_type": "message/rfc822", "inline": False}
    ],
    attachment_contains=[[0, "Subject: Order confirmation A123"]],
)
def _() -> bytes:
    b = "fwd-boundary"
    inner = (
        b"From: Shop <orders@shop.example>\nTo: ivan@example.com\nSubject: Order confirmation A123\n"
        b"Date: Sun, 1 Nov 2026 12:00:00 +0000\nMessage-ID: <a123@shop.example>\n"
        b"Content-Type: text/plain; charset=utf-8\n\nThank you for your order A123.\n"
    )
    h = common(
        "Ivan <ivan@example.com>", SUPPORT, "FW: Order confirmation A123", "<fw1@example.com>"
    )
    h.append(("Content-Type", f'multipart/mixed; boundary="{b}"'))
    parts = [
        text_part("Please see the forwarded confirmation.\n", "us-ascii", "7bit"),
        part([("Content-Type", "message/rfc822")], inner),
    ]
    return msg(h, multipart(b, parts))


@case(
    "gmail_forward_inline",
    subject="Fwd: Your order A124",
    sender=["Judy", "judy@gmail.com"],
    reply_text="Can you check this order?",
    text_contains=["---------- Forwarded message ---------", "order A124 has shipped"],
)
def _() -> bytes:
    text = (
        "Can you check this order?\n\n---------- Forwarded message ---------\n"
        "From: Shop <orders@shop.example>\nDate: Sun, Nov 1, 2026 at 8:00 PM\n"
        "Subject: Your order A124\nTo: <judy@gmail.com>\n\nYour order A124 has shipped.\n"
    )
    h = common("Judy <judy@gmail.com>", SUPPORT, "Fwd: Your order A124", "<CAF1@mail.gmail.com>")
    h += [("Content-Type", 'text/plain; charset="UTF-8"')]
    return msg(h, text.encode())


# ----------------------------------------------------------------- bounces and auto-replies


def _dsn(
    sender: str,
    subject: str,
    mid: str,
    blocks: list[str],
    human: str,
    extra: list[tuple[str, str | bytes]] | None = None,
) -> bytes:
    b = "4A1B2C3D4E.1762050000/mx.example.com"
    h: list[tuple[str, str | bytes]] = [
        ("Return-Path", "<>"),
        (
            "Received",
            "by mx.example.com (Postfix) id 4A1B2C3D4E; Mon,  2 Nov 2026 02:20:00 +0000 (UTC)",
        ),
        ("Date", "Mon,  2 Nov 2026 02:20:00 +0000 (UTC)"),
        ("From", sender),
        ("Subject", subject),
        ("To", "support@example.com"),
        ("Auto-Submitted", "auto-replied"),
        ("MIME-Version", "1.0"),
        ("Content-Type", f'multipart/report; report-type=delivery-status;\n\tboundary="{b}"'),
        ("Message-Id", mid),
    ]
    h += extra or []
    status = (
        "Reporting-MTA: dns; mx.example.com\nArrival-Date: Mon,  2 Nov 2026 02:19:58 +0000 (UTC)\n\n"
        + "\n".join(blocks)
    )
    original = (
        b"Return-Path: <support@example.com>\nFrom: Support <support@example.com>\n"
        b"To: nobody@nowhere.example\nSubject: Re: [#1042] Where is my order?\n"
        b"Message-ID: <01J9ZKQ9.t1042@example.com>\n"
    )
    parts = [
        part(
            [
                ("Content-Description", "Notification"),
                ("Content-Type", "text/plain; charset=us-ascii"),
            ],
            human.encode(),
        ),
        part(
            [
                ("Content-Description", "Delivery report"),
                ("Content-Type", "message/delivery-status"),
            ],
            status.encode(),
        ),
        part(
            [
                ("Content-Description", "Undelivered Message Headers"),
                ("Content-Type", "text/rfc822-headers"),
            ],
            original,
        ),
    ]
    return msg(h, multipart(b, parts, b"This is a MIME-encapsulated message.\n\n"))


@case(
    "dsn_postfix_failed",
    subject="Undelivered Mail Returned to Sender",
    sender=["Mail Delivery System", "MAILER-DAEMON@mx.example.com"],
    is_bounce=True,
    is_auto_reply=True,
    bounce_recipients=["nobody@nowhere.example"],
    text_contains=["could not be delivered"],
    attachments=[
        {
            "filename": "attachment-1.txt",
            "content_type": "message/delivery-status",
            "inline": False,
        },
        {"filename": "attachment-2.txt", "content_type": "text/rfc822-headers", "inline": False},
    ],
    should_open_ticket=False,
    may_auto_reply=False,
)
def _() -> bytes:
    return _dsn(
        "MAILER-DAEMON@mx.example.com (Mail Delivery System)",
        "Undelivered Mail Returned to Sender",
        "<20261102022000.4A1B2C3D4E@mx.example.com>",
        [
            "Final-Recipient: rfc822; nobody@nowhere.example\nOriginal-Recipient: rfc822;nobody@nowhere.example\n"
            "Action: failed\nStatus: 5.1.1\nRemote-MTA: dns; mx.nowhere.example\n"
            "Diagnostic-Code: smtp; 550 5.1.1 <nobody@nowhere.example>: Recipient address rejected\n"
        ],
        "This is the mail system at host mx.example.com.\n\nI'm sorry to have to inform you that your "
        "message could not be delivered to one or more recipients.\n",
    )


@case(
    "dsn_exchange_two_recipients",
    subject="Undeliverable: Re: [#1042] Where is my order?",
    sender=["", "postmaster@contoso.com"],
    is_bounce=True,
    is_auto_reply=True,
    ticket_number=1042,
    bounce_recipients=["left@contoso.com"],
    attachments=[
        {
            "filename": "attachment-1.txt",
            "content_type": "message/delivery-status",
            "inline": False,
        },
        {"filename": "attachment-2.txt", "content_type": "text/rfc822-headers", "inline": False},
    ],
    should_open_ticket=False,
)
def _() -> bytes:
    return _dsn(
        "postmaster@contoso.com",
        "Undeliverable: Re: [#1042] Where is my order?",
        "<ndr1@contoso.com>",
        [
            "Final-recipient: RFC822; left@contoso.com\nAction: failed\nStatus: 5.1.10\n",
            "Final-recipient: RFC822; stays@contoso.com\nAction: delivered\nStatus: 2.0.0\n",
        ],
        "Delivery has failed to these recipients or groups:\n\nleft@contoso.com\n",
    )


@case(
    "dsn_delayed",
    subject="Delayed Mail (still being retried)",
    sender=["Mail Delivery System", "MAILER-DAEMON@mx.example.com"],
    is_bounce=False,
    is_auto_reply=True,
    bounce_recipients=[],
    attachments=[
        {
            "filename": "attachment-1.txt",
            "content_type": "message/delivery-status",
            "inline": False,
        },
        {"filename": "attachment-2.txt", "content_type": "text/rfc822-headers", "inline": False},
    ],
    should_open_ticket=False,
    may_auto_reply=False,
)
def _() -> bytes:
    return _dsn(
        "MAILER-DAEMON@mx.example.com (Mail Delivery System)",
        "Delayed Mail (still being retried)",
        "<delay1@mx.example.com>",
        [
            "Final-Recipient: rfc822; slow@far.example\nAction: delayed\nStatus: 4.4.1\n"
            "Will-Retry-Until: Fri, 6 Nov 2026 02:19:58 +0000 (UTC)\n"
        ],
        "This is the mail system at host mx.example.com.\n\n####### THIS IS A WARNING ONLY.  "
        "YOU DO NOT NEED TO RESEND YOUR MESSAGE. #######\n",
    )


@case(
    "bounce_qmail",
    subject="failure notice",
    sender=["", "MAILER-DAEMON@mx.example.net"],
    is_bounce=True,
    text_contains=["qmail-send program"],
    should_open_ticket=False,
    may_auto_reply=False,
)
def _() -> bytes:
    h: list[tuple[str, str | bytes]] = [
        ("Return-Path", "<>"),
        ("Date", "2 Nov 2026 02:20:00 -0000"),
        ("From", "MAILER-DAEMON@mx.example.net"),
        ("To", "support@example.com"),
        ("Subject", "failure notice"),
    ]
    body = (
        b"Hi. This is the qmail-send program at mx.example.net.\n"
        b"I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        b"This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        b"<gone@example.net>:\nSorry, no mailbox here by that name. (#5.1.1)\n"
    )
    return msg(h, body)


@case(
    "bounce_exim",
    subject="Mail delivery failed: returning message to sender",
    sender=["Mail Delivery System", "Mailer-Daemon@mx.example.org"],
    is_bounce=True,
    is_auto_reply=True,
    bounce_recipients=["gone@example.org"],
    should_open_ticket=False,
)
def _() -> bytes:
    h: list[tuple[str, str | bytes]] = [
        ("Return-path", "<>"),
        ("X-Failed-Recipients", "gone@example.org"),
        ("Auto-Submitted", "auto-replied"),
        ("From", "Mail Delivery System <Mailer-Daemon@mx.example.org>"),
        ("To", "support@example.com"),
        ("Subject", "Mail delivery failed: returning message to sender"),
        ("Message-Id", "<E1vAAAA-0001@mx.example.org>"),
        ("Date", "Mon, 02 Nov 2026 02:20:00 +0000"),
    ]
    return msg(
        h,
        b"This message was created automatically by mail delivery software.\n\n"
        b"A message that you sent could not be delivered to one or more of its\n"
        b"recipients. This is a permanent error. The following address(es) failed:\n\n"
        b"  gone@example.org\n    No such user here\n",
    )


@case(
    "bounce_163_zh",
    subject="系统退信",
    sender=["", "postmaster@163.com"],
    is_bounce=True,
    text_contains=["收件人地址不存在"],
    should_open_ticket=False,
)
def _() -> bytes:
    h: list[tuple[str, str | bytes]] = [
        ("Return-Path", "<>"),
        ("From", "postmaster@163.com"),
        ("To", "support@example.com"),
        ("Subject", ew("系统退信", "gbk")),
        ("Date", "Mon, 2 Nov 2026 10:20:00 +0800 (CST)"),
        ("Content-Type", "text/plain; charset=GBK"),
        ("Content-Transfer-Encoding", "base64"),
    ]
    return msg(h, b64("您发送的邮件未能送达：收件人地址不存在。\n".encode("gbk")))


@case(
    "auto_reply_outlook_oof",
    subject="Automatic reply: [#1042] Where is my order?",
    sender=["Alice Chen", "alice.chen@contoso.com"],
    is_auto_reply=True,
    auto_submitted="auto-generated",
    ticket_number=1042,
    reply_text="I am out of the office until 9 November with no access to email.",
    should_open_ticket=False,
    may_auto_reply=False,
)
def _() -> bytes:
    h = common(
        "Alice Chen <alice.chen@contoso.com>",
        SUPPORT,
        "Automatic reply: [#1042] Where is my order?",
        "<oof1@contoso.com>",
    )
    h += [
        ("Auto-Submitted", "auto-generated"),
        ("X-Auto-Response-Suppress", "All"),
        ("X-MS-Exchange-Inbox-Rules-Loop", "alice.chen@contoso.com"),
        ("Content-Type", 'text/plain; charset="us-ascii"'),
    ]
    return msg(h, b"I am out of the office until 9 November with no access to email.\n")


@case(
    "auto_reply_qq_zh",
    subject="自动回复: [#1070] 物流查询",
    sender=["小明", "12345678@qq.com"],
    is_auto_reply=True,
    ticket_number=1070,
    reply_text="您好，我最近正在休假中，无法亲自回复您的邮件。",
    should_open_ticket=False,
    may_auto_reply=False,
)
def _() -> bytes:
    h = common(
        f'"{ew("小明", "gb18030")}" <12345678@qq.com>',
        SUPPORT,
        ew("自动回复: [#1070] 物流查询", "gb18030"),
        "<tencent_auto@qq.com>",
    )
    h += [("Content-Type", "text/plain; charset=gb18030"), ("Content-Transfer-Encoding", "base64")]
    return msg(h, b64("您好，我最近正在休假中，无法亲自回复您的邮件。\n".encode("gb18030")))


@case(
    "auto_reply_x_autoreply",
    subject="Re: Your message",
    sender=["", "sales@vendor.example"],
    is_auto_reply=True,
    should_open_ticket=False,
    may_auto_reply=False,
)
def _() -> bytes:
    h = common("sales@vendor.example", SUPPORT, "Re: Your message", "<ar1@vendor.example>")
    h += [("X-Autoreply", "yes"), ("Content-Type", "text/plain")]
    return msg(h, b"Thank you, we have received your message.\n")


@case(
    "precedence_bulk",
    subject="Weekly digest",
    sender=["Digest", "digest@news.example"],
    is_auto_reply=True,
    should_open_ticket=False,
    may_auto_reply=False,
)
def _() -> bytes:
    h = common("Digest <digest@news.example>", SUPPORT, "Weekly digest", "<d1@news.example>")
    h += [("Precedence", "bulk"), ("Content-Type", "text/plain")]
    return msg(h, b"This week's news.\n")


@case(
    "mailing_list",
    subject="[users] Question about the API",
    sender=["Kim", "kim@example.org"],
    is_list=True,
    reply_text="How do I page through results?",
    should_open_ticket=True,
    may_auto_reply=False,
)
def _() -> bytes:
    h = common(
        "Kim <kim@example.org>",
        "users@lists.example.org",
        "[users] Question about the API",
        "<l1@example.org>",
    )
    h += [
        ("List-Id", "Users <users.lists.example.org>"),
        ("Precedence", "list"),
        ("List-Post", "<mailto:users@lists.example.org>"),
        ("Content-Type", "text/plain"),
    ]
    return msg(h, b"How do I page through results?\n")


@case(
    "mdn_read_receipt",
    subject="已读: [#1042] Where is my order?",
    sender=["Alice Chen", "alice.chen@contoso.com"],
    is_auto_reply=True,
    ticket_number=1042,
    attachments=[
        {
            "filename": "attachment-1.txt",
            "content_type": "message/disposition-notification",
            "inline": False,
        }
    ],
    should_open_ticket=False,
    may_auto_reply=False,
)
def _() -> bytes:
    b = "mdn-b"
    h = common(
        "Alice Chen <alice.chen@contoso.com>",
        SUPPORT,
        ew("已读: [#1042] Where is my order?"),
        "<mdn1@contoso.com>",
    )
    h.append(
        ("Content-Type", f'multipart/report; report-type=disposition-notification; boundary="{b}"')
    )
    parts = [
        text_part("您的邮件已被阅读。\n"),
        part(
            [("Content-Type", "message/disposition-notification")],
            b"Final-Recipient: rfc822;alice.chen@contoso.com\n"
            b"Original-Message-ID: <01J9ZKQ8.t1042@example.com>\n"
            b"Disposition: manual-action/MDN-sent-manually; displayed\n",
        ),
    ]
    return msg(h, multipart(b, parts))


@case(
    "loop_header",
    subject="Re: [#1042] Where is my order?",
    sender=["Support", "support@example.com"],
    is_loop=True,
    ticket_number=1042,
    should_open_ticket=False,
    may_auto_reply=False,
)
def _() -> bytes:
    h = common(SUPPORT, SUPPORT, "Re: [#1042] Where is my order?", "<01J9ZKQX.t1042@example.com>")
    h += [("X-Helpdesk-Kit-Loop", "example.com"), ("Content-Type", "text/plain")]
    return msg(h, b"We are on it.\n")


@case(
    "loop_received",
    subject="Ping",
    sender=["", "ping@loop.example"],
    is_loop=True,
    hops=36,
    should_open_ticket=False,
)
def _() -> bytes:
    h = common("ping@loop.example", SUPPORT, "Ping", "<ping@loop.example>")
    h = [x for x in h if x[0] != "Received"]
    h = [
        (
            "Received",
            f"from relay{i}.loop.example by relay{i + 1}.loop.example; Mon, 2 Nov 2026 02:{i:02d}:00 +0000",
        )
        for i in range(36)
    ] + h
    h.append(("Content-Type", "text/plain"))
    return msg(h, b"ping\n")


@case(
    "suppress_only",
    subject="Question about warranty",
    sender=["Leo", "leo@contoso.com"],
    reply_text="Is the warranty two years?",
    should_open_ticket=True,
    may_auto_reply=False,
)
def _() -> bytes:
    h = common("Leo <leo@contoso.com>", SUPPORT, "Question about warranty", "<w1@contoso.com>")
    h += [
        ("X-Auto-Response-Suppress", "DR, RN, NRN, OOF, AutoReply"),
        ("Content-Type", "text/plain"),
    ]
    return msg(h, b"Is the warranty two years?\n")


# ----------------------------------------------------------------- charsets


@case(
    "big5_outlook_tw",
    subject="回覆: [#1080] 退貨申請",
    sender=["陳小姐", "chen@example.com.tw"],
    ticket_number=1080,
    reply_text="請問退貨運費由誰負擔？",
    no_defects=True,
)
def _() -> bytes:
    text = (
        "請問退貨運費由誰負擔？\r\n\r\n寄件者: 客服中心 <support@example.com>\r\n"
        "寄件日期: 2026年11月2日 上午 09:00\r\n收件者: 陳小姐\r\n主旨: [#1080] 退貨申請\r\n\r\n您好\r\n"
    )
    h = common(
        f"{ew('陳小姐', 'big5')} <chen@example.com.tw>",
        SUPPORT,
        ew("回覆: [#1080] 退貨申請", "big5"),
        "<tw1@example.com.tw>",
    )
    h += [
        ("Content-Type", 'text/plain; charset="big5"'),
        ("Content-Transfer-Encoding", "quoted-printable"),
    ]
    return msg(h, qp(text.encode("big5")))


@case(
    "iso2022jp",
    subject="Re: [#1090] 配送について",
    sender=["山田太郎", "yamada@example.jp"],
    ticket_number=1090,
    reply_text="明日の午前中に受け取れますか。",
    no_defects=True,
)
def _() -> bytes:
    text = (
        "明日の午前中に受け取れますか。\n\n2026年11月2日(月) 9:00 Support <support@example.com>:\n\n"
        "> 配送日を教えてください。\n"
    )
    h = common(
        f"{ew('山田太郎', 'iso-2022-jp')} <yamada@example.jp>",
        SUPPORT,
        "Re: [#1090] " + ew("配送について", "iso-2022-jp"),
        "<jp1@example.jp>",
    )
    h += [
        ("Content-Type", "text/plain; charset=ISO-2022-JP"),
        ("Content-Transfer-Encoding", "7bit"),
    ]
    return msg(h, text.encode("iso-2022-jp"))


@case(
    "shift_jis_attachment",
    subject="見積書①の件",
    sender=["佐藤", "sato@example.jp"],
    reply_text="見積書①を添付します。",
    attachments=[
        {"filename": "見積書①.pdf", "content_type": "application/pdf", "size": 5, "inline": False}
    ],
    no_defects=True,
)
def _() -> bytes:
    # ① exists only in Microsoft's Shift_JIS (cp932), which is what "Shift_JIS" mail uses.
    b = "sjis-b"

    def sj(s: str) -> str:
        return f"=?shift_jis?B?{base64.b64encode(s.encode('cp932')).decode()}?="

    h = common(f"{sj('佐藤')} <sato@example.jp>", SUPPORT, sj("見積書①の件"), "<sj1@example.jp>")
    h.append(("Content-Type", f'multipart/mixed; boundary="{b}"'))
    parts = [
        part(
            [
                ("Content-Type", "text/plain; charset=Shift_JIS"),
                ("Content-Transfer-Encoding", "base64"),
            ],
            b64("見積書①を添付します。\n".encode("cp932")),
        ),
        part(
            [
                ("Content-Type", f'application/pdf; name="{sj("見積書①.pdf")}"'),
                ("Content-Disposition", f'attachment; filename="{sj("見積書①.pdf")}"'),
                ("Content-Transfer-Encoding", "base64"),
            ],
            b64(b"%PDF-"),
        ),
    ]
    return msg(h, multipart(b, parts))


@case(
    "latin1_german_outlook",
    subject="AW: Bestellung für Müller",
    sender=["Jürgen Müller", "jm@example.de"],
    reply_text="Vielen Dank, die Rechnung über 20 € ist angekommen.",
    no_defects=True,
)
def _() -> bytes:
    text = (
        "Vielen Dank, die Rechnung über 20 € ist angekommen.\n\n"
        "-----Ursprüngliche Nachricht-----\nVon: Support <support@example.com>\n"
        "Gesendet: Montag, 2. November 2026 09:00\nAn: Jürgen Müller\nBetreff: Bestellung\n\nHallo\n"
    )
    h = common(
        f"{ew('Jürgen Müller', 'iso-8859-1', 'Q')} <jm@example.de>",
        SUPPORT,
        "AW: " + ew("Bestellung für Müller", "iso-8859-1", "Q"),
        "<de1@example.de>",
    )
    # "iso-8859-1" mail from Windows holds cp1252 bytes such as the euro sign (0x80).
    h += [
        ("Content-Type", "text/plain; charset=iso-8859-1"),
        ("Content-Transfer-Encoding", "quoted-printable"),
    ]
    return msg(h, qp(text.encode("cp1252")))


@case(
    "wrong_charset_utf8_is_gbk",
    subject="关于退款",
    sender=["", "user@example.cn"],
    reply_text="请问退款什么时候到账？",
    has_defects=True,
)
def _() -> bytes:
    h = common("user@example.cn", SUPPORT, ew("关于退款"), "<wc1@example.cn>")
    h += [("Content-Type", "text/plain; charset=utf-8"), ("Content-Transfer-Encoding", "8bit")]
    return msg(h, "请问退款什么时候到账？\n".encode("gbk"))


@case(
    "wrong_charset_latin1_is_utf8",
    subject="Café crème",
    sender=["", "user@example.fr"],
    reply_text="Le café crème était froid.",
    has_defects=True,
)
def _() -> bytes:
    h = common("user@example.fr", SUPPORT, ew("Café crème", "iso-8859-1", "Q"), "<wc2@example.fr>")
    h += [("Content-Type", "text/plain; charset=iso-8859-1"), ("Content-Transfer-Encoding", "8bit")]
    return msg(h, "Le café crème était froid.\n".encode())


@case(
    "declared_ascii_is_utf8",
    subject="Größe",
    sender=["", "user@example.at"],
    reply_text="Die Größe passt nicht.",
    has_defects=True,
)
def _() -> bytes:
    h = common("user@example.at", SUPPORT, ew("Größe"), "<wc3@example.at>")
    h += [("Content-Type", "text/plain; charset=us-ascii"), ("Content-Transfer-Encoding", "8bit")]
    return msg(h, "Die Größe passt nicht.\n".encode())


@case(
    "raw_8bit_headers_utf8",
    subject="关于发票的问题",
    sender=["张三", "zhangsan@example.cn"],
    to=["support@example.com"],
    reply_text="发票还没有收到。",
    no_defects=True,
)
def _() -> bytes:
    h = common("张三 <zhangsan@example.cn>", SUPPORT, "x", "<raw1@example.cn>")
    h = [
        (
            n,
            "张三 <zhangsan@example.cn>".encode()
            if n == "From"
            else "关于发票的问题".encode()
            if n == "Subject"
            else v,
        )
        for n, v in h
    ]
    h += [("Content-Type", "text/plain; charset=utf-8"), ("Content-Transfer-Encoding", "8bit")]
    return msg(h, "发票还没有收到。\n".encode())


@case(
    "raw_8bit_headers_gbk",
    subject="订单号码错误",
    sender=["李四", "lisi@example.cn"],
    reply_text="订单号码填错了。",
    has_defects=True,
)
def _() -> bytes:
    h = common("x", SUPPORT, "x", "<raw2@example.cn>")
    h = [
        (
            n,
            '"李四" <lisi@example.cn>'.encode("gbk")
            if n == "From"
            else "订单号码错误".encode("gbk")
            if n == "Subject"
            else v,
        )
        for n, v in h
    ]
    h += [("Content-Type", "text/plain; charset=gbk"), ("Content-Transfer-Encoding", "8bit")]
    return msg(h, "订单号码填错了。\n".encode("gbk"))


@case(
    "malformed_encoded_words",
    # whitespace between encoded words is not text (RFC 2047 6.2)
    subject="你好世界Josécaféend",
    sender=["José García", "jose@example.es"],
    to=["support@example.com", "ops@example.com"],
    reply_text="Hola",
)
def _() -> bytes:
    s = "你好世界".encode()
    # two words glued together, the split falling inside a character; an unknown
    # charset; a missing "?=" at the very end
    w1 = base64.b64encode(s[:4]).decode()
    w2 = base64.b64encode(s[4:]).decode()
    subject = f"=?utf-8?B?{w1}?==?UTF-8?b?{w2}?= =?utf-8?q?Jos=C3=A9?= =?x-unknown?Q?caf=E9?= =?utf-8?q?end"
    h = common(
        "=?UTF-8?Q?Jos=C3=A9_Garc=C3=ADa?= <jose@example.es>",
        "=?utf-8?Q?Support,_Team?= <support@example.com>, ops@example.com",
        subject,
        "<mw@example.es>",
    )
    h += [("Content-Type", "text/plain")]
    return msg(h, b"Hola\n")


# ----------------------------------------------------------------- broken


@case(
    "truncated_attachment",
    subject="Truncated",
    sender=["", "cut@example.com"],
    reply_text="See attached.",
    has_defects=True,
    attachments=[
        {"filename": "big.bin", "content_type": "application/octet-stream", "inline": False}
    ],
)
def _() -> bytes:
    b = "trunc-b"
    h = common("cut@example.com", SUPPORT, "Truncated", "<t1@example.com>")
    h.append(("Content-Type", f'multipart/mixed; boundary="{b}"'))
    body = multipart(
        b,
        [
            text_part("See attached.\n", "us-ascii", "7bit"),
            part(
                [
                    ("Content-Type", "application/octet-stream"),
                    ("Content-Disposition", 'attachment; filename="big.bin"'),
                    ("Content-Transfer-Encoding", "base64"),
                ],
                b64(bytes(range(256)) * 8),
            ),
        ],
    )
    full = msg(h, body)
    return full[: len(full) - 700 + 3]  # cut in the middle of a base64 line


@case(
    "bad_base64_body",
    subject="Bad base64",
    sender=["", "b64@example.com"],
    text_contains=["The quick brown fox"],
    has_defects=True,
)
def _() -> bytes:
    h = common("b64@example.com", SUPPORT, "Bad base64", "<bb@example.com>")
    h += [("Content-Type", "text/plain; charset=utf-8"), ("Content-Transfer-Encoding", "base64")]
    good = base64.b64encode(b"The quick brown fox jumps over the lazy dog.").decode()
    return msg(h, (good[:20] + "!!*\n" + good[20:].rstrip("=") + "A\n").encode())


@case(
    "missing_boundary",
    subject="No boundary",
    sender=["", "nb@example.com"],
    text_contains=["Plain words after all."],
    has_defects=True,
)
def _() -> bytes:
    h = common("nb@example.com", SUPPORT, "No boundary", "<nb@example.com>")
    h += [("Content-Type", "multipart/mixed")]
    return msg(h, b"--xyz\nContent-Type: text/plain\n\nPlain words after all.\n--xyz--\n")


@case(
    "no_closing_boundary",
    subject="Unclosed",
    sender=["", "uc@example.com"],
    reply_text="First part survives.",
    has_defects=True,
)
def _() -> bytes:
    h = common("uc@example.com", SUPPORT, "Unclosed", "<uc@example.com>")
    h += [("Content-Type", 'multipart/alternative; boundary="open"')]
    return msg(h, b"--open\nContent-Type: text/plain\n\nFirst part survives.\n")


@case(
    "binary_junk",
    subject="",
    sender=None,
    reply_text=None,
    has_defects=True,
)
def _() -> bytes:
    rnd = random.Random(20261102)
    return b"\x00\xff\xfe" + bytes(rnd.randrange(256) for _ in range(4000))


@case(
    "empty",
    subject="",
    sender=None,
    text="",
    reply_text="",
    has_defects=True,
    message_id=None,
    date=None,
)
def _() -> bytes:
    return b""


@case(
    "headers_only",
    subject="Only headers",
    sender=["", "ho@example.com"],
    text="",
    reply_text="",
)
def _() -> bytes:
    return b"From: ho@example.com\r\nSubject: Only headers\r\nMessage-ID: <ho@example.com>\r\n"


@case(
    "huge_headers",
    subject_prefix="SSSSSSSSSS",
    subject_length=100_000,
    sender=["", "big@example.com"],
    to_count=2000,
    reply_text="Still readable.",
)
def _() -> bytes:
    h = common(
        "big@example.com",
        ", ".join(f"User {i} <user{i}@example.com>" for i in range(2000)),
        "S" * 100_000,
        "<big@example.com>",
    )
    h += [(f"X-Junk-{i}", "j" * 50) for i in range(2000)]
    h.append(("Content-Type", "text/plain"))
    return msg(h, b"Still readable.\n")


@case(
    "bad_date_no_msgid",
    subject="Odd headers",
    sender=["", "odd@example.com"],
    message_id=None,
    date=None,
    in_reply_to="parent@example.com",
    references=["root@example.com", "parent@example.com"],
    has_defects=True,
    reply_text="Body.",
)
def _() -> bytes:
    h: list[tuple[str, str | bytes]] = [
        ("From", "odd@example.com"),
        ("Subject", "Odd headers"),
        ("Date", "yesterday afternoon"),
        ("In-Reply-To", "<parent@example.com> (Support's message of Mon, 2 Nov 2026)"),
        ("References", "<root@example.com>\n <parent@example.com> <root@example.com>"),
    ]
    return msg(h, b"Body.\n")


def main() -> int:
    """Write every case; remove stale files."""
    HERE.mkdir(exist_ok=True)
    names = set()
    for name, raw, expected in CASES:
        names.add(name)
        (HERE / f"{name}.eml").write_bytes(raw)
        (HERE / f"{name}.json").write_text(
            json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
    for path in HERE.iterdir():
        if path.suffix in (".eml", ".json") and path.stem not in names:
            path.unlink()
    print(f"wrote {len(CASES)} cases to {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
