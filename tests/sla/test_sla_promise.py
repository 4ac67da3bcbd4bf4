"""The promised reply time in the customer's language and zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.sla import format_due, format_promise
from helpdesk_kit.sla.promise import promise_language

DUE = datetime(2026, 11, 26, 2, 30, tzinfo=UTC)  # 10:30 in Shanghai


@pytest.mark.parametrize(
    ("locale", "zone", "text"),
    [
        ("zh", "Asia/Shanghai", "我们将在 11月26日 10:30 前回复您"),
        ("zh_CN", "Asia/Shanghai", "我们将在 11月26日 10:30 前回复您"),
        ("zh-Hant-TW", "Asia/Taipei", "我們將在 11月26日 10:30 前回覆您"),
        ("zh-HK", "Asia/Hong_Kong", "我們將在 11月26日 10:30 前回覆您"),
        ("en", "Asia/Shanghai", "We will reply by 26 Nov 10:30"),
        ("en-US", "America/New_York", "We will reply by 25 Nov 21:30"),
        ("de-DE", "Europe/Berlin", "We will reply by 26 Nov 03:30"),
        (None, "Asia/Shanghai", "我们将在 11月26日 10:30 前回复您"),
    ],
)
def test_promise_in_language_and_zone(locale: str | None, zone: str, text: str) -> None:
    assert format_promise(DUE, locale, zone) == text


def test_seconds_round_up_and_the_year_shows_when_it_differs() -> None:
    assert format_due(DUE.replace(second=1), "en") == "26 Nov 10:31"
    assert format_due(DUE.replace(minute=59, second=30), "zh") == "11月26日 11:00"
    new_year = datetime(2027, 1, 4, 1, 0, tzinfo=UTC)
    now = datetime(2026, 12, 31, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert format_due(new_year, "zh", now=now) == "2027年1月4日 09:00"
    assert format_due(new_year, "en", now=now) == "4 Jan 2027 09:00"
    assert format_due(new_year, "en", now=new_year) == "4 Jan 09:00"


def test_language_choice_and_bad_input() -> None:
    assert promise_language("zh-SG") == "zh-Hans"
    assert promise_language("ZH_mo") == "zh-Hant"
    assert promise_language("fr") == "en"
    with pytest.raises(InvalidInput, match="naive"):
        format_promise(DUE.replace(tzinfo=None), "zh")
    with pytest.raises(InvalidInput, match="time zone"):
        format_promise(DUE, "zh", "Mars/Olympus")
