"""Tests of the starter FAQ pack."""

from __future__ import annotations

import datetime as dt
from importlib import resources

import pytest

from helpdesk_kit.errors import InvalidDefinition, InvalidInput
from helpdesk_kit.kb import SearchIndex, StarterFaq, index_starter_faqs, load_starter_faqs
from helpdesk_kit.kb.starter import _faq_from_text

TOPICS = {
    "order-status",
    "delivery-time",
    "change-address",
    "cancel-order",
    "return-policy",
    "refund-time",
    "exchange",
    "payment-methods",
    "payment-failed",
    "reset-password",
    "account-locked",
    "change-contact",
    "invoice",
    "coupon",
    "membership",
    "privacy",
    "contact-hours",
}


def test_at_least_24_faqs_each_in_chinese_and_english() -> None:
    faqs = load_starter_faqs()
    keys = {f.key for f in faqs}
    assert len(keys) >= 24
    for key in keys:
        assert {f.locale for f in faqs if f.key == key} == {"en", "zh-CN"}
    assert keys >= TOPICS


def test_every_faq_is_complete() -> None:
    for faq in load_starter_faqs():
        assert isinstance(faq, StarterFaq)
        assert faq.title
        assert faq.category
        assert len(faq.body) > 100
        assert faq.tags
        assert len(faq.questions) >= 2
        assert isinstance(faq.review_by, dt.date)
        assert faq.doc_id == f"{faq.key}:{faq.locale}"


def test_chinese_faqs_are_written_in_chinese() -> None:
    for faq in load_starter_faqs("zh"):
        han = sum("\u4e00" <= ch <= "\u9fff" for ch in faq.body)
        assert han > len(faq.body) / 3, faq.key


def test_service_hours_and_email_promise() -> None:
    en = next(f for f in load_starter_faqs("en") if f.key == "contact-hours")
    zh = next(f for f in load_starter_faqs("zh") if f.key == "contact-hours")
    assert "Monday to Friday, 9:00–18:00" in en.body
    assert "24 hours" in en.body
    assert "周一至周五 9:00–18:00" in zh.body
    assert "24 小时" in zh.body


def test_files_ship_inside_the_package() -> None:
    root = resources.files("helpdesk_kit.kb.starter")
    assert root.joinpath("en", "order-status.md").is_file()
    assert root.joinpath("zh", "order-status.md").is_file()


def test_locale_filter() -> None:
    assert {f.locale for f in load_starter_faqs("zh")} == {"zh-CN"}
    assert {f.locale for f in load_starter_faqs("EN")} == {"en"}
    assert load_starter_faqs("fr") == []
    with pytest.raises(InvalidInput):
        load_starter_faqs("")


def test_indexing_the_pack_answers_typical_questions() -> None:
    index = SearchIndex()
    assert index_starter_faqs(index) == len(load_starter_faqs())
    assert index.search("退款多久到账")[0].doc_id == "refund-time:zh-CN"
    assert index.search("forgot my password")[0].doc_id == "reset-password:en"
    assert index.search("客服几点上班")[0].doc_id == "contact-hours:zh-CN"


def test_bad_faq_files_are_reported() -> None:
    with pytest.raises(InvalidDefinition) as info:
        _faq_from_text("---\nkey: x\ntags: one\nreview_by: soon\ncolour: red\n---\n", "bad.md")
    text = str(info.value)
    for fragment in ["'locale'", "'title'", "tags must be a list", "review_by", "colour", "empty"]:
        assert fragment in text
