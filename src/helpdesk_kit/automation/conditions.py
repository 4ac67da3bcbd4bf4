"""Rule conditions as data: field comparisons combined with ``all``, ``any`` and ``not``.

A condition is written as plain data (a dict from TOML or Python)::

    {"field": "ticket.priority", "op": "in", "value": ["high", "urgent"]}
    {"all": [cond, cond]}  {"any": [cond, cond]}  {"not": cond}  [cond, cond]  (= all)

Fields name what a rule looks at: the ticket (``ticket.status``, ``ticket.tags``, ...), its
customer (``customer.tier``, ``customer.attributes.<key>``), the message that triggered the
rule (``message.text``), the fields an update changed (``event.changed``) and the time
(``time.open`` by a named calendar, ``time.weekday``, ``time.hour``). The desk gathers the
facts; this module only parses and evaluates, with ``now`` given.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import attrs

from helpdesk_kit.clock import ensure_aware
from helpdesk_kit.text.normalize import normalize
from helpdesk_kit.tickets.model import Priority

__all__ = [
    "CUSTOMER_FIELDS",
    "EVENT_FIELDS",
    "MESSAGE_FIELDS",
    "OPERATORS",
    "TICKET_FIELDS",
    "TIME_FIELDS",
    "AllOf",
    "AnyOf",
    "CalendarLike",
    "Compare",
    "Condition",
    "EvalContext",
    "Not",
    "always",
    "parse_condition",
]

#: Ticket fields a condition may name (``ticket.custom_fields.<key>`` too).
TICKET_FIELDS = (
    "status",
    "priority",
    "channel",
    "category",
    "tags",
    "assignee",
    "group",
    "language",
    "subject",
    "lifecycle",
)
#: Customer fields a condition may name (``customer.attributes.<key>`` too).
CUSTOMER_FIELDS = ("tier", "tags", "locale", "name")
#: The message that triggered an event rule (``None`` when the trigger has none).
MESSAGE_FIELDS = ("text",)
#: What the triggering update changed: ``event.changed`` is a set of field names.
EVENT_FIELDS = ("changed", "trigger")
#: The time of evaluation; ``time.open`` needs ``calendar``.
TIME_FIELDS = ("open", "weekday", "hour")

#: Every operator and what its ``value`` must be.
OPERATORS = {
    "eq": "any value",
    "ne": "any value",
    "in": "a list",
    "not_in": "a list",
    "contains": "a string",
    "matches": "a regular expression",
    "any_of": "a list of words",
    "gt": "a number",
    "lt": "a number",
    "ge": "a number",
    "le": "a number",
    "is_set": "no value",
    "is_empty": "no value",
}
_NO_VALUE = frozenset({"is_set", "is_empty"})
_NUMERIC = frozenset({"gt", "lt", "ge", "le"})
_LISTS = frozenset({"in", "not_in", "any_of"})
_WEEKDAYS = {
    name: i + 1
    for i, names in enumerate(
        [
            ("mon", "monday", "周一", "星期一"),
            ("tue", "tuesday", "周二", "星期二"),
            ("wed", "wednesday", "周三", "星期三"),
            ("thu", "thursday", "周四", "星期四"),
            ("fri", "friday", "周五", "星期五"),
            ("sat", "saturday", "周六", "星期六"),
            ("sun", "sunday", "周日", "星期日"),
        ]
    )
    for name in names
}
# Han, kana and hangul: a word written in them is matched as a substring (no spaces).
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


class CalendarLike(Protocol):
    """What conditions and time rules need of a business calendar (``BusinessCalendar``)."""

    @property
    def tzinfo(self) -> ZoneInfo:
        """The calendar's zone."""
        ...

    def is_open(self, t: datetime) -> bool:
        """True when the calendar is open at ``t``."""
        ...

    def is_working_day(self, day: date) -> bool:
        """True when ``day`` (local) has opening hours."""
        ...

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant ``duration`` of open time after ``start``."""
        ...


@attrs.frozen
class EvalContext:
    """What a condition is evaluated against: the facts, the time, the calendars by name."""

    facts: Mapping[str, Any]
    now: datetime
    calendars: Mapping[str, CalendarLike] = attrs.field(factory=dict)
    timezone: str = "UTC"

    def __attrs_post_init__(self) -> None:
        ensure_aware(self.now, "now")

    def value(self, field: str, calendar: str | None) -> Any:
        """The value of ``field`` (a canonical name, see :func:`canonical_field`)."""
        if field.startswith("time."):
            return self._time(field[5:], calendar)
        if field in self.facts:
            return self.facts[field]
        for prefix in ("ticket.custom_fields.", "customer.attributes."):
            if field.startswith(prefix):
                holder = self.facts.get(prefix[:-1]) or {}
                return holder.get(field[len(prefix) :]) if isinstance(holder, Mapping) else None
        return None

    def _time(self, name: str, calendar: str | None) -> Any:
        cal = self.calendars.get(calendar) if calendar is not None else None
        if name == "open":
            return bool(cal is not None and cal.is_open(self.now))
        zone = cal.tzinfo if cal is not None else ZoneInfo(self.timezone)
        local = self.now.astimezone(zone)
        return local.isoweekday() if name == "weekday" else local.hour


class Condition(Protocol):
    """A test of an :class:`EvalContext`."""

    def holds(self, ctx: EvalContext) -> bool:
        """True when the condition is met."""
        ...

    def comparisons(self) -> Iterator[Compare]:
        """Every field comparison inside (for validation)."""
        ...


def canonical_field(name: str) -> str | None:
    """``status`` -> ``ticket.status``; None for a field no condition may name."""
    if not isinstance(name, str):
        return None
    if "." not in name:
        name = f"ticket.{name}"
    head, _, rest = name.partition(".")
    known = {
        "ticket": TICKET_FIELDS,
        "customer": CUSTOMER_FIELDS,
        "message": MESSAGE_FIELDS,
        "event": EVENT_FIELDS,
        "time": TIME_FIELDS,
    }
    if head not in known:
        return None
    if rest in known[head]:
        return name
    for prefix in ("ticket.custom_fields.", "customer.attributes."):
        if name.startswith(prefix) and len(name) > len(prefix):
            return name
    return None


def _text(value: Any) -> str:
    return normalize(str(value))


_COLLECTIONS = (set, frozenset, list, tuple)


def _is_collection(value: Any) -> bool:
    return isinstance(value, _COLLECTIONS)


def _word_pattern(word: str) -> Callable[[str], bool]:
    norm = _text(word)
    if _CJK.search(norm):
        return lambda text: norm in text
    pattern = re.compile(r"(?<!\w)" + re.escape(norm) + r"(?!\w)")
    return lambda text: pattern.search(text) is not None


def _number(value: Any, field: str) -> float | None:
    if field == "ticket.priority" and isinstance(value, str):
        try:
            return float(Priority(value).rank)
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


@attrs.frozen
class Compare:
    """``field op value``: e.g. ``ticket.priority in [high, urgent]``."""

    field: str
    op: str
    value: Any = None
    calendar: str | None = None
    _regex: re.Pattern[str] | None = attrs.field(default=None, eq=False, repr=False)
    _words: tuple[Callable[[str], bool], ...] = attrs.field(default=(), eq=False, repr=False)

    def holds(self, ctx: EvalContext) -> bool:
        """True when the field's value passes the comparison."""
        actual = ctx.value(self.field, self.calendar)
        if self.field == "time.weekday":
            return self._compare(actual, _weekday_value(self.value))
        return self._compare(actual, self.value)

    def comparisons(self) -> Iterator[Compare]:
        """This comparison."""
        yield self

    def _compare(self, actual: Any, expected: Any) -> bool:
        op = self.op
        if op == "is_set":
            return not _empty(actual)
        if op == "is_empty":
            return _empty(actual)
        if op in ("eq", "ne"):
            same = _same(actual, expected)
            return same if op == "eq" else not same
        if op in ("in", "not_in"):
            found = _overlaps(actual, expected)
            return found if op == "in" else not found
        if op in _NUMERIC:
            a, b = _number(actual, self.field), _number(expected, self.field)
            if a is None or b is None:
                return False
            return {"gt": a > b, "lt": a < b, "ge": a >= b, "le": a <= b}[op]
        if actual is None:
            return False
        items = list(actual) if _is_collection(actual) else [actual]
        if op == "contains":
            if _is_collection(actual):
                return any(_same(item, expected) for item in items)
            return _text(expected) in _text(actual)
        if op == "matches":
            assert self._regex is not None
            return any(self._regex.search(str(item)) for item in items)
        if op == "any_of":
            texts = [_text(item) for item in items]
            return any(test(text) for test in self._words for text in texts)
        raise AssertionError(f"unknown operator {op!r}")  # parse_condition rejects it


