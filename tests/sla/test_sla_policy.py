"""SLA policies, targets, policy sets and the TOML/dict configuration."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from helpdesk_kit.errors import InvalidDefinition, InvalidInput
from helpdesk_kit.sla import (
    GUIDE_CALENDAR,
    PolicySet,
    SlaPolicy,
    SlaTarget,
    calendar_from_dict,
    guide_policies,
    load_policies,
    policy_set_from_dict,
)

H = timedelta(hours=1)


def test_target_validation() -> None:
    assert SlaTarget(2 * H).warning_after == timedelta(minutes=96)
    assert SlaTarget(timedelta(seconds=7), 1 / 3).warning_after == timedelta(
        seconds=2, microseconds=333333
    )
    for bad in (timedelta(0), -H, "2h"):
        with pytest.raises(InvalidInput, match="target"):
            SlaTarget(bad)  # type: ignore[arg-type]
    for fraction in (0, 1, 1.5, -0.1, True, "0.8"):
        with pytest.raises(InvalidInput, match="warn_at"):
            SlaTarget(H, fraction)  # type: ignore[arg-type]


def test_policy_lists_every_problem_at_once() -> None:
    with pytest.raises(InvalidDefinition) as info:
        SlaPolicy(
            "",
            {"colour": {"red"}, "priority": {"asap"}, "tier": set()},
            "",
            {"first_reply": SlaTarget(H), "resolution": "8h"},  # type: ignore[dict-item]
        )
    problems = "\n".join(info.value.problems)
    for needle in (
        "'name'",
        "unknown condition field 'colour'",
        "unknown priority 'asap'",
        "'tier' allows no value",
        "'calendar'",
        "unknown metric 'first_reply'",
        "must be an SlaTarget",
    ):
        assert needle in problems
    assert len(info.value.problems) == 7


def test_policy_matching_and_targets() -> None:
    policy = SlaPolicy(
        "vip email",
        {"channel": "email", "tier": ["vip", "gold"]},
        "office",
        {"first_response": SlaTarget(H), "next_response": SlaTarget(24 * H, calendar="24x7")},
    )
    assert policy.matches({"channel": "email", "tier": "gold", "priority": "low"})
    assert not policy.matches({"channel": "email", "tier": "standard"})
    assert not policy.matches({"channel": "email"})  # a missing fact matches no condition
    assert policy.calendar_for("first_response") == "office"
    assert policy.calendar_for("next_response") == "24x7"
    assert policy.calendar_names() == {"office", "24x7"}
    assert policy.target_for("resolution") is None
    assert SlaPolicy.from_dict(policy.to_dict()) == policy


def test_from_dict_accepts_durations_and_tables() -> None:
    policy = SlaPolicy.from_dict(
        {
            "name": "email",
            "calendar": "office",
            "conditions": {"channel": ["email"], "priority": "urgent"},
            "targets": {
                "first_response": "2h",
                "resolution": {"target": "1d12h", "warn_at": 0.5},
                "periodic_update": 3600,
            },
            "description": "email desk",
        }
    )
    assert policy.targets["first_response"] == SlaTarget(2 * H)
    assert policy.targets["resolution"] == SlaTarget(36 * H, 0.5)
    assert policy.targets["periodic_update"].target == H
    assert policy.conditions == {"channel": {"email"}, "priority": {"urgent"}}


def test_from_dict_reports_every_problem() -> None:
    with pytest.raises(InvalidDefinition) as info:
        SlaPolicy.from_dict(
            {
                "name": "broken",
                "conditions": {"channel": 5, "planet": ["mars"]},
                "targets": {
                    "first_response": "soon",
                    "resolution": {"target": "-2h", "warn_at": 2, "colour": "red"},
                    "replies": "1h",
                    "next_response": {"warn_at": 0.5},
                },
                "extra": 1,
            }
        )
    problems = "\n".join(info.value.problems)
    for needle in (
        "unknown key(s): extra",
        "condition 'channel' must be a string or a list",
        "unknown condition field 'planet'",
        "'soon' is not a duration",
        "target must be positive",
        "warn_at must be between 0 and 1",
        "unknown key(s) colour",
        "unknown metric 'replies'",
        "'target' is missing",
    ):
        assert needle in problems, needle
    with pytest.raises(InvalidDefinition, match="expected a mapping"):
        SlaPolicy.from_dict(["not", "a", "dict"])  # type: ignore[arg-type]


def test_policy_set_first_match_wins() -> None:
    urgent = SlaPolicy("urgent", {"priority": {"urgent"}}, "24x7", {"first_response": SlaTarget(H)})
    anything = SlaPolicy("default", {}, "24x7", {"first_response": SlaTarget(4 * H)})
    policies = PolicySet([urgent, anything])
    assert policies.select({"priority": "urgent"}) is urgent
    assert policies.select({"priority": "low"}) is anything
    assert PolicySet([urgent]).select({"priority": "low"}) is None
    assert policies["default"] is anything
    assert policies.needs("priority")
    assert not policies.needs("tier")
    with pytest.raises(InvalidInput, match="no SLA policy 'x'"):
        policies["x"]
    with pytest.raises(InvalidDefinition, match="two policies are called 'urgent'"):
        PolicySet([urgent, urgent])
    problems = PolicySet([SlaPolicy("p", {}, "office", {"resolution": SlaTarget(H)})]).problems(
        ["24x7"]
    )
    assert problems == ["policy 'p': unknown calendar 'office' (known: 24x7)"]


TOML = """
[calendars.office]
timezone = "Asia/Shanghai"
hours = { "mon-fri" = ["09:00-12:00", "13:00-18:00"], sat = "10:00-14:00" }
holidays = [2026-12-24, "2026-12-25"]
overrides = { "2026-12-31" = "09:00-15:00", "2026-12-30" = [] }

