"""Clocks: where helpdesk_kit gets "now" from, and the aware-datetime rule."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from helpdesk_kit.errors import InvalidInput

__all__ = ["UTC", "Clock", "FrozenClock", "SystemClock", "ensure_aware", "to_utc"]


@runtime_checkable
class Clock(Protocol):
    """Anything with a ``now()`` that returns an aware datetime."""

    def now(self) -> datetime:
        """Return the current instant as a timezone-aware datetime."""
        ...


class SystemClock:
    """The real wall clock, in UTC."""

    def now(self) -> datetime:
        """Return the current instant in UTC."""
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class FrozenClock:
    """A clock that only moves when told to; for tests and simulations."""

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        if start is None:
            start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
        self._now = to_utc(ensure_aware(start, "start"))

    def now(self) -> datetime:
        """Return the frozen instant (UTC)."""
        with self._lock:
            return self._now

    def set(self, when: datetime) -> datetime:
        """Move the clock to ``when`` (aware; may go backwards) and return it."""
        aware = to_utc(ensure_aware(when, "when"))
        with self._lock:
            self._now = aware
            return aware

    def advance(
        self,
        delta: timedelta | float = 0,
        *,
        seconds: float = 0,
        minutes: float = 0,
        hours: float = 0,
        days: float = 0,
    ) -> datetime:
        """Move the clock forward by ``delta`` (a timedelta or seconds) plus the keywords."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        step += timedelta(seconds=seconds, minutes=minutes, hours=hours, days=days)
        if step < timedelta(0):
            raise InvalidInput(f"advance() needs a non-negative step, got {step}; use set()")
        with self._lock:
            self._now += step
            return self._now

    def __repr__(self) -> str:
        return f"FrozenClock({self._now.isoformat()!r})"


def ensure_aware(value: datetime, name: str = "datetime") -> datetime:
    """Return ``value`` unchanged if it is timezone-aware; raise ``InvalidInput`` if naive."""
    if not isinstance(value, datetime):
        raise InvalidInput(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise InvalidInput(
            f"{name} is a naive datetime ({value.isoformat()}); helpdesk_kit needs "
            "timezone-aware datetimes, e.g. datetime(..., tzinfo=UTC)"
        )
    return value


def to_utc(value: datetime) -> datetime:
    """Convert an aware datetime to UTC."""
    return ensure_aware(value).astimezone(UTC)