def _weekday_value(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_weekday_value(v) for v in value]
    if isinstance(value, str):
        return _WEEKDAYS.get(value.strip().lower(), value)
    return value


def _empty(value: Any) -> bool:
    return value is None or value == "" or (_is_collection(value) and not value)


def _same(actual: Any, expected: Any) -> bool:
    if type(actual) is str and type(expected) is str:  # the common case, first
        return actual == expected
    if _is_collection(actual) and _is_collection(expected):
        return {str(v) for v in actual} == {str(v) for v in expected}
    if isinstance(actual, bool) or isinstance(expected, bool):
        return actual is expected
    if isinstance(actual, int | float) and isinstance(expected, int | float):
        return actual == expected
    if actual is None or expected is None:
        return actual is expected
    return str(actual) == str(expected)


def _overlaps(actual: Any, expected: Any) -> bool:
    if _is_collection(actual):
        return any(_same(a, e) for a in actual for e in expected)
    return any(_same(actual, e) for e in expected)


@attrs.frozen
class AllOf:
    """Every one of ``items`` holds (no items: always)."""

    items: tuple[Condition, ...] = ()

    def holds(self, ctx: EvalContext) -> bool:
        """True when all hold."""
        return all(c.holds(ctx) for c in self.items)

    def comparisons(self) -> Iterator[Compare]:
        """Every comparison inside."""
        for c in self.items:
            yield from c.comparisons()


