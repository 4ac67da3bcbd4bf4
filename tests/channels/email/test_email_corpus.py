"""Every corpus message parses to the values written next to it in make_corpus.py."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from helpdesk_kit.channels.email import (
    Address,
    ParsedEmail,
    may_auto_reply,
    parse_email,
    should_open_ticket,
)

CORPUS = Path(__file__).parent / "corpus"
NAMES = sorted(p.stem for p in CORPUS.glob("*.eml"))


def load(name: str) -> tuple[bytes, dict[str, Any]]:
    raw = (CORPUS / f"{name}.eml").read_bytes()
    expected = json.loads((CORPUS / f"{name}.json").read_text(encoding="utf-8"))
    return raw, expected


def test_corpus_is_big_enough() -> None:
    assert len(NAMES) >= 50
    for name in NAMES:
        assert (CORPUS / f"{name}.json").exists(), name


@pytest.mark.parametrize("name", NAMES)
def test_corpus_message(name: str) -> None:
    raw, exp = load(name)
    m = parse_email(raw)
    assert isinstance(m, ParsedEmail)

    if "subject" in exp:
        assert m.subject == exp["subject"]
    else:
        assert m.subject.startswith(exp["subject_prefix"])
        assert len(m.subject) == exp["subject_length"]
    if exp["sender"] is None:
        assert m.sender is None
    else:
        assert m.sender == Address(*exp["sender"])
    for key in ("to", "cc", "reply_to"):
        if key in exp:
            assert [a.email for a in getattr(m, key)] == exp[key]
    if "to_count" in exp:
        assert len(m.to) == exp["to_count"]
    for key in (
        "message_id",
        "in_reply_to",
        "references",
        "ticket_number",
        "bounce_recipients",
        "auto_submitted",
        "hops",
        "is_list",
    ):
        if key in exp:
            assert getattr(m, key) == exp[key], key
    if "date" in exp:
        expected_date = exp["date"]
        assert m.date == (datetime.fromisoformat(expected_date) if expected_date else None)
    if m.date is not None:
        assert m.date.tzinfo is not None
    if "has_html" in exp:
        assert (m.html is not None) == exp["has_html"]
    if "text" in exp:
        assert m.text == exp["text"]
    for snippet in exp.get("text_contains", []):
        assert snippet in m.text
    for snippet in exp.get("text_not_contains", []):
        assert snippet not in m.text
    if exp.get("reply_text") is not None:
        assert m.reply_text == exp["reply_text"]

    assert m.is_auto_reply is exp["is_auto_reply"]
    assert m.is_bounce is exp["is_bounce"]
    assert m.is_loop is exp["is_loop"]
    if "should_open_ticket" in exp:
        assert should_open_ticket(m) is exp["should_open_ticket"]
    if "may_auto_reply" in exp:
        assert may_auto_reply(m) is exp["may_auto_reply"]

    assert len(m.attachments) == len(exp["attachments"])
    for att, want in zip(m.attachments, exp["attachments"], strict=True):
        for key, value in want.items():
            assert getattr(att, key) == value, (key, att)
        assert att.size == len(att.content)
    for index, snippet in exp.get("attachment_contains", []):
        assert snippet.encode() in m.attachments[index].content

    if exp.get("no_defects"):
        assert m.defects == []
    if exp.get("has_defects"):
        assert m.defects


def test_thread_ids_are_in_reply_to_then_references() -> None:
    raw, _ = load("gmail_en_reply")
    m = parse_email(raw)
    assert m.thread_ids == ["01J9ZKQ8.t1042@example.com", "CAH+w=7Ya0@mail.gmail.com"]


def test_header_lookup_decodes() -> None:
    raw, _ = load("gmail_zh_reply")
    m = parse_email(raw)
    assert m.header("subject") == "回复：[#2001] 发票抬头"
    assert m.header("X-Nothing") is None
    assert len(m.header_all("received")) == 1


def test_our_own_address_never_gets_a_ticket_or_auto_reply() -> None:
    raw, _ = load("new_with_signature")
    m = parse_email(raw)
    assert should_open_ticket(m)
    assert not should_open_ticket(m, our_addresses=["john.smith@EXAMPLE.COM"])
    assert not may_auto_reply(m, our_addresses=[Address("", "John.Smith@example.com")])
