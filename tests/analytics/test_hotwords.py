"""Hot words: top words and phrases, rising terms, example tickets; against a brute force."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk_kit.analytics.hotwords import hot_words, sample_every, ticket_terms
from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.text import Tokenizer


def docs(*texts):
    return [(f"t{i}", 1000 + i, text) for i, text in enumerate(texts)]


def test_chinese_and_english_terms_without_stop_words_and_ids():
    tok = Tokenizer(mode="auto", stem=False, drop_stopwords=True)
    terms = ticket_terms(["您好，请问退款什么时候到账？订单号 SO20261126001"], tok)
    words = {t for t, phrase in terms if not phrase}
    assert {"退款", "到账"} <= words
    assert not any("so2026" in w or w in ("您好", "请问", "什么") for w in words)
    english = {t for t, p in ticket_terms(["Where is my refund? The refund is late"], tok)}
    assert "refund" in english
    assert "the" not in english
    assert "where" not in english


def test_counts_tickets_not_occurrences_and_shows_recent_examples():
    current = [
        *docs("退款 退款 退款", "退款到账", "优惠券过期", "退款慢"),
        ("t9", 1009, "优惠券"),
        ("t9", 1009, "优惠券又过期"),  # two messages of one ticket
    ]
    hw = hot_words(current, [], top=5, examples=2, mode="ngram")
    top = {t.term: t for t in hw.top}
    assert hw.tickets == 5
    assert top["退款"].tickets == 3
    assert top["退款"].examples == (1003, 1001)
    assert top["优惠"].tickets == 2


def test_rising_terms_compare_shares_with_the_previous_period():
    before = docs(*(["退款慢"] * 8 + ["优惠券"] * 2))
    now = docs(*(["退款慢"] * 4 + ["优惠券不能用"] * 6))
    hw = hot_words(now, before, min_tickets=3, rising=5, mode="jieba")
    rising = {t.term: t for t in hw.rising}
    assert rising["不能"].previous == 0
    assert rising["不能"].growth is None
    assert hw.rising[0].term == "不能"
    coupon = rising["优惠券"]
    assert (coupon.share, coupon.previous_share) == (0.6, 0.2)
    assert coupon.growth == pytest.approx(3.0)
    assert "退款" not in rising  # it fell from 80 % to 40 %


def test_phrases_are_adjacent_kept_words():
    hw = hot_words(docs("refund delayed again", "refund delayed", "refund delayed twice"), [])
    assert hw.phrases[0].term == "refund delayed"
    assert hw.phrases[0].tickets == 3


def test_bad_arguments_and_sampling():
    with pytest.raises(InvalidInput):
        hot_words([], [], min_tickets=0)
    assert sample_every(100, 3000) == 1
    assert sample_every(10_000, 3000) == 4
    assert sample_every(10, 0) == 1


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(
            st.sampled_from(["refund", "coupon", "delivery", "invoice", "late", "broken"]),
            min_size=1,
            max_size=6,
        ),
        min_size=1,
        max_size=15,
    )
)
def test_top_words_equal_a_brute_force_count(tickets):
    current = [(f"t{i}", i, " ".join(words)) for i, words in enumerate(tickets)]
    hw = hot_words(current, [], top=50, mode="ngram")
    expected = Counter(w for words in tickets for w in set(words))
    assert {t.term: t.tickets for t in hw.top} == dict(expected)
    assert [t.tickets for t in hw.top] == sorted((t.tickets for t in hw.top), reverse=True)