@attrs.frozen
class AnyOf:
    """At least one of ``items`` holds."""

    items: tuple[Condition, ...] = ()

    def holds(self, ctx: EvalContext) -> bool:
        """True when one holds."""
        return any(c.holds(ctx) for c in self.items)

    def comparisons(self) -> Iterator[Compare]:
        """Every comparison inside."""
        for c in self.items:
            yield from c.comparisons()


@attrs.frozen
class Not:
    """``item`` does not hold."""

    item: Condition

    def holds(self, ctx: EvalContext) -> bool:
        """True when the item does not hold."""
        return not self.item.holds(ctx)

    def comparisons(self) -> Iterator[Compare]:
        """Every comparison inside."""
        yield from self.item.comparisons()


def always() -> Condition:
    """The condition that always holds."""
    return AllOf(())


def parse_condition(data: Any, where: str, problems: list[str]) -> Condition:
    """Build a condition from plain data; each problem is appended to ``problems``."""
    if data is None:
        return always()
    if isinstance(data, list | tuple):
        return AllOf(
            tuple(parse_condition(d, f"{where}[{i}]", problems) for i, d in enumerate(data))
        )
    if not isinstance(data, Mapping):
        problems.append(f"{where}: a condition is a table (field/op/value, all, any or not)")
        return always()
    combinators = [k for k in ("all", "any", "not") if k in data]
    if combinators:
        if len(data) != 1:
            problems.append(
                f"{where}: {combinators[0]!r} must be alone in its table "
                f"(found {', '.join(sorted(map(str, data)))})"
            )
            return always()
        key = combinators[0]
        inner = data[key]
        if key == "not":
            return Not(parse_condition(inner, f"{where}.not", problems))
        if not isinstance(inner, list | tuple):
            problems.append(f"{where}.{key}: expected a list of conditions")
            return always()
        items = tuple(
            parse_condition(d, f"{where}.{key}[{i}]", problems) for i, d in enumerate(inner)
        )
        return AllOf(items) if key == "all" else AnyOf(items)
    return _parse_compare(data, where, problems)