[calendars.cn]
timezone = "Asia/Shanghai"
hours = { "mon-fri" = "09:00-18:00" }
provider = "china"

[[policies]]
name = "chat"
calendar = "office"
conditions = { channel = ["chat"] }
targets = { first_response = "30s" }

[[policies]]
name = "email"
calendar = "cn"
conditions = { channel = ["email"] }
targets = { first_response = "2h", next_response = { target = "24h", calendar = "24x7" } }
"""


def test_load_policies_from_toml_with_calendars(tmp_path) -> None:
    path = tmp_path / "sla.toml"
    path.write_text(TOML, encoding="utf-8")
    policies = load_policies(path)
    assert policies.names == ["chat", "email"]
    office = policies.calendars["office"]
    sh = ZoneInfo("Asia/Shanghai")
    assert office.ranges_on(date(2026, 12, 26))  # a Saturday with hours
    assert not office.is_open(datetime(2026, 12, 24, 10, tzinfo=sh))  # holiday
    assert not office.is_open(datetime(2026, 12, 30, 10, tzinfo=sh))  # override: closed
    assert office.is_open(datetime(2026, 12, 31, 14, tzinfo=sh))
    assert not office.is_open(datetime(2026, 12, 31, 16, tzinfo=sh))
    assert not office.is_open(datetime(2026, 12, 28, 12, 30, tzinfo=sh))  # lunch
    cn = policies.calendars["cn"]
    assert cn.is_open(datetime(2026, 9, 20, 10, tzinfo=sh))  # a Sunday make-up working day
    json_path = tmp_path / "sla.json"
    json_path.write_text(
        json.dumps({"policies": [p.to_dict() for p in policies]}), encoding="utf-8"
    )
    assert load_policies(json_path).policies == policies.policies


def test_configuration_files_report_every_problem(tmp_path) -> None:
    bad = {
        "calendars": {
            "office": {
                "timezone": "Mars/Olympus",
                "hours": {"funday": "09:00-18:00", "mon": "9 to 5"},
                "holidays": ["someday"],
                "provider": "atlantis",
                "colour": "red",
            },
            "24x7": {"timezone": "UTC", "hours": {}},
        },
        "policies": [{"name": "p", "targets": {"first_response": "2h"}}, {"targets": {}}],
        "more": 1,
    }
    with pytest.raises(InvalidDefinition) as info:
        policy_set_from_dict(bad)
    problems = "\n".join(info.value.problems)
    for needle in (
        "unknown key(s): more",
        "'funday' is not a day",
        "'9 to 5' is not a range",
        "'someday' is not a date",
        "unknown holiday provider 'atlantis'",
        "unknown key(s): colour",
        "'24x7' is built in",
        "policy #2: 'name' is missing",
    ):
        assert needle in problems, needle
    for text, error in (("not toml [", "not valid TOML"), ("", "'policies' must be")):
        path = tmp_path / "x.toml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises((InvalidInput, InvalidDefinition), match=error):
            load_policies(path)
    with pytest.raises(InvalidInput, match=r"\.toml or \.json"):
        load_policies(tmp_path / "sla.yaml")
    with pytest.raises(InvalidInput, match="cannot read"):
        load_policies(tmp_path / "missing.toml")


def test_calendar_ranges_days_and_midnight() -> None:
    cal = calendar_from_dict(
        {"timezone": "UTC", "hours": {"daily": "22:00-02:00", "fri-mon": "10:00-12:00"}}
    )
    assert cal.ranges_on(date(2026, 11, 4))[0].overnight  # a Wednesday: only the night
    assert len(cal.ranges_on(date(2026, 11, 6))) == 2  # Friday: both
    assert len(cal.ranges_on(date(2026, 11, 9))) == 2  # fri-mon wraps round to Monday
    late = calendar_from_dict({"timezone": "UTC", "hours": {"mon": "18:00-24:00"}})
    assert late.ranges_on(date(2026, 11, 2))[0].end == time(0)


def test_guide_policies() -> None:
    policies = guide_policies()
    assert policies.names == ["guide chat", "guide email"]
    assert set(policies.calendars) == {GUIDE_CALENDAR}
    chat, email = policies
    assert chat.targets == {"first_response": SlaTarget(timedelta(seconds=30))}
    assert email.targets["first_response"] == SlaTarget(2 * H)
    assert email.calendar_for("next_response") == "24x7"
    business = guide_policies(follow_up_clock="business", warn_at=0.5)
    assert business["guide email"].calendar_for("next_response") == GUIDE_CALENDAR
    assert business["guide chat"].targets["first_response"].warn_at == 0.5
    with pytest.raises(InvalidInput):
        guide_policies(follow_up_clock="sundial")  # type: ignore[arg-type]
