"""Tests for the shipped starter examples and the benchmark's held-out set."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from helpdesk_kit.bot import OUT_OF_SCOPE, STARTER_LOCALES, load_starter_examples
from helpdesk_kit.bot.intents import _dedupe_key
from helpdesk_kit.errors import InvalidInput

INTENTS = {
    "order_status",
    "delivery_time",
    "change_address",
    "cancel_order",
    "return_refund",
    "refund_status",
    "payment_failed",
    "invoice",
    "coupon",
    "password_reset",
    "account_locked",
    "talk_to_human",
    "product_question",
    "complaint",
    "greeting",
    "thanks",
}
TEST_SET = Path(__file__).parents[2] / "benchmarks" / "data" / "intents_test.tsv"


@pytest.mark.parametrize("locale", STARTER_LOCALES)
def test_every_intent_has_at_least_30_examples_per_language(locale: str) -> None:
    counts = Counter(intent for _, intent in load_starter_examples(locale))
    assert set(counts) == INTENTS | {OUT_OF_SCOPE}
    assert min(counts[i] for i in INTENTS) >= 30
    assert counts[OUT_OF_SCOPE] >= 30


def test_all_locales_together_and_locale_spelling() -> None:
    everything = load_starter_examples()
    assert len(everything) == sum(len(load_starter_examples(loc)) for loc in STARTER_LOCALES)
    assert load_starter_examples("zh-CN") == load_starter_examples("zh")
    assert load_starter_examples("en_US") == load_starter_examples("en")


def test_unknown_locale_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="available: en, zh"):
        load_starter_examples("fr")


def test_no_duplicate_texts() -> None:
    keys = Counter(_dedupe_key(text) for text, _ in load_starter_examples())
    assert [k for k, n in keys.items() if n > 1] == []


def test_chinese_data_has_mixed_language_and_numbers() -> None:
    texts = [t for t, _ in load_starter_examples("zh")]
    assert sum(bool(re.search(r"[a-z]{3,}", t, re.I)) for t in texts) >= 30
    assert sum(bool(re.search(r"\d{6,}", t)) for t in texts) >= 10


def _overlap_key(text: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).casefold())


def test_benchmark_test_set_is_disjoint_from_training_data() -> None:
    rows = [
        line.split("\t")
        for line in TEST_SET.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert len(rows) >= 1000
    assert sum(1 for _, intent, _ in rows if intent == OUT_OF_SCOPE) >= 150
    assert {intent for _, intent, _ in rows} == INTENTS | {OUT_OF_SCOPE}
    train = {_overlap_key(t) for t, _ in load_starter_examples()}
    assert [text for _, _, text in rows if _overlap_key(text) in train] == []
