"""Phrase matching (hand-off, anger, cancel, yes/no), locales, and slot values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpdesk_kit.bot.phrases import (
    CANCEL,
    HANDOFF,
    NEGATIVE,
    PhraseSet,
    detect_locale,
    fill,
    pick_text,
    yes_or_no,
)
from helpdesk_kit.bot.slots import Choice, SlotSpec, SlotType, extract_value, parse_value
from helpdesk_kit.errors import InvalidInput


@pytest.mark.parametrize(
    "text",
    [
        "转人工",
        "我要人工客服",
        "帮我转人工！",
        "human please",
        "Can I talk to an AGENT?",
        "I want a real person",
        "let me speak to someone",
    ],
)
def test_handoff_phrases_match(text):
    assert HANDOFF.matches(text)


@pytest.mark.parametrize(
    "text", ["where is my order", "我的订单到哪了", "agents of change", "personal data"]
)
def test_handoff_phrases_do_not_misfire(text):
    # "agents" and "personal" are other words: Latin phrases match whole words only
    assert not HANDOFF.matches(text)


@pytest.mark.parametrize(
    "text",
    ["你们这服务太垃圾了", "我要投诉", "This is RIDICULOUS", "worst shop ever", "fed up with this"],
)
def test_negative_phrases(text):
    assert NEGATIVE.matches(text)


def test_negative_phrases_leave_ordinary_messages():
    assert not NEGATIVE.matches("the parcel arrived, thank you")
    assert not NEGATIVE.matches("我想退货")


@pytest.mark.parametrize("text", ["取消", "算了吧。", "Cancel", "never mind!", "不用了", "STOP"])
def test_cancel_is_an_exact_command(text):
    assert CANCEL.matches(text)


@pytest.mark.parametrize(
    "text", ["cancel my order 12345678", "取消订单", "please stop the delivery"]
)
def test_cancel_inside_a_sentence_is_not_a_command(text):
    assert not CANCEL.matches(text)


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("yes", True),
        ("Yes, please", True),
        ("是的", True),
        ("是的谢谢", True),
        ("好", True),
        ("不错", True),
        ("ok!", True),
        ("no", False),
        ("No.", False),
        ("不是，订单号是 SO123456", False),
        ("不对", False),
        ("nope", False),
        ("didn't help", False),
        ("maybe", None),
        ("nothing arrived", None),
        ("是不是发错了", None),
        ("", None),
    ],
)
def test_yes_or_no(text, answer):
    assert yes_or_no(text) is answer


def test_detect_locale_keeps_the_current_one_for_numbers():
    assert detect_locale("我的订单", None) == "zh"
    assert detect_locale("my order", "zh") == "en"
    assert detect_locale("SO12345678", "zh-CN") == "zh"
    assert detect_locale("12345678", None, default="en") == "en"
    assert detect_locale("lily@example.cn", "zh") == "zh"  # an address is not English


def test_pick_text_falls_back_by_language_then_default():
    texts = {"en": "hello", "zh-CN": "你好"}
    assert pick_text(texts, "zh") == "你好"
    assert pick_text(texts, "zh-TW") == "你好"
    assert pick_text(texts, "fr") == "hello"
    assert pick_text({"zh": "你好"}, "fr") == "你好"
    assert pick_text({}, "en") == ""


def test_fill_leaves_unknown_placeholders():
    assert fill("order {order} for {who}", {"order": "SO1"}) == "order SO1 for {who}"
    assert fill("broken {", {}) == "broken {"


def test_phrase_set_validation_and_union():
    with pytest.raises(InvalidInput):
        PhraseSet.of("just one string")
    with pytest.raises(InvalidInput):
        PhraseSet.of(["ok", " "])
    both = PhraseSet.of(["alpha"]) | PhraseSet.of(["贝塔"])
    assert both.matches("ALPHA team")
    assert both.matches("这是贝塔版")


ORDER = SlotSpec("order_number", SlotType.ORDER_NUMBER, {"en": "Order number?"})
PHONE = SlotSpec("phone", SlotType.PHONE, {"en": "Phone?"})
EMAIL = SlotSpec("email", SlotType.EMAIL, {"en": "E-mail?"})
CONTACT = SlotSpec("account", SlotType.CONTACT, {"en": "E-mail or phone?"})
TEXT = SlotSpec("note", SlotType.TEXT, {"en": "Anything to add?"}, max_length=20)
REASON = SlotSpec(
    "reason",
    SlotType.CHOICE,
    {"en": "Why? {choices}"},
    choices=(
        Choice("damaged", {"en": "Damaged", "zh": "商品损坏"}, ("broken", "坏了")),
        Choice("wrong_item", {"en": "Wrong item", "zh": "发错货"}),
        Choice("changed_mind", {"en": "Changed my mind", "zh": "不想要了"}),
    ),
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("SO20240611", "SO20240611"),
        ("it's so-2024061100123 thanks", "SO-2024061100123"),
        ("订单号：2024061100123", "2024061100123"),
        ("#12345678", "12345678"),
        ("ＳＯ２０２４０６１１", "SO20240611"),  # full-width
        ("12345", None),  # too short
        ("SO123456 or SO654321", None),  # two: ambiguous
        ("mail me at a12345678@x.cn", None),  # inside an e-mail address
    ],
)
def test_order_numbers(text, value):
    assert parse_value(ORDER, text) == value


def test_order_number_pattern_can_be_replaced():
    spec = SlotSpec("order", SlotType.ORDER_NUMBER, {"en": "?"}, pattern=r"JD\d{4}")
    assert parse_value(spec, "jd1234 please") == "JD1234"
    assert parse_value(spec, "SO20240611") is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("13800138000", "13800138000"),
        ("my phone is 138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("+44 20 7946 0958", "+442079460958"),
        ("12345", None),
    ],
)
def test_phones(text, value):
    assert parse_value(PHONE, text) == value


def test_emails_and_contacts():
    assert parse_value(EMAIL, "it is Lily.Wang@Example.COM.") == "lily.wang@example.com"
    assert parse_value(EMAIL, "no address here") is None
    assert parse_value(CONTACT, "13800138000") == "13800138000"
    assert parse_value(CONTACT, "li@shop.cn") == "li@shop.cn"
    assert parse_value(CONTACT, "li@shop.cn or 13800138000") is None  # which one?


def test_text_slots_take_the_whole_answer_and_are_never_extracted():
    assert parse_value(TEXT, "  left at  the door ") == "left at the door"
    assert parse_value(TEXT, "x" * 21) is None
    assert parse_value(TEXT, "   ") is None
    assert extract_value(TEXT, "anything at all") is None
    pinned = SlotSpec("code", SlotType.TEXT, {"en": "?"}, pattern=r"[A-Z]{3}")
    assert parse_value(pinned, "ABC") == "ABC"
    assert parse_value(pinned, "ABCD") is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2", "wrong_item"),
        ("Damaged", "damaged"),
        ("it arrived broken", "damaged"),
        ("发错货了", "wrong_item"),
        ("坏了", "damaged"),
        ("4", None),
        ("broken and wrong item", None),
        ("no idea", None),
    ],
)
def test_choices(text, value):
    assert parse_value(REASON, text) == value


def test_choice_question_lists_the_options_in_the_locale():
    assert REASON.question("zh") == "Why? 1. 商品损坏  2. 发错货  3. 不想要了"
    assert REASON.question("en").endswith("3. Changed my mind")
    assert extract_value(REASON, "2") is None  # a bare number only answers the question


@given(
    prefix=st.sampled_from(["", "SO", "jd", "AB-"]),
    digits=st.text("0123456789", min_size=6, max_size=20),
    before=st.sampled_from(["", "order ", "订单号", "#", "my order is "]),
    after=st.sampled_from(["", " thanks", "，谢谢", "?"]),
)
def test_an_order_number_in_a_sentence_is_found_exactly(prefix, digits, before, after):
    value = parse_value(ORDER, f"{before}{prefix}{digits}{after}")
    assert value == (prefix + digits).upper()


@given(
    local=st.from_regex(r"[a-z][a-z0-9._]{0,10}", fullmatch=True),
    domain=st.from_regex(r"[a-z]{2,8}\.(cn|com|org)", fullmatch=True),
)
def test_an_email_address_round_trips(local, domain):
    address = f"{local}@{domain}"
    assert parse_value(EMAIL, f"please use {address.upper()} thanks") == address
