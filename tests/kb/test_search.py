"""Tests of SearchIndex: the API, field weights, locales, typos, suggestions, bad input."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk_kit.errors import InvalidInput, NotFound
from helpdesk_kit.kb import MAX_QUERY_TOKENS, FieldWeights, SearchHit, SearchIndex
from helpdesk_kit.text import Tokenizer


@pytest.fixture
def idx() -> SearchIndex:
    index = SearchIndex()
    index.add(
        "pw",
        "How do I reset my password?",
        "Open the sign-in page and select Forgot password.",
        locale="en",
        questions=["I forgot my password", "cannot log in"],
    )
    index.add("ret", "退货退款怎么申请", "在订单详情页点击申请售后，选择退货退款。", locale="zh-CN")
    index.add("track", "Where is my order?", "Track the parcel on the orders page.", locale="en")
    index.add("addr", "修改收货地址", "订单发货前可以在订单详情页修改收货地址。", locale="zh-CN")
    return index


def test_the_documented_api(idx: SearchIndex) -> None:
    assert len(idx) == 4
    hits = idx.search("password", limit=10)
    assert [h.doc_id for h in hits] == ["pw"]
    hit = hits[0]
    assert isinstance(hit, SearchHit)
    assert isinstance(hit.score, float)
    assert hit.locale == "en"
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        hit.score = 0.0  # type: ignore[misc]
    idx.remove("pw")
    assert len(idx) == 3
    assert "pw" not in idx
    assert idx.search("password") == []


def test_adding_the_same_id_replaces_the_document(idx: SearchIndex) -> None:
    idx.add("pw", "Gift cards", "Buy a gift card")
    assert len(idx) == 4
    assert idx.search("password") == []
    assert [h.doc_id for h in idx.search("gift card")] == ["pw"]


def test_removal_leaves_other_results_unchanged(idx: SearchIndex) -> None:
    before = idx.search("订单")
    idx.add("extra", "Unrelated", "nothing here")
    idx.remove("extra")
    assert idx.search("订单") == before


def test_remove_unknown_id() -> None:
    index = SearchIndex()
    with pytest.raises(NotFound):
        index.remove("nope")
    index.remove("nope", missing_ok=True)


def test_chinese_queries_find_chinese_articles(idx: SearchIndex) -> None:
    assert idx.search("我想退货")[0].doc_id == "ret"
    assert idx.search("收货地址写错了")[0].doc_id == "addr"


def test_mixed_language_query(idx: SearchIndex) -> None:
    assert {h.doc_id for h in idx.search("我的order没到")} >= {"track"}


def test_title_and_questions_weigh_more_than_body() -> None:
    index = SearchIndex(tokenizer=Tokenizer(mode="ngram", drop_stopwords=True))
    index.add("in-body", "Shipping", "coupon " + "filler " * 5)
    index.add("in-title", "Coupon", "shipping " + "filler " * 5)
    index.add("in-question", "Shipping", "filler " * 6, questions=["coupon"])
    ranked = [h.doc_id for h in index.search("coupon")]
    assert ranked[-1] == "in-body"
    plain = SearchIndex(
        tokenizer=Tokenizer(mode="ngram", drop_stopwords=True),
        weights=FieldWeights(title=1, questions=1, body=1),
    )
    plain.add("a", "coupon", "x")
    plain.add("b", "x", "coupon")
    assert plain.search("coupon")[0].score == pytest.approx(plain.search("coupon")[1].score)


def test_locale_filter(idx: SearchIndex) -> None:
    assert {h.doc_id for h in idx.search("订单 order", locale="zh")} == {"ret", "addr"}
    assert {h.doc_id for h in idx.search("订单 order", locale="ZH_cn")} == {"ret", "addr"}
    assert {h.doc_id for h in idx.search("订单 order", locale="en")} == {"track"}
    assert idx.search("order", locale="fr") == []


def test_typo_tolerance_for_words_of_four_letters_or_more(idx: SearchIndex) -> None:
    assert idx.search("pasword")[0].doc_id == "pw"  # deletion
    assert idx.search("passwrod")[0].doc_id == "pw"  # swap
    assert idx.search("passwprd")[0].doc_id == "pw"  # substitution
    assert idx.search("paassword")[0].doc_id == "pw"  # insertion
    exact = idx.search("password")[0].score
    assert idx.search("pasword")[0].score < exact  # a correction weighs less
    assert idx.search("ordr") == [] or idx.search("ordr")[0].doc_id == "track"
    assert SearchIndex(fuzzy=False).search("pasword") == []


def test_short_words_are_not_corrected() -> None:
    index = SearchIndex()
    index.add("a", "cat", "")
    assert index.search("cut") == []


def test_neighbours_agree_with_a_vocabulary_scan() -> None:
    from helpdesk_kit.kb.search import _within_one_edit

    index = SearchIndex(tokenizer=Tokenizer(mode="ngram", stem=False))
    vocabulary = ["order", "orders", "border", "odder", "ordre", "refund", "recieve", "receive"]
    index.add("all", " ".join(vocabulary), "")
    for probe in ["ordr", "orderx", "oredr", "recive", "refnud", "zzzz", "bordr"]:
        found = set(index._neighbours(probe))
        scan = {t for t in vocabulary if t != probe and _within_one_edit(probe, t)}
        top = sorted(scan, key=lambda t: t)[:3] if len(scan) > 3 else scan
        assert found <= scan
        assert len(found) == len(top)


def test_suggest_completes_chinese_prefixes(idx: SearchIndex) -> None:
    assert idx.suggest("退")[0].doc_id == "ret"
    assert idx.suggest("退货")[0].doc_id == "ret"
    assert idx.suggest("修改收")[0].doc_id == "addr"


def test_suggest_completes_english_prefixes(idx: SearchIndex) -> None:
    assert idx.suggest("pass")[0].doc_id == "pw"
    assert idx.suggest("reset my passw")[0].doc_id == "pw"
    assert idx.suggest("shippi") == [] or idx.suggest("shippi")[0].doc_id in {"track", "pw"}
    assert idx.suggest("trac")[0].doc_id == "track"


def test_suggest_tolerates_a_typo_in_the_last_word(idx: SearchIndex) -> None:
    assert idx.suggest("passwrd")[0].doc_id == "pw"  # whole-word correction
    assert idx.suggest("pasxsw")[0].doc_id == "pw"  # one extra character, then completion


def test_a_finished_word_is_not_completed(idx: SearchIndex) -> None:
    assert idx.suggest("pass ") == []  # "pass" is a whole word that is not in the index
    assert idx.suggest("pass")  # but still being typed it completes to "password"


@pytest.mark.parametrize("query", ["", "   ", "!!!", "😀😀", "，。", "the a of"])
def test_queries_without_words_give_no_results(idx: SearchIndex, query: str) -> None:
    assert idx.search(query) == []
    assert idx.suggest(query) == []


def test_very_long_query_is_truncated(idx: SearchIndex) -> None:
    query = " ".join(f"word{i}" for i in range(3000)) + " password"
    assert len(query) > 10_000
    assert idx.search(query) == []  # "password" lies beyond the truncation point
    assert len(idx.query_terms("密码 " * 5000)) <= MAX_QUERY_TOKENS
    many = " ".join(f"w{i}x" for i in range(200))
    assert len(SearchIndex(fuzzy=False)._distinct_tokens(many, Tokenizer())) == MAX_QUERY_TOKENS


@pytest.mark.parametrize("bad", [None, 42, b"password", ["password"]])
def test_non_str_query_is_invalid_input(idx: SearchIndex, bad: object) -> None:
    with pytest.raises(InvalidInput):
        idx.search(bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        idx.suggest(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("limit", [0, -1, 1.5, True, "3"])
def test_bad_limit_is_invalid_input(idx: SearchIndex, limit: object) -> None:
    with pytest.raises(InvalidInput):
        idx.search("password", limit=limit)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("", "title"), {}),
        ((1, "title"), {}),
        (("id", None), {}),
        (("id", "title", 5), {}),
        (("id", "title"), {"questions": "one question as a str"}),
        (("id", "title"), {"questions": ["ok", 3]}),
        (("id", "title"), {"locale": ""}),
        (("id", "title"), {"locale": 7}),
    ],
)
def test_bad_documents_are_invalid_input(
    args: tuple[object, ...], kwargs: dict[str, object]
) -> None:
    index = SearchIndex()
    with pytest.raises(InvalidInput):
        index.add(*args, **kwargs)  # type: ignore[arg-type]
    assert len(index) == 0


@pytest.mark.parametrize(
    "kwargs", [{"k1": -1}, {"b": 1.5}, {"b": "x"}, {"tokenizer": str.split}, {"k1": True}]
)
def test_bad_parameters_are_invalid_input(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        SearchIndex(**kwargs)  # type: ignore[arg-type]


def test_field_weights_must_be_non_negative_ints() -> None:
    with pytest.raises(InvalidInput):
        FieldWeights(title=-1)
    with pytest.raises(InvalidInput):
        FieldWeights(body=1.5)  # type: ignore[arg-type]


def test_empty_documents_count_but_never_match() -> None:
    index = SearchIndex()
    index.add("empty", "!!!", "😀")
    assert len(index) == 1
    assert index.search("anything") == []
    index.add("real", "refund", "")
    assert index.search("refund")[0].doc_id == "real"


def test_stats(idx: SearchIndex) -> None:
    stats = idx.stats()
    assert stats.documents == 4
    assert stats.terms > 0
    assert stats.postings >= stats.terms
    assert SearchIndex().stats().average_length == 0.0


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.integers(1, 20))
def test_random_unicode_queries_never_crash(query: str, limit: int) -> None:
    index = _shared_index()
    hits = index.search(query, limit=limit)
    assert len(hits) <= limit
    assert all(h.score > 0 for h in hits)
    assert len(index.suggest(query, limit=limit)) <= limit


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=100), st.text(max_size=100))
def test_random_unicode_documents_never_crash(title: str, body: str) -> None:
    index = SearchIndex()
    index.add("x", title, body, questions=[body[:10]])
    assert len(index) == 1
    index.remove("x")
    assert len(index) == 0
    assert index.stats().terms == 0


_INDEX: list[SearchIndex] = []


def _shared_index() -> SearchIndex:
    if not _INDEX:
        index = SearchIndex()
        index.add("a", "退货退款 refund", "order parcel 订单 快递 SO20261126001")
        index.add("b", "Password reset", "忘记密码 verification code")
        _INDEX.append(index)
    return _INDEX[0]
