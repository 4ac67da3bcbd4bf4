"""Property tests: the incremental index agrees with a from-scratch BM25F oracle."""

from __future__ import annotations

import math
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

import helpdesk_kit.kb.search as search_module
from helpdesk_kit.kb import FieldWeights, SearchIndex
from helpdesk_kit.text import Tokenizer

from .oracle import Oracle

WORDS = [
    "order",
    "refund",
    "parcel",
    "password",
    "invoice",
    "coupon",
    "late",
    "退款",
    "订单",
    "发票",
    "快递",
    "密码",
    "SO123",
    "12345",
]
TOKENIZER = Tokenizer(mode="ngram", drop_stopwords=True)

texts = st.lists(st.sampled_from(WORDS), min_size=0, max_size=6).map(" ".join)
doc_ids = st.sampled_from([f"d{i}" for i in range(8)])
add_op = st.tuples(
    st.just("add"),
    doc_ids,
    texts,
    texts,
    st.lists(texts, max_size=2),
    st.sampled_from([None, "en", "zh-CN"]),
)
remove_op = st.tuples(st.just("remove"), doc_ids)
operations = st.lists(st.one_of(add_op, remove_op), min_size=1, max_size=25)
queries = st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join)


def _check(idx: SearchIndex, oracle: Oracle, query: str, limit: int, locale: str | None) -> None:
    hits = idx.search(query, limit=limit, locale=locale)
    expected = oracle.top(query, limit, locale)
    all_scores = oracle.scores(query, locale)
    assert len(hits) == len(expected)
    for hit, (_, score) in zip(hits, expected, strict=True):
        assert math.isclose(hit.score, score, rel_tol=1e-9)  # same score at every rank
        assert math.isclose(all_scores[hit.doc_id], hit.score, rel_tol=1e-9)  # and the right doc
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def _run(ops: list[tuple[object, ...]], query: str, limit: int, weights: FieldWeights) -> None:
    idx = SearchIndex(tokenizer=TOKENIZER, weights=weights, fuzzy=False)
    oracle = Oracle(idx.tokenizer, weights, k1=1.2, b=0.75)
    for op in ops:
        if op[0] == "add":
            _, doc_id, title, body, questions, locale = op
            idx.add(doc_id, title, body, questions=questions, locale=locale)  # type: ignore[arg-type]
            oracle.add(doc_id, title, body, questions, locale)  # type: ignore[arg-type]
        else:
            doc_id = op[1]
            idx.remove(doc_id, missing_ok=True)  # type: ignore[arg-type]
            if doc_id in oracle.docs:
                oracle.remove(doc_id)  # type: ignore[arg-type]
        assert len(idx) == len(oracle.docs)
        assert sorted(idx.doc_ids()) == sorted(oracle.docs)
    for locale in (None, "zh", "en"):
        _check(idx, oracle, query, limit, locale)


@settings(max_examples=150, deadline=None)
@given(operations, queries, st.integers(1, 10))
def test_add_remove_sequences_match_the_oracle(
    ops: list[tuple[object, ...]], query: str, limit: int
) -> None:
    _run(ops, query, limit, FieldWeights())


@settings(max_examples=150, deadline=None)
@given(operations, queries, st.integers(1, 4), st.integers(0, 4), st.integers(0, 4))
def test_impact_blocks_and_pruning_match_the_oracle(
    ops: list[tuple[object, ...]], query: str, limit: int, wt: int, wq: int
) -> None:
    # Tiny block threshold: every term gets impact blocks, so pruning is exercised.
    with mock.patch.object(search_module, "_BLOCK_MIN_DF", 1):
        _run(ops, query, limit, FieldWeights(title=wt, questions=wq, body=1))


def test_pruned_search_on_a_larger_corpus_matches_the_oracle() -> None:
    idx = SearchIndex(tokenizer=TOKENIZER, fuzzy=False)
    oracle = Oracle(idx.tokenizer, FieldWeights(), 1.2, 0.75)
    words = WORDS[:7]
    for i in range(700):  # common words get more than _BLOCK_MIN_DF documents
        title = " ".join(words[(i * j) % 7] for j in range(1 + i % 3))
        body = " ".join(words[(i + j * j) % 7] for j in range(3 + i % 11))
        idx.add(f"a{i}", title, body)
        oracle.add(f"a{i}", title, body, (), None)
    queries = ["order", "order refund", "parcel late password", "coupon invoice order late"]
    for step in (0, 1):  # remove a third, then another third: stale block entries pile up
        for i in range(step, 700, 3):
            idx.remove(f"a{i}")
            oracle.remove(f"a{i}")
        assert idx.stats().blocked_terms > 0
        for query in queries:
            for limit in (1, 5, 20):
                _check(idx, oracle, query, limit, None)
    for i in range(2, 700, 3):  # re-add the rest under the same ids with new text
        idx.add(f"a{i}", "refund", "late parcel order")
        oracle.add(f"a{i}", "refund", "late parcel order", (), None)
    for query in queries:
        _check(idx, oracle, query, 10, None)
