"""Header decoding, charsets, addresses and parameters, checked against the stdlib's encoders."""

from __future__ import annotations

import re
from email.header import Header
from email.message import EmailMessage
from email.utils import formataddr

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk_kit.channels.email import Address, decode_header, parse_address_list, parse_email
from helpdesk_kit.channels.email.charsets import decode_bytes, python_codec
from helpdesk_kit.channels.email.headers import parse_date, parse_msg_ids, parse_params

# printable text without control characters, mixing ASCII, Latin, CJK and emoji
TEXT = st.text(
    alphabet=st.characters(
        codec="utf-8",
        exclude_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp", "Cf"),
    ),
    max_size=60,
)
CHARSETS = ["utf-8", "gb18030", "big5", "iso-2022-jp", "shift_jis", "iso-8859-1", "koi8-r"]


def one_line(text: str) -> str:
    """The documented normal form of a decoded header: runs of spaces collapsed, stripped."""
    return re.sub(" {2,}", " ", text).strip()


@settings(max_examples=300)
@given(TEXT, st.sampled_from(CHARSETS))
def test_decode_header_inverts_stdlib_encoder(text: str, charset: str) -> None:
    try:
        text.encode(charset)
    except UnicodeEncodeError:
        charset = "utf-8"
    encoded = Header(text, charset, maxlinelen=40).encode()
    assert decode_header(encoded) == one_line(text)


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(
            TEXT, st.from_regex(r"[a-z0-9._]{1,12}@[a-z0-9-]{1,10}\.(com|cn)", fullmatch=True)
        ),
        min_size=1,
        max_size=5,
    )
)
def test_address_list_inverts_formataddr(pairs: list[tuple[str, str]]) -> None:
    header = ", ".join(formataddr((name, email), charset="utf-8") for name, email in pairs)
    parsed = parse_address_list(header)
    assert parsed == [Address(one_line(name), email) for name, email in pairs]


@settings(max_examples=150, deadline=None)
@given(
    TEXT.filter(
        lambda s: s.strip() and "/" not in s and "\\" not in s and not s.lstrip().startswith(".")
    )
)
def test_attachment_filename_roundtrips_through_stdlib(name: str) -> None:
    msg = EmailMessage()
    msg["Subject"] = "x"
    msg.set_content("body")
    msg.add_attachment(b"data", "application", "octet-stream", filename=name)
    parsed = parse_email(msg.as_bytes())
    assert [a.filename for a in parsed.attachments] == [name.strip()]
    assert parsed.attachments[0].content == b"data"


@settings(max_examples=200)
@given(
    TEXT,
    st.sampled_from(
        [
            "utf-8",
            "gb2312",
            "gbk",
            "gb18030",
            "big5",
            "shift_jis",
            "iso-2022-jp",
            "euc-kr",
            "iso-8859-1",
            "windows-1252",
        ]
    ),
)
def test_decode_bytes_with_true_label(text: str, label: str) -> None:
    codec = python_codec(label)
    try:
        data = text.encode(codec)
    except UnicodeEncodeError:
        return
    defects: list[str] = []
    decoded = decode_bytes(data, label, defects)
    if data.isascii() and label != "iso-2022-jp":
        # ASCII bytes are ASCII (Shift_JIS's 0x5C is read as "\\", as Windows does, not "¥")
        assert decoded == data.decode("ascii")
    elif label in ("iso-8859-1", "windows-1252") and decoded != text:
        # valid UTF-8 in a Latin-1 label is read as UTF-8 on purpose, and says so
        assert defects
        assert decoded == data.decode("utf-8")
    else:
        assert decoded == text


def test_gb2312_label_reads_gbk_and_gb18030_characters() -> None:
    data = "王喆 𠀀".encode("gb18030")
    defects: list[str] = []
    assert decode_bytes(data, "gb2312", defects) == "王喆 𠀀"
    assert defects == []


def test_wrong_label_falls_back_and_records() -> None:
    defects: list[str] = []
    assert decode_bytes("退款".encode("gbk"), "utf-8", defects) == "退款"
    assert defects
    assert "gb18030" in defects[0]


def test_unknown_label_and_garbage_never_raise() -> None:
    assert decode_bytes(b"\xff\xfe\x80", "no-such-charset", []) != ""
    assert decode_bytes(b"abc", "rot13") == "abc"  # not a text codec: ignored
    assert python_codec("x-unknown") == ""
    for label in ("unicode_escape", "raw_unicode_escape", "idna", "base64", "zlib", "x" * 100):
        assert python_codec(label) == ""
    assert decode_bytes(b"\\x41", "unicode_escape") == "\\x41"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("=?utf-8?q?hello_world?=", "hello world"),
        ("=?utf-8?Q?hello world?=", "hello world"),  # spaces inside a Q word
        ("=?UTF-8?B?5L2g5aW9?= =?UTF-8?B?5LiW55WM?=", "你好世界"),
        ("Re: =?utf-8?b?5L2g?=\r\n =?utf-8?b?5aW9?= again", "Re: 你好 again"),
        ("=?utf-8?B?5L2g5Q==?= =?utf-8?B?pb0=?=", "你好"),  # a character split between words
        ("=?gb2312?B?xOO6ww==?=", "你好"),
        ("=?utf-8*en?Q?language_tag?=", "language tag"),
        ("=?utf-8?q?unterminated", "unterminated"),
        ("plain\ttext\x00with  controls", "plain text with controls"),
        ("=?utf-8?B?!!!?=", ""),
        ("=?bogus?Q?=FF?=", "ÿ"),
        ("no encoded words", "no encoded words"),
    ],
)
def test_decode_header_examples(raw: str, expected: str) -> None:
    assert decode_header(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('"Doe, John" <John@Example.COM>', [("Doe, John", "John@example.com")]),
        ("=?utf-8?Q?Doe,_Jane?= <jane@x.org>", [("Doe, Jane", "jane@x.org")]),
        ("undisclosed-recipients:;", []),
        ("team: a@x.org, b@x.org;, c@x.org", [("", "a@x.org"), ("", "b@x.org"), ("", "c@x.org")]),
        ("bob@x.org (Bob Builder)", [("Bob Builder", "bob@x.org")]),
        ("<mailto:m@x.org>", [("", "m@x.org")]),
        ("MAILER-DAEMON", [("", "MAILER-DAEMON")]),
        ('"unterminated <u@x.org>', [("unterminated", "u@x.org")]),
        ("", []),
    ],
)
def test_address_examples(raw: str, expected: list[tuple[str, str]]) -> None:
    assert [(a.name, a.email) for a in parse_address_list(raw)] == expected


def test_params_rfc2231_continuations_and_quotes() -> None:
    value = (
        "attachment; filename*0*=utf-8''%E5%8F%91%E7%A5%A8; filename*1*=%2D1.pdf;"
        ' size=10; note="a;b \\"c\\""'
    )
    main, params = parse_params(value)
    assert main == "attachment"
    assert params == {"filename": "发票-1.pdf", "size": "10", "note": 'a;b "c"'}


def test_msg_ids_and_dates() -> None:
    assert parse_msg_ids("<a@x> (comment) <b@x>\r\n <a@x>") == ["a@x", "b@x"]
    assert parse_msg_ids("a@x b@x") == ["a@x", "b@x"]
    assert parse_msg_ids("") == []
    when = parse_date("Mon, 2 Nov 2026 09:00:00 -0000")
    assert when is not None
    assert when.utcoffset() is not None
    defects: list[str] = []
    assert parse_date("not a date", defects) is None
    assert defects
