"""Tests of UnansweredQueries."""

from __future__ import annotations

import pytest

from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.kb import SearchHit, SearchIndex, UnansweredQueries, normalize_query


def test_queries_without_results_are_counted_under_their_normalized_form() -> None:
    counter = UnansweredQueries()
    assert counter.record("  Where is my ORDER?? ", [])
    assert counter.record("where is my order", [])
    assert counter.record("ＷＨＥＲＥ　is my order", [])
    assert counter.most_common() == [("where is my order", 3)]
    assert counter.total == 3
    assert len(counter) == 1


def test_weak_results_count_and_good_ones_do_not() -> None:
    counter = UnansweredQueries(min_score=2.0)
    assert counter.record("weak", [SearchHit("a", 1.5)])
    assert not counter.record("strong", [SearchHit("a", 1.5), SearchHit("b", 2.5)])
    assert counter.most_common() == [("weak", 1)]


def test_most_common_orders_by_count() -> None:
    counter = UnansweredQueries()
    for query, times in [("发票抬头", 3), ("gift wrap", 5), ("退款", 1)]:
        for _ in range(times):
            counter.record(query, [])
    assert counter.most_common(2) == [("gift wrap", 5), ("发票抬头", 3)]
    counter.clear()
    assert counter.most_common() == []
    assert counter.total == 0


def test_by_default_only_queries_without_any_result_count() -> None:
    counter = UnansweredQueries()
    assert counter.min_score == 0.0
    assert not counter.record("weak", [SearchHit("a", 0.01)])
    assert counter.record("nothing", [])


def test_empty_and_punctuation_queries_are_not_counted() -> None:
    counter = UnansweredQueries()
    assert not counter.record("", [])
    assert not counter.record("?!...", [])
    assert counter.total == 0


def test_memory_is_bounded_and_frequent_queries_survive() -> None:
    counter = UnansweredQueries(max_queries=50)
    for _ in range(5):
        counter.record("frequent question", [])
    for i in range(500):
        counter.record(f"rare question {i}", [])
    assert len(counter) <= 50
    assert counter.most_common(1) == [("frequent question", 5)]
    assert counter.total == 505


def test_works_with_a_search_index() -> None:
    index = SearchIndex()
    index.add("inv", "How do I get an invoice?", "Choose the invoice type at checkout.")
    counter = UnansweredQueries(min_score=0.1)
    for query in ["invoice", "gift wrapping", "Gift wrapping?"]:
        counter.record(query, index.search(query))
    assert counter.most_common() == [("gift wrapping", 2)]


def test_bad_arguments() -> None:
    with pytest.raises(InvalidInput):
        UnansweredQueries(max_queries=0)
    with pytest.raises(InvalidInput):
        UnansweredQueries(min_score="high")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        UnansweredQueries().record(None, [])  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        UnansweredQueries().most_common(-1)


def test_normalize_query() -> None:
    assert normalize_query("  Hello,   WORLD!! ") == "hello, world"
    assert normalize_query("退款\u200b多久？") == "退款多久"
