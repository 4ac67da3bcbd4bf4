"""Reply extraction and HTML-to-text."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk_kit.channels.email import extract_reply, html_to_text

# Reply text that cannot itself look like a quote header, separator or signature.
WORDS = st.text(
    alphabet="abcdefghij klmnop 你好谢谢订单退款 0123456789.,!?", min_size=1, max_size=40
)
REPLY = st.lists(st.one_of(WORDS, st.just("")), min_size=1, max_size=8).map("\n".join)
QUOTED = st.lists(WORDS, max_size=5).map(lambda ls: "\n".join("> " + line for line in ls))

HEADERS = [
    "On Mon, Nov 2, 2026 at 9:00 AM Support <support@example.com> wrote:",
    "On Mon, Nov 2, 2026 at 9:00 AM Helpdesk Support <\nsupport@example.com> wrote:",
    "On 2 Nov 2026, at 09:00, Support <support@example.com> wrote:",
    "On 11/2/26 9:00 AM, Support wrote:",
    "在 2026年11月2日，09:00，客服中心 <support@example.com> 写道：",
    "客服中心 <support@example.com> 于2026年11月2日周一 09:00写道：",
    "-----Original Message-----\nFrom: Support\nSent: Monday\nTo: me\nSubject: x",
    "________________________________\nFrom: Support <s@x>\nSent: Monday\nTo: me\nSubject: x",
    "发件人: 客服中心\n发送时间: 2026年11月2日 9:00\n收件人: 张三\n主题: 退款",
    "发件人：客服中心\n日期：2026年11月2日\n收件人：张三\n主题：退款",
    '------------------ 原始邮件 ------------------\n发件人: "客服"<s@x>;',
    "------------------ Original ------------------\nFrom: s@x",
    "-----邮件原件-----\n发件人: 客服",
    "Sent from my iPhone",
    "发自我的iPhone",
    "Get Outlook for iOS<https://aka.ms/o0ukef>",
    "-- \nJane Doe\nACME",
]


def clean(text: str) -> str:
    """Brute-force normal form: trailing spaces off, blank runs collapsed, ends trimmed."""
    lines = [line.rstrip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if not line.strip():
            if out and out[-1] != "":
                out.append("")
        else:
            out.append(line)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out)


@settings(max_examples=400)
@given(REPLY, st.sampled_from(HEADERS), QUOTED)
def test_reply_is_text_above_any_history(reply: str, header: str, quoted: str) -> None:
    assert extract_reply(f"{reply}\n\n{header}\n{quoted}\n") == clean(reply)


@settings(max_examples=200)
@given(REPLY)
def test_text_without_history_is_kept(reply: str) -> None:
    assert extract_reply(reply) == clean(reply)


@settings(max_examples=200)
@given(QUOTED, REPLY)
def test_bottom_posted_reply_under_wrote_header(quoted: str, reply: str) -> None:
    text = f"On Mon, Nov 2, 2026 at 9:00 AM Support <s@x.com> wrote:\n{quoted}\n\n{reply}\n"
    assert extract_reply(text) == clean(reply)


@pytest.mark.parametrize(
    "text",
    [
        "He wrote: the box was empty.",
        "文章写道：很好",  # no date, so not a quote header
        "From: my order page\nI went to checkout.",
        "Price -- about 20 dollars",
    ],
)
def test_ordinary_sentences_are_not_cut(text: str) -> None:
    assert extract_reply(text) == text


def test_interleaved_quotes_keep_every_answer() -> None:
    text = "> Which size?\nLarge.\n> Which colour?\nBlue."
    assert extract_reply(text) == "Large.\nBlue."


@settings(max_examples=200)
@given(
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")),
        max_size=80,
    )
)
def test_html_escaped_paragraph_gives_back_the_text(text: str) -> None:
    expected = re.sub(r"[ \t\r\n\f\v]+", " ", text.replace("\xa0", " ")).strip()
    assert html_to_text("<p>" + html.escape(text) + "</p>") == expected


def test_html_structure() -> None:
    page = (
        "<html><head><title>t</title><style>p{}</style></head><body>"
        "<h1>Title</h1><p>a&nbsp;b &amp; c<br>next</p><ul><li>x</li><li>y</li></ul>"
        "<ol><li>one</li></ol><table><tr><td>k</td><td>v</td></tr></table>"
        "<blockquote>old<br>older</blockquote><script>evil()</script>"
        '<a href="https://e.x/p">link</a> <a href="https://e.x/q">https://e.x/q</a></body></html>'
    )
    assert html_to_text(page) == (
        "Title\n\na b & c\nnext\n\n- x\n- y\n\n1. one\n\nk\tv\n\n> old\n> older\n"
        "link <https://e.x/p> https://e.x/q"
    )


@pytest.mark.parametrize(
    "junk", ["<![if foo", "<!", "</", "<a href='", "<<<>>>", "&#xffffff;", "<![CDATA[x"]
)
def test_html_junk_never_raises(junk: str) -> None:
    assert isinstance(html_to_text(junk), str)


def test_html_defusing_keeps_text_and_drops_comments() -> None:
    assert html_to_text("a < b <i>and</i> c<d <!-- hidden --> e") == "a < b and c<d e"
    assert html_to_text("before<!-- never closed <p>gone") == "before"
    assert html_to_text("<p>x</p><a<a<a") == "x\n\n<a<a<a"
