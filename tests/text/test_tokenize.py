"""Tests of tokenization: both Chinese paths (jieba and n-grams), English, numbers, noise."""

from __future__ import annotations

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk_kit.errors import ConfigurationError, InvalidInput
from helpdesk_kit.text import Tokenizer, bigrams, jieba_available, segment, tokenize
from helpdesk_kit.text.stopwords import CHINESE_STOP_WORDS, ENGLISH_STOP_WORDS, is_stop_word

needs_jieba = pytest.mark.skipif(not jieba_available(), reason="jieba (the zh extra) missing")


@pytest.fixture
def without_jieba(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend jieba is not installed: a fresh loader state and a blocked import."""
    monkeypatch.setattr(segment, "_state", segment._JiebaState())
    monkeypatch.setitem(sys.modules, "jieba", None)
    return


@needs_jieba
def test_mixed_chinese_english_and_order_number() -> None:
    tokens = tokenize("我的订单12345没到 where is my order")
    assert "订单" in tokens
    assert "12345" in tokens
    assert "order" in tokens
    assert tokens.index("订单") < tokens.index("12345") < tokens.index("order")


@needs_jieba
def test_jieba_segments_words() -> None:
    assert tokenize("退货退款", mode="jieba") == ["退货", "退款"]
    assert tokenize("我想修改收货地址", mode="jieba", drop_stopwords=True) == [
        "修改",
        "收货",
        "地址",
    ]


@needs_jieba
def test_domain_dictionary_reads_not_received_correctly() -> None:
    assert "收到" in tokenize("没收到货", mode="jieba")


@needs_jieba
def test_cjk_subwords_add_dictionary_parts_of_long_words() -> None:
    tokens = tokenize("优惠券", mode="jieba", cjk_subwords=True)
    assert "优惠" in tokens
    assert "优惠券" in tokens


def test_ngram_mode_gives_unigrams_and_bigrams_in_order() -> None:
    assert tokenize("退货退款", mode="ngram") == ["退", "退货", "货", "货退", "退", "退款", "款"]


def test_ngram_mode_drops_chinese_stop_words() -> None:
    tokens = tokenize("我的订单", mode="ngram", drop_stopwords=True)
    assert "我" not in tokens
    assert "的" not in tokens
    assert "我的" not in tokens
    assert "订单" in tokens


@pytest.mark.parametrize("mode", ["ngram", pytest.param("jieba", marks=needs_jieba)])
def test_order_ids_and_numbers_stay_whole(mode: str) -> None:
    tokens = tokenize("订单SO20261126001还没发货, total 1,299.50 or 12.5", mode=mode)  # type: ignore[arg-type]
    assert "so20261126001" in tokens
    assert "1,299.50" in tokens
    assert "12.5" in tokens


def test_full_width_order_id_is_one_token() -> None:
    assert "so20261126001" in tokenize("ＳＯ２０２６１１２６００１", mode="ngram")


def test_email_addresses_stay_whole() -> None:
    assert tokenize("mail Ann.Lee+shop@Example.COM now", mode="ngram") == [
        "mail",
        "ann.lee+shop@example.com",
        "now",
    ]


def test_english_is_case_folded_and_stemmed() -> None:
    assert tokenize("Orders SHIPPED") == ["order", "ship"]
    assert tokenize("Orders SHIPPED", stem=False) == ["orders", "shipped"]


def test_apostrophes_inside_words_are_dropped() -> None:
    assert tokenize("don't can’t customer's", stem=False) == ["dont", "cant", "customers"]


@pytest.mark.parametrize("text", ["", "   ", "!!!", "...?!", "😀🎉👍", "，。！？", "😀 -- 🙃"])
def test_punctuation_and_emoji_only_give_no_tokens(text: str) -> None:
    assert tokenize(text) == []
    assert tokenize(text, mode="ngram") == []


def test_emoji_between_words_is_dropped() -> None:
    assert tokenize("refund😡please", stem=False) == ["refund", "please"]


def test_stop_words_are_kept_unless_asked() -> None:
    assert tokenize("where is my order") == ["wher", "is", "my", "order"]
    assert tokenize("where is my order", drop_stopwords=True) == ["order"]


def test_stop_word_lists_are_separate_and_lowercase() -> None:
    assert "the" in ENGLISH_STOP_WORDS
    assert "的" in CHINESE_STOP_WORDS
    assert is_stop_word("怎么")
    assert not is_stop_word("退款")
    assert all(w == w.lower() for w in ENGLISH_STOP_WORDS)


def test_kana_and_hangul_use_ngrams() -> None:
    assert tokenize("カタ", mode="ngram") == ["カ", "カタ", "タ"]


def test_without_jieba_auto_falls_back_to_ngrams(without_jieba: None) -> None:
    assert not jieba_available()
    assert Tokenizer().resolved().mode == "ngram"
    assert tokenize("退货退款") == ["退", "退货", "货", "货退", "退", "退款", "款"]


def test_without_jieba_mode_jieba_is_a_clear_error(without_jieba: None) -> None:
    with pytest.raises(ConfigurationError, match="zh"):
        tokenize("退货", mode="jieba")
    assert tokenize("refund", mode="jieba") == ["refund"]  # no Chinese, no need for jieba


@needs_jieba
def test_jieba_loads_quietly_once(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(segment, "_state", segment._JiebaState())
    first = segment.jieba_segmenter()
    assert first is not None
    assert segment.jieba_segmenter() is first
    captured = capfd.readouterr()
    assert captured.out == ""
    assert captured.err == ""


@needs_jieba
def test_auto_mode_resolves_to_jieba_when_installed() -> None:
    assert Tokenizer().resolved().mode == "jieba"


def test_bad_mode_and_bad_text_are_rejected() -> None:
    with pytest.raises(InvalidInput):
        Tokenizer(mode="spacy")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        tokenize(None)  # type: ignore[arg-type]


def test_bigrams() -> None:
    assert bigrams(["退款", "慢", "refund"]) == [("退款", "慢"), ("慢", "refund")]
    assert bigrams(["one"]) == []
    assert bigrams([]) == []
    with pytest.raises(InvalidInput):
        bigrams("not tokens")


def test_tokenizer_is_a_value() -> None:
    assert Tokenizer(mode="ngram") == Tokenizer(mode="ngram")
    assert Tokenizer(mode="ngram")("Orders") == ["order"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200), st.sampled_from(["auto", "ngram"]), st.booleans())
def test_random_unicode_never_crashes(text: str, mode: str, drop: bool) -> None:
    tokens = tokenize(text, mode=mode, drop_stopwords=drop)  # type: ignore[arg-type]
    assert all(isinstance(t, str) and t and not any(c.isspace() for c in t) for t in tokens)
