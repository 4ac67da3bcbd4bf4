from datetime import UTC, datetime, timedelta, timezone

import pytest

from helpdesk_kit.clock import FrozenClock, SystemClock, ensure_aware, to_utc
from helpdesk_kit.errors import InvalidInput


def test_system_clock_is_aware_utc():
    now = SystemClock().now()
    assert now.tzinfo is UTC


def test_frozen_clock_advance_and_set():
    clock = FrozenClock(datetime(2026, 11, 26, 9, 0, tzinfo=timezone(timedelta(hours=8))))
    assert clock.now() == datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    assert clock.advance(minutes=30) == datetime(2026, 11, 26, 1, 30, tzinfo=UTC)
    assert clock.advance(timedelta(hours=1), seconds=5) == datetime(
        2026, 11, 26, 2, 30, 5, tzinfo=UTC
    )
    clock.set(datetime(2026, 1, 1, tzinfo=UTC))
    assert clock.now() == datetime(2026, 1, 1, tzinfo=UTC)


def test_frozen_clock_rejects_naive_and_backwards_advance():
    with pytest.raises(InvalidInput, match="naive"):
        FrozenClock(datetime(2026, 1, 1))
    clock = FrozenClock()
    with pytest.raises(InvalidInput, match="naive"):
        clock.set(datetime(2026, 1, 1))
    with pytest.raises(InvalidInput, match="non-negative"):
        clock.advance(-1)


def test_ensure_aware_message_names_the_value():
    with pytest.raises(InvalidInput, match=r"due_at is a naive datetime \(2026-01-01T00:00:00\)"):
        ensure_aware(datetime(2026, 1, 1), "due_at")
    with pytest.raises(InvalidInput, match="must be a datetime"):
        ensure_aware("2026-01-01", "x")  # type: ignore[arg-type]
    assert to_utc(datetime(2026, 1, 1, 8, tzinfo=timezone(timedelta(hours=8)))) == datetime(
        2026, 1, 1, tzinfo=UTC
    )
