"""A plugin published through an entry point, found by importlib.metadata like any install."""

import sys
import textwrap

import pytest

from helpdesk_kit import Helpdesk
from helpdesk_kit.errors import GuardFailed

PLUGIN = textwrap.dedent("""
    from helpdesk_kit.plugins import hookimpl

    EVENTS = []

    @hookimpl
    def check_transition(desk, ticket, transition, actor):
        if transition == "solve" and "unpaid" in ticket.tags:
            return "the order is unpaid"
        return None

    @hookimpl
    def on_ticket_event(desk, event, ticket):
        EVENTS.append((event.kind, ticket.ref))
""")


@pytest.fixture
def installed_plugin(tmp_path, monkeypatch):
    """Install ``shop_rules`` as a distribution with a ``helpdesk_kit`` entry point."""
    (tmp_path / "shop_rules.py").write_text(PLUGIN)
    dist = tmp_path / "shop_rules-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: shop-rules\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[helpdesk_kit]\nshop_rules = shop_rules\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("HELPDESK_KIT_DISABLE_PLUGINS", raising=False)
    yield
    sys.modules.pop("shop_rules", None)


@pytest.mark.usefixtures("installed_plugin")
def test_entry_point_plugin_vetoes_and_receives_events(helpdesk_clock):
    desk = Helpdesk(clock=helpdesk_clock)
    assert desk.plugin_manager.has_plugin("shop_rules")
    import shop_rules

    agent = desk.add_agent("Ann")
    customer = desk.add_customer("c", email="c@example.com")
    ticket = desk.open_ticket(customer, "pay later", tags=["unpaid"])
    with pytest.raises(GuardFailed, match="the order is unpaid"):
        desk.transition(ticket, "solve", actor=agent)
    desk.tag(ticket, remove=["unpaid"], actor=agent)
    desk.transition(ticket, "solve", actor=agent)
    assert ("ticket.created", ticket.ref) in shop_rules.EVENTS
    assert shop_rules.EVENTS[-1] == ("ticket.transitioned", ticket.ref)


@pytest.mark.usefixtures("installed_plugin")
def test_plugins_can_be_disabled_by_name(helpdesk_clock, monkeypatch):
    monkeypatch.setenv("HELPDESK_KIT_DISABLE_PLUGINS", "other, shop_rules")
    desk = Helpdesk(clock=helpdesk_clock)
    assert not desk.plugin_manager.has_plugin("shop_rules")
    agent = desk.add_agent("Ann")
    customer = desk.add_customer("c", email="c@example.com")
    ticket = desk.open_ticket(customer, "pay later", tags=["unpaid"])
    assert desk.transition(ticket, "solve", actor=agent).status == "solved"
    desk2 = Helpdesk(clock=helpdesk_clock, disable_plugins=["shop_rules"])
    assert not desk2.plugin_manager.has_plugin("shop_rules")
    monkeypatch.delenv("HELPDESK_KIT_DISABLE_PLUGINS")
    assert not Helpdesk(load_entrypoints=False).plugin_manager.has_plugin("shop_rules")


def test_each_desk_has_its_own_plugin_manager():
    a, b = Helpdesk(load_entrypoints=False), Helpdesk(load_entrypoints=False)
    assert a.plugin_manager is not b.plugin_manager
