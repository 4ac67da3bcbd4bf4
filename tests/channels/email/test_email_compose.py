"""Outbound composition: threading headers, subjects, encodings, and a parse round trip."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from helpdesk_kit.channels.email import LOOP_HEADER, Address, Attachment, parse_email
from helpdesk_kit.channels.email.compose import (
    build_references,
    compose_new,
    compose_reply,
    make_message_id,
    reply_subject,
    tag_subject,
    ticket_number_from_message_ids,
)
from helpdesk_kit.channels.email.model import ParsedEmail
from helpdesk_kit.errors import InvalidInput

WHEN = datetime(2026, 11, 2, 9, 30, tzinfo=timezone(timedelta(hours=8)))
US = Address("客服中心", "support@example.com")
TEXT = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp", "Cf")
    ),
    max_size=50,
)


def parent(**kw: object) -> ParsedEmail:
    base: dict[str, object] = {
        "subject": "Re: Re: [#1042] Where is my order?",
        "sender": Address("Alice Chen", "alice@example.org"),
        "message_id": "m3@example.org",
        "in_reply_to": "m2@example.com",
        "references": ["m1@example.org", "m2@example.com"],
        "ticket_number": 1042,
    }
    base.update(kw)
    return ParsedEmail(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Where is my order?", "Re: [#1042] Where is my order?"),
        ("Re: Re: [#1042] Where is my order?", "Re: [#1042] Where is my order?"),
        ("RE: AW: 回复：答复: [#1042] 退款", "Re: [#1042] 退款"),
        ("Re[3]: Order [#1042]", "Re: [#1042] Order"),
        ("Re: [#77] other ticket", "Re: [#1042] [#77] other ticket"),
        ("Fwd: invoice", "Re: [#1042] Fwd: invoice"),
        ("", "Re: [#1042]"),
    ],
)
def test_reply_subject(subject: str, expected: str) -> None:
    assert reply_subject(subject, 1042) == expected


@settings(max_examples=300)
@given(TEXT, st.integers(1, 10**9))
def test_reply_subject_is_idempotent_with_one_tag(subject: str, number: int) -> None:
    once = reply_subject(subject, number)
    assert reply_subject(once, number) == once
    assert reply_subject("Re: " + once, number) == once
    assert once.count(f"[#{number}]") == 1
    assert once.startswith(f"Re: [#{number}]")


def test_tag_subject_once() -> None:
    assert tag_subject("Your refund", 7) == "[#7] Your refund"
    assert tag_subject("[#7] Your refund", 7) == "[#7] Your refund"
    assert tag_subject("Your refund", None) == "Your refund"


def test_references_keep_root_and_newest() -> None:
    long = parent(references=[f"r{i}@x" for i in range(30)], message_id="last@x")
    refs = build_references(long, limit=5)
    assert refs == ["r0@x", "r27@x", "r28@x", "r29@x", "last@x"]
    only_irt = parent(references=[], in_reply_to="p@x", message_id="c@x")
    assert build_references(only_irt) == ["p@x", "c@x"]
    with pytest.raises(InvalidInput):
        build_references(long, limit=1)


def test_reply_headers() -> None:
    msg = compose_reply(
        parent(), from_addr=US, text="您好，已经发货。", domain="example.com", date=WHEN
    )
    assert msg["Subject"] == "Re: [#1042] Where is my order?"
    assert msg["In-Reply-To"] == "<m3@example.org>"
    assert msg["References"] == "<m1@example.org> <m2@example.com> <m3@example.org>"
    assert msg["To"] == "Alice Chen <alice@example.org>"
    assert msg["Message-ID"].endswith(".t1042@example.com>")
    assert msg[LOOP_HEADER] == "example.com"
    assert msg["Auto-Submitted"] is None
    assert msg["Date"] == "Mon, 02 Nov 2026 09:30:00 +0800"
    raw = msg.as_bytes()
    assert raw.isascii()  # every non-ASCII header and body is encoded
    assert b"=?utf-8?" in raw


def test_auto_reply_is_marked() -> None:
    msg = compose_reply(
        parent(reply_to=[Address("", "orders@example.org")]),
        from_addr=US,
        text="We got your mail.",
        domain="example.com",
        date=WHEN,
        auto=True,
    )
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg["To"] == "orders@example.org"
    parsed = parse_email(msg.as_bytes())
    assert parsed.is_auto_reply
    assert parsed.is_loop


def test_new_message_with_html_inline_image_and_attachments() -> None:
    logo = Attachment(
        "logo.png", "image/png", b"\x89PNG\r\n", inline=True, content_id="logo@example.com"
    )
    pdf = Attachment("发票 11月.pdf", "application/pdf", b"%PDF-1.4")
    fwd = Attachment("orig.eml", "message/rfc822", b"Subject: hi\n\nbody\n")
    msg = compose_new(
        from_addr=US,
        to=[Address("张三", "zhang@example.cn")],
        cc=[Address("", "boss@example.cn")],
        subject="关于您的订单",
        text="您好\n" + "很长的一行" * 40,
        html='<p>您好</p><img src="cid:logo@example.com">',
        attachments=[logo, pdf, fwd],
        domain="example.com",
        date=WHEN,
        ticket_number=88,
        auto=True,
        extra_headers={"X-Ticket": "88"},
    )
    assert msg["Auto-Submitted"] == "auto-generated"
    parsed = parse_email(msg.as_bytes())
    assert parsed.subject == "[#88] 关于您的订单"
    assert parsed.ticket_number == 88
    assert parsed.sender == US
    assert [a.email for a in parsed.cc] == ["boss@example.cn"]
    assert parsed.text == "您好\n" + "很长的一行" * 40 + "\n"
    assert parsed.html is not None
    assert "cid:logo@example.com" in parsed.html
    found = {a.filename: a for a in parsed.attachments}
    assert found["logo.png"].inline
    assert found["logo.png"].content_id == "logo@example.com"
    assert found["发票 11月.pdf"].content == b"%PDF-1.4"
    assert found["orig.eml"].content_type == "message/rfc822"
    assert b"Subject: hi" in found["orig.eml"].content
    assert parsed.header("X-Ticket") == "88"
    assert parsed.in_reply_to is None
    assert parsed.references == []


@settings(max_examples=100, deadline=None)
@given(TEXT, TEXT, TEXT, st.integers(1, 10**6))
# a space between two encoded words of a long non-ASCII name used to vanish
@example("", "000" + "\u0800" * 14 + " : )", "", 1)
def test_compose_parse_round_trip(subject: str, name: str, body: str, number: int) -> None:
    p = parent(subject=subject, sender=Address(name, "cust@example.org"), ticket_number=number)
    msg = compose_reply(p, from_addr=US, text=body, domain="example.com", date=WHEN)
    back = parse_email(msg.as_bytes())
    assert back.subject == reply_subject(subject, number).strip()
    assert back.ticket_number == number
    assert back.to == [Address(re.sub(" {2,}", " ", name).strip(), "cust@example.org")]
    assert back.in_reply_to == "m3@example.org"
    assert back.references == ["m1@example.org", "m2@example.com", "m3@example.org"]
    assert back.text == body + "\n"
    assert back.date == WHEN
    assert not back.defects


def test_message_ids_carry_the_ticket_number() -> None:
    mid = make_message_id("Example.COM", ticket_number=1042)
    assert mid.endswith(".t1042@example.com")
    assert ticket_number_from_message_ids(["x@y", mid], "example.com") == 1042
    assert ticket_number_from_message_ids([mid], "other.com") is None
    assert make_message_id("example.com") != make_message_id("example.com")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"domain": "bad domain"},
        {"domain": ""},
        {"date": datetime(2026, 1, 1)},
        {"from_addr": Address("x", "not-an-address")},
        {"to": [Address("x", "a b@example.com")]},
        {"to": []},
        {"message_id": "no-at-sign"},
        {"extra_headers": {"X-Bad": "a\r\nBcc: victim@example.com"}},
        {"attachments": ["not an attachment"]},
    ],
)
def test_bad_input_is_refused_clearly(kwargs: dict[str, object]) -> None:
    args: dict[str, object] = {"from_addr": US, "text": "hi", "domain": "example.com", "date": WHEN}
    args.update(kwargs)
    with pytest.raises(InvalidInput):
        compose_reply(parent(), **args)  # type: ignore[arg-type]


def test_header_injection_in_names_and_subject_is_neutralised() -> None:
    msg = compose_reply(
        parent(
            subject="hi\r\nBcc: victim@example.com",
            sender=Address("Eve\r\nBcc: v@x.com", "eve@example.org"),
        ),
        from_addr=US,
        text="x",
        domain="example.com",
        date=WHEN,
    )
    raw = msg.as_bytes()
    assert b"\nBcc:" not in raw
    assert msg["Bcc"] is None


def test_utc_date() -> None:
    msg = compose_new(
        from_addr=US,
        to=[US],
        subject="s",
        text="t",
        domain="example.com",
        date=datetime(2026, 11, 2, tzinfo=UTC),
    )
    assert msg["Date"].endswith("+0000")
