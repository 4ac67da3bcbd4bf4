"""Conditions: every operator, field kind and combinator, against hand-made facts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from helpdesk_kit.automation import EvalContext, parse_condition
from helpdesk_kit.sla.calendar import BusinessCalendar

MONDAY_10_SH = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Monday
OFFICE = BusinessCalendar("Asia/Shanghai", {d: [(time(9), time(18))] for d in range(5)})

FACTS: dict[str, Any] = {
    "ticket.status": "pending",
    "ticket.priority": "high",
    "ticket.channel": "email",
    "ticket.category": None,
    "ticket.tags": frozenset({"vip", "refund"}),
    "ticket.assignee": None,
    "ticket.group": "billing",
    "ticket.custom_fields": {"order_total": 320, "order": "SO-1"},
    "customer.tier": "gold",
    "customer.tags": frozenset(),
    "customer.locale": "zh",
    "customer.attributes": {"orders": 12},
    "message.text": "您好，我要投诉！The parcel is LATE and I want a Refund.",
    "event.changed": frozenset({"priority"}),
}


def holds(data: Any, now: datetime = MONDAY_10_SH, **facts: Any) -> bool:
    problems: list[str] = []
    cond = parse_condition(data, "when", problems)
    assert problems == []
    ctx = EvalContext({**FACTS, **facts}, now, {"office": OFFICE}, "Asia/Shanghai")
    return cond.holds(ctx)


def cmp(field: str, op: str, value: Any = None, **extra: Any) -> dict[str, Any]:
    out = {"field": field, "op": op, **extra}
    if value is not None:
        out["value"] = value
    return out


@pytest.mark.parametrize(
    ("cond", "expected"),
    [
        (cmp("ticket.status", "eq", "pending"), True),
        (cmp("status", "eq", "open"), False),  # bare names are ticket fields
        (cmp("ticket.status", "ne", "open"), True),
        (cmp("ticket.priority", "in", ["high", "urgent"]), True),
        (cmp("ticket.priority", "not_in", ["high", "urgent"]), False),
        (cmp("ticket.tags", "in", ["vip", "x"]), True),  # collections: any overlap
        (cmp("ticket.tags", "not_in", ["x", "y"]), True),
        (cmp("ticket.tags", "contains", "refund"), True),
        (cmp("ticket.tags", "eq", ["refund", "vip"]), True),
        (cmp("ticket.subject", "contains", "x"), False),  # absent value
        (cmp("message.text", "contains", "投诉"), True),
        (cmp("message.text", "contains", "late"), True),  # case-insensitive
        (cmp("message.text", "contains", "ＬＡＴＥ"), True),  # full-width folded
        (cmp("message.text", "matches", r"\bparcel\b"), True),
        (cmp("message.text", "matches", r"^\d+$"), False),
        (cmp("message.text", "any_of", ["律师", "投诉"]), True),  # CJK: substring
        (cmp("message.text", "any_of", ["refund", "lawyer"]), True),
        (cmp("message.text", "any_of", ["fun"]), False),  # latin: whole words only
        (cmp("message.text", "any_of", ["12315"]), False),
        (cmp("ticket.custom_fields.order_total", "gt", 300), True),
        (cmp("ticket.custom_fields.order_total", "lt", 300), False),
        (cmp("ticket.custom_fields.order_total", "ge", 320), True),
        (cmp("ticket.custom_fields.order_total", "le", 319.5), False),
        (cmp("ticket.custom_fields.order", "gt", 3), False),  # not a number
        (cmp("ticket.custom_fields.missing", "is_empty"), True),
        (cmp("ticket.priority", "gt", "normal"), True),  # priorities compare by rank
        (cmp("ticket.priority", "ge", "urgent"), False),
        (cmp("ticket.assignee", "is_empty"), True),
        (cmp("ticket.assignee", "is_set"), False),
        (cmp("ticket.group", "eq", "billing"), True),
        (cmp("ticket.channel", "eq", "email"), True),
        (cmp("ticket.category", "is_set"), False),
        (cmp("customer.tier", "in", ["gold", "vip"]), True),
        (cmp("customer.tags", "is_empty"), True),
        (cmp("customer.locale", "eq", "zh"), True),
        (cmp("customer.attributes.orders", "ge", 10), True),
        (cmp("event.changed", "contains", "priority"), True),
        (cmp("event.changed", "contains", "status"), False),
    ],
)
def test_operators_and_fields(cond: dict[str, Any], expected: bool) -> None:
    assert holds(cond) is expected


def test_time_fields_use_the_calendar_zone() -> None:
    open_now = cmp("time.open", "eq", True, calendar="office")
    assert holds(open_now)
    assert not holds(open_now, now=MONDAY_10_SH + timedelta(hours=9))  # 19:00 local
    assert holds(cmp("time.weekday", "eq", "mon", calendar="office"))
    assert holds(cmp("time.weekday", "in", [1, "tue"]))
    assert holds(cmp("time.hour", "ge", 9, calendar="office"))
    assert holds(cmp("time.hour", "eq", 10))  # desk zone (Asia/Shanghai here)
    saturday = datetime(2026, 11, 7, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert holds(cmp("time.open", "eq", False, calendar="office"), now=saturday)
    assert holds(cmp("time.weekday", "eq", 6), now=saturday)


def test_combinators() -> None:
    yes = cmp("ticket.status", "eq", "pending")
    no = cmp("ticket.status", "eq", "open")
    assert holds({"all": [yes, yes]})
    assert not holds({"all": [yes, no]})
    assert holds({"any": [no, yes]})
    assert not holds({"any": [no, no]})
    assert holds({"not": no})
    assert not holds({"not": {"any": [yes]}})
    assert holds([yes, {"not": no}])  # a list is "all"
    assert holds(None)
    assert holds({"all": []})
    assert not holds({"any": []})


def test_every_condition_problem_is_listed() -> None:
    problems: list[str] = []
    parse_condition(
        {
            "all": [
                {"field": "ticket.colour", "op": "eq", "value": 1},
                {"field": "ticket.status", "op": "like", "value": "x"},
                {"field": "ticket.status", "op": "in", "value": "open"},
                {"field": "ticket.priority", "op": "eq", "value": "critical"},
                {"field": "message.text", "op": "matches", "value": "("},
                {"field": "message.text", "op": "gt", "value": "big"},
                {"field": "time.open", "op": "eq", "value": True},
                {"field": "time.weekday", "op": "eq", "value": "someday"},
                {"field": "time.hour", "op": "eq", "value": 24},
                {"field": "ticket.assignee", "op": "is_empty", "value": 1},
                {"field": "ticket.status", "op": "eq"},
                {"field": "ticket.status", "value": "x", "extra": 1},
                {"op": "eq", "value": 1},
                {"all": [], "any": []},
                {"any": "x"},
                "nonsense",
            ]
        },
        "when",
        problems,
    )
    expected = [
        "unknown field 'ticket.colour'",
        "unknown operator 'like'",
        "operator 'in' needs a list",
        "unknown priority 'critical'",
        "bad regular expression '('",
        "operator 'gt' needs a number",
        "time.open needs 'calendar'",
        "time.weekday values",
        "time.hour values",
        "operator 'is_empty' takes no value",
        "operator 'eq' needs a value",
        "unknown key(s) extra",
        "a condition needs a 'field'",
        "must be alone in its table",
        "expected a list of conditions",
        "a condition is a table",
    ]
    assert len(problems) == len(expected), problems
    for fragment, problem in zip(expected, problems, strict=True):
        assert fragment in problem
    assert problems[0].startswith("when.all[0]: ")


def test_business_days_skip_weekends_and_holidays() -> None:
    from helpdesk_kit.automation import parse_wait

    problems: list[str] = []
    wait = parse_wait("3bd", "after", problems)
    assert wait is not None
    assert problems == []
    friday_15 = datetime(2026, 11, 6, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert wait.deadline(friday_15, OFFICE) == datetime(
        2026, 11, 11, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai")
    )
    holiday = OFFICE.with_holidays([date(2026, 11, 9)])
    assert wait.deadline(friday_15, holiday).date() == date(2026, 11, 12)
    hours = parse_wait("10h", "after", problems)
    assert hours is not None
    # business time: 3 h left on Friday, 7 h on Monday
    assert hours.deadline(friday_15, OFFICE) == datetime(
        2026, 11, 9, 16, 0, tzinfo=ZoneInfo("Asia/Shanghai")
    )
    assert hours.deadline(friday_15, None) == friday_15 + timedelta(hours=10)
    for bad in ("-1h", "soon", "0bd", True):
        parse_wait(bad, "after", problems)
    assert len(problems) == 4
