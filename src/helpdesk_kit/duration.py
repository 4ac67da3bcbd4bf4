"""Parse and format durations written as text ("30s", "2h", "3d", "1h30m")."""

from __future__ import annotations

import re
from datetime import timedelta

from helpdesk_kit.errors import InvalidInput

__all__ = ["format_duration", "parse_duration"]

_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([wdhms])")


def parse_duration(value: str | float | timedelta, *, what: str = "duration") -> timedelta:
    """Return a timedelta from ``"90s"``, ``"2h"``, ``"1d12h"``, seconds, or a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise InvalidInput(f"{what} must be a duration like '2h' or seconds, got {value!r}")
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be a duration like '2h' or seconds, got {value!r}")
    text = value.strip().lower().replace(" ", "")
    sign = 1
    if text.startswith("-"):
        sign, text = -1, text[1:]
    if not text:
        raise InvalidInput(f"{what} is empty; write e.g. '30s', '2h' or '3d'")
    pos, seconds = 0, 0.0
    for match in _PART.finditer(text):
        if match.start() != pos:
            break
        seconds += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text):
        try:
            seconds = float(text)
        except ValueError:
            raise InvalidInput(
                f"{what} {value!r} is not a duration; write e.g. '30s', '2h', '1d12h' or seconds"
            ) from None
    return timedelta(seconds=sign * seconds)


def format_duration(delta: timedelta) -> str:
    """Return a compact text form such as ``"1d2h3m4s"`` (``"0s"`` for zero)."""
    total = round(delta.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if total >= size:
            parts.append(f"{total // size}{unit}")
            total %= size
    return sign + ("".join(parts) or "0s")
