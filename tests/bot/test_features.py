"""Tests for the lexical feature extractor."""

from __future__ import annotations

import math
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from helpdesk_kit.bot.features import (
    CJK,
    SEPARATOR,
    FeatureExtractor,
    _runs,
    char_class,
    normalize_text,
)

texts = st.text(
    alphabet=st.sampled_from([*list("退款订单号abcXYZ ?!,，。１２3456789０😡é"), "我", "的"]),
    max_size=40,
)


def test_full_width_and_case_are_normalised() -> None:
    fe = FeatureExtractor()
    assert fe.counts("ＲＥＦＵＮＤ　１２３４５６") == fe.counts("refund 123456")


def test_cjk_runs_give_padded_char_ngrams() -> None:
    counts = FeatureExtractor().counts("退款")
    assert counts == {
        "c:退": 1.0,
        "c:款": 1.0,
        "c:<退": 1.0,
        "c:退款": 1.0,
        "c:款>": 1.0,
        "c:<退款": 1.0,
        "c:退款>": 1.0,
    }


def test_latin_words_give_words_bigrams_and_char_ngrams() -> None:
    counts = FeatureExtractor().counts("my refund")
    assert counts["w:my"] == 1.0
    assert counts["w:refund"] == 1.0
    assert counts["b:my_refund"] == 1.0
    assert counts["c:<re"] == 1.0
    assert counts["c:nd>"] == 1.0
    # a typo still shares most character n-grams with the right spelling
    typo = FeatureExtractor().counts("refnd")
    assert {"c:<re", "c:ref", "c:nd>"} <= set(typo)


def test_digit_shapes() -> None:
    fe = FeatureExtractor()
    assert "<NUM1>" in fe.counts("3")
    assert "<NUM2-3>" in fe.counts("15")
    assert "<NUM4-5>" in fe.counts("2024")
    assert "<NUM6+>" in fe.counts("订单20240518337")
    assert "<PHONE>" in fe.counts("13812345678")
    assert not any(k.startswith("c:1") for k in fe.counts("13812345678"))


def test_marks_and_emoji_are_features() -> None:
    counts = FeatureExtractor().counts("where?? 😡!")
    assert counts["p:?"] == 2.0
    assert counts["p:!"] == 1.0
    assert counts["p:😡"] == 1.0


def test_extra_tokens_are_a_further_source() -> None:
    fe = FeatureExtractor(extra_tokens=lambda text: ["退款", " ", "进度"])
    counts = fe.counts("退款进度")
    assert counts["t:退款"] == 1.0
    assert counts["t:进度"] == 1.0
    assert "t: " not in counts


def test_empty_text_has_no_features() -> None:
    assert FeatureExtractor().counts("  ,，。 ") == {}
    assert FeatureExtractor().vector("", {"c:a": 1.0}) == {}


@given(texts)
def test_runs_partition_the_non_separator_characters(text: str) -> None:
    norm = normalize_text(text)
    runs = _runs(norm)
    # oracle: the characters of all runs, in order, are the non-separator characters
    assert "".join(run for _, run in runs) == "".join(
        ch for ch in norm if char_class(ch) != SEPARATOR
    )
    for cls, run in runs:
        assert run
        assert all(char_class(ch) == cls for ch in run)


@given(texts)
def test_cjk_unigram_counts_match_a_brute_force_count(text: str) -> None:
    counts = FeatureExtractor().counts(text)
    norm = normalize_text(text)
    for ch in set(norm):
        if char_class(ch) == CJK:
            assert counts["c:" + ch] == norm.count(ch)


@given(texts)
def test_vector_is_unit_length_or_empty(text: str) -> None:
    fe = FeatureExtractor()
    idf = {k: 1.0 + i / 10 for i, k in enumerate(sorted(fe.counts(text)))}
    vector = fe.vector(text, idf)
    if vector:
        assert math.isclose(math.sqrt(sum(v * v for v in vector.values())), 1.0)
    else:
        assert not idf


@given(texts)
def test_nfkc_input_gives_the_same_features(text: str) -> None:
    fe = FeatureExtractor()
    assert fe.counts(text) == fe.counts(unicodedata.normalize("NFKC", text))
