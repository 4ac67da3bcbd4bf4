"""Tests of the light English stemmer."""

from __future__ import annotations

import pytest

from helpdesk_kit.text import stem


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["order", "orders", "ordered", "ordering"], "order"),
        (["change", "changes", "changed", "changing"], "chang"),
        (["ship", "ships", "shipped", "shipping"], "ship"),
        (["refund", "refunds", "refunded"], "refund"),
        (["invoice", "invoices"], "invoic"),
        (["address", "addresses"], "address"),
        (["deliveries"], "delivery"),
        (["apply", "applied"], "apply"),
        (["try", "tries", "tried"], "try"),
        (["box", "boxes"], "box"),
        (["cancel", "cancels", "cancelled", "canceled", "cancelling"], "cancel"),
        (["use", "uses", "used", "using"], "use"),
        (["receive", "received", "receiving"], "receiv"),
        (["process", "processed", "processing"], "process"),
    ],
)
def test_inflections_share_a_stem(words: list[str], expected: str) -> None:
    assert {stem(w) for w in words} == {expected}


@pytest.mark.parametrize(
    "word",
    ["status", "this", "bus", "need", "agree", "free", "the", "12345", "so2026", "退货", "café"],
)
def test_words_that_must_not_change(word: str) -> None:
    assert stem(word) == word


def test_short_stems_are_not_produced_from_short_words() -> None:
    assert stem("thing") == "thing"  # "th" would be too short to mean anything
    assert stem("string") == "string"  # no vowel left in "str"
