"""The promised reply time, written for the customer: "我们将在 11月26日 10:30 前回复您".

An out-of-hours auto-reply (or any reply template) can promise when a person will answer:
the ticket's first-response due instant, shown in the customer's language and time zone.

* :func:`format_due` -- just the instant: ``"11月26日 10:30"`` / ``"26 Nov 10:30"``;
* :func:`format_promise` -- the sentence: ``"我们将在 11月26日 10:30 前回复您"`` /
  ``"We will reply by 26 Nov 10:30"``.

Languages: simplified Chinese (``zh``, ``zh-CN``, ``zh-Hans``, ``zh-SG``), traditional Chinese
(``zh-TW``, ``zh-HK``, ``zh-MO``, ``zh-Hant``) and English; any other locale gets English.
The year is shown only when ``now`` is given and the instant falls in another year.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from helpdesk_kit.clock import ensure_aware
from helpdesk_kit.errors import InvalidInput

__all__ = ["PROMISE_LANGUAGES", "format_due", "format_promise", "promise_language"]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SENTENCES = {
    "zh-Hans": "我们将在 {due} 前回复您",
    "zh-Hant": "我們將在 {due} 前回覆您",
    "en": "We will reply by {due}",
}
#: The languages with their own wording; anything else is written in English.
PROMISE_LANGUAGES = tuple(_SENTENCES)
_TRADITIONAL = ("tw", "hk", "mo", "hant")


def promise_language(locale: str | None) -> str:
    """Return ``"zh-Hans"``, ``"zh-Hant"`` or ``"en"`` for a locale such as ``"zh_CN"``."""
    if not locale:
        return "zh-Hans"
    parts = locale.replace("_", "-").lower().split("-")
    if parts[0] == "zh":
        return "zh-Hant" if any(p in _TRADITIONAL for p in parts[1:]) else "zh-Hans"
    return "en"


def _local(due_at: datetime, zone: str) -> datetime:
    ensure_aware(due_at, "due_at")
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise InvalidInput(f"zone {zone!r} is not a known IANA time zone") from None
    return due_at.astimezone(tz)


def _minute_up(value: datetime) -> datetime:
    """The instant rounded up to a whole minute, so a promise kept is an SLA kept."""
    utc = ensure_aware(value, "due_at").astimezone(UTC)
    whole = utc.replace(second=0, microsecond=0)
    return whole if whole == utc else whole + timedelta(minutes=1)


def format_due(
    due_at: datetime,
    locale: str | None = "zh",
    zone: str = "Asia/Shanghai",
    *,
    now: datetime | None = None,
) -> str:
    """Return ``due_at`` as the customer reads it: ``"11月26日 10:30"`` or ``"26 Nov 10:30"``.

    Rounded up to a whole minute.
    """
    local = _local(_minute_up(due_at), zone)
    show_year = now is not None and _local(now, zone).year != local.year
    clock = f"{local.hour:02d}:{local.minute:02d}"
    if promise_language(locale).startswith("zh"):
        year = f"{local.year}年" if show_year else ""
        return f"{year}{local.month}月{local.day}日 {clock}"
    year = f" {local.year}" if show_year else ""
    return f"{local.day} {_MONTHS[local.month - 1]}{year} {clock}"


def format_promise(
    due_at: datetime,
    locale: str | None = "zh",
    zone: str = "Asia/Shanghai",
    *,
    now: datetime | None = None,
) -> str:
    """Return the promise sentence for ``due_at`` in ``locale``, shown in ``zone``.

    ``format_promise(due, "zh", "Asia/Shanghai")`` → ``"我们将在 11月26日 10:30 前回复您"``;
    ``format_promise(due, "en-GB", "Europe/London")`` → ``"We will reply by 26 Nov 02:30"``.
    An instant between whole minutes is rounded up to the next minute, so a reply that
    meets the SLA always keeps the promise.
    """
    language = promise_language(locale)
    return _SENTENCES[language].format(due=format_due(due_at, locale, zone, now=now))
