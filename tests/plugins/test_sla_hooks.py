"""The SLA hooks: ``select_sla_policy`` and ``register_holiday_providers`` (test plugin)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from helpdesk_kit import Helpdesk
from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.plugins import hookimpl
from helpdesk_kit.sla import SlaPolicy, SlaTarget

from .recording_plugin import RecordingPlugin

H = timedelta(hours=1)


@pytest.mark.parametrize("helpdesk_storage", ["memory", "sqlite"], indirect=True)
def test_the_select_hook_and_a_plugin_holiday_provider(helpdesk_storage, helpdesk_clock) -> None:
    recorder = RecordingPlugin()
    desk = Helpdesk(helpdesk_storage, helpdesk_clock, plugins=[recorder], load_entrypoints=False)
    assert "shop_closures" in desk.holiday_providers
    vip = SlaPolicy(
        "vip", {"channel": {"nothing-matches"}}, "shop", {"first_response": SlaTarget(H)}
    )
    normal = SlaPolicy("normal", {}, "24x7", {"first_response": SlaTarget(4 * H)})
    desk.configure_sla(
        [vip, normal],
        {
            "shop": {
                "timezone": "UTC",
                "hours": {"mon-fri": "09:00-17:00"},
                "provider": "shop_closures",
            }
        },
    )
    customer = desk.add_customer("c", email="c@example.com")
    helpdesk_clock.set(datetime(2026, 11, 10, 16, 30, tzinfo=UTC))  # the day before stocktake
    ticket = desk.open_ticket(customer, "x", "y", channel="email", tags=["vip"])
    assert desk.sla_policy_for(ticket).name == "vip"
    # 30 min on Tuesday, closed Wednesday 11 Nov (stocktake), 30 min on Thursday.
    assert desk.sla_due(ticket) == datetime(2026, 11, 12, 9, 30, tzinfo=UTC)
    assert recorder.called("select_sla_policy")
    plain = desk.open_ticket(customer, "x", "y", channel="email")
    assert desk.sla_policy_for(plain).name == "normal"


def test_a_hook_must_choose_one_of_the_policies(helpdesk_clock) -> None:
    class Wrong:
        @hookimpl
        def select_sla_policy(self, desk, ticket, policies):
            return SlaPolicy("stranger", {}, "24x7", {"resolution": SlaTarget(H)})

    desk = Helpdesk(clock=helpdesk_clock, plugins=[Wrong()], load_entrypoints=False)
    desk.configure_sla([SlaPolicy("only", {}, "24x7", {"resolution": SlaTarget(H)})])
    customer = desk.add_customer("c", email="c@example.com")
    with pytest.raises(InvalidInput, match="not one of the desk's policies"):
        desk.open_ticket(customer, "x", "y")
    assert desk.count_tickets() == 0  # the command was undone


def test_a_plugin_may_replace_a_built_in_provider(helpdesk_clock) -> None:
    from helpdesk_kit.sla import StaticHolidays

    class OwnChina:
        @hookimpl
        def register_holiday_providers(self, register):
            register("china", lambda: StaticHolidays(years=range(2000, 2100)))

    desk = Helpdesk(clock=helpdesk_clock, plugins=[OwnChina()], load_entrypoints=False)
    provider = desk.holiday_providers.get("china")
    assert isinstance(provider, StaticHolidays)
