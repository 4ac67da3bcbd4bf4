from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpdesk_kit.duration import format_duration, parse_duration
from helpdesk_kit.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("2h", timedelta(hours=2)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("1h30m", timedelta(minutes=90)),
        ("1w", timedelta(days=7)),
        ("90", timedelta(seconds=90)),
        (45, timedelta(seconds=45)),
        ("-2h", timedelta(hours=-2)),
        (timedelta(minutes=3), timedelta(minutes=3)),
    ],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["", "2x", "h2", "1h 3", None, True, [1]])
def test_parse_duration_rejects(bad):
    with pytest.raises(InvalidInput):
        parse_duration(bad)


@given(st.integers(min_value=-(10**7), max_value=10**7))
def test_format_parse_round_trip(seconds):
    delta = timedelta(seconds=seconds)
    assert parse_duration(format_duration(delta)) == delta