def _parse_compare(data: Mapping[str, Any], where: str, problems: list[str]) -> Condition:
    unknown = sorted(set(map(str, data)) - {"field", "op", "value", "calendar"})
    if unknown:
        problems.append(
            f"{where}: unknown key(s) {', '.join(unknown)} "
            "(a condition has field, op, value and calendar, or all/any/not)"
        )
    raw_field = data.get("field")
    if raw_field is None:
        problems.append(f"{where}: a condition needs a 'field'")
        return always()
    field = canonical_field(raw_field)
    if field is None:
        problems.append(
            f"{where}: unknown field {raw_field!r} (ticket.{{{','.join(TICKET_FIELDS)}}}, "
            f"ticket.custom_fields.<key>, customer.{{{','.join(CUSTOMER_FIELDS)}}}, "
            "customer.attributes.<key>, message.text, event.changed, event.trigger, "
            f"time.{{{','.join(TIME_FIELDS)}}})"
        )
        return always()
    op = data.get("op", "eq")
    if op not in OPERATORS:
        problems.append(f"{where}: unknown operator {op!r} (operators: {', '.join(OPERATORS)})")
        return always()
    before = len(problems)
    value = data.get("value")
    calendar = data.get("calendar")
    if op in _NO_VALUE:
        if "value" in data:
            problems.append(f"{where}: operator {op!r} takes no value")
    elif "value" not in data:
        problems.append(f"{where}: operator {op!r} needs a value ({OPERATORS[op]})")
    elif op in _LISTS and not (
        isinstance(value, list | tuple) and all(isinstance(v, str | int | float) for v in value)
    ):
        problems.append(f"{where}: operator {op!r} needs a list of values, got {value!r}")
    elif op in _NUMERIC and _number(value, field) is None:
        problems.append(f"{where}: operator {op!r} needs a number, got {value!r}")
    elif op in ("contains", "matches") and not isinstance(value, str):
        problems.append(f"{where}: operator {op!r} needs a string, got {value!r}")
    regex = None
    if op == "matches" and isinstance(value, str):
        try:
            regex = re.compile(value)
        except re.error as exc:
            problems.append(f"{where}: bad regular expression {value!r}: {exc}")
    words: tuple[Callable[[str], bool], ...] = ()
    if op == "any_of" and isinstance(value, list | tuple):
        words = tuple(_word_pattern(str(w)) for w in value if str(w).strip())
        if not words:
            problems.append(f"{where}: operator 'any_of' needs at least one word")
    problems.extend(_field_problems(field, op, value, calendar, where))
    if calendar is not None and not field.startswith("time."):
        problems.append(f"{where}: 'calendar' only applies to time.* fields")
    if len(problems) > before:
        return always()
    return Compare(field, op, value, calendar, regex, words)


def _field_problems(field: str, op: str, value: Any, calendar: Any, where: str) -> Sequence[str]:
    out: list[str] = []
    if field == "time.open":
        if not isinstance(calendar, str) or not calendar:
            out.append(f"{where}: time.open needs 'calendar' (the name of a business calendar)")
        if op not in ("eq", "ne") or not isinstance(value, bool):
            out.append(f"{where}: time.open is compared with eq/ne and true or false")
    elif field == "time.weekday" and op not in _NO_VALUE:
        values = value if isinstance(value, list | tuple) else [value]
        bad = [v for v in values if _weekday_value(v) not in range(1, 8)]
        if bad:
            out.append(
                f"{where}: time.weekday values are 1 (Monday) to 7 (Sunday) or names "
                f"like 'mon', got {', '.join(map(repr, bad))}"
            )
    elif field == "time.hour" and op not in _NO_VALUE:
        values = value if isinstance(value, list | tuple) else [value]
        bad = [v for v in values if not (isinstance(v, int) and 0 <= v <= 23)]
        if bad:
            out.append(f"{where}: time.hour values are 0 to 23, got {', '.join(map(repr, bad))}")
    elif field == "ticket.priority" and op in ("eq", "ne", "in", "not_in", *_NUMERIC):
        values = value if isinstance(value, list | tuple) else [value]
        names = {p.value for p in Priority}
        bad = [v for v in values if isinstance(v, str) and v not in names]
        if bad:
            out.append(
                f"{where}: unknown priority {', '.join(map(repr, bad))} "
                f"(priorities: {', '.join(sorted(names))})"
            )
    return out
