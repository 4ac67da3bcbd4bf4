"""Tests of helpdesk_kit.text.normalize."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.text import normalize


def test_full_width_letters_digits_and_punctuation_become_ascii() -> None:
    assert normalize("ＳＯ２０２６１１２６００１，ＯＫ！") == "so20261126001,ok!"


def test_case_folding() -> None:
    assert normalize("Where Is My ORDER") == "where is my order"
    assert normalize("Straße") == "strasse"


def test_zero_width_characters_are_removed() -> None:
    assert normalize("pass\u200bword\ufeff 退\u200d货") == "password 退货"


def test_control_characters_become_spaces_but_whitespace_stays() -> None:
    assert normalize("a\x00b\tc\nd") == "a b\tc\nd"
    assert normalize("退\x07货") == "退 货"


def test_chinese_text_is_kept() -> None:
    assert normalize("我的订单没到") == "我的订单没到"


def test_non_str_is_rejected() -> None:
    with pytest.raises(InvalidInput):
        normalize(b"bytes")  # type: ignore[arg-type]


@given(st.text())
def test_normalize_is_idempotent_and_never_crashes(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
