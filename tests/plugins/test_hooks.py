import ast
import pathlib

import pytest

import helpdesk_kit
from helpdesk_kit import Helpdesk, Identity, InboundMessage
from helpdesk_kit.errors import GuardFailed, PluginError
from helpdesk_kit.plugins import hookimpl
from helpdesk_kit.sla import guide_policies

from .recording_plugin import BrokenEventPlugin, RecordingPlugin

SRC = pathlib.Path(helpdesk_kit.__file__).parent
DOCS = pathlib.Path(__file__).parents[2] / "docs"


@pytest.fixture
def recorder():
    return RecordingPlugin()


@pytest.fixture
def helpdesk_plugins(recorder):
    return [recorder]


def test_veto_a_transition(helpdesk, recorder, make_agent, make_ticket):
    ann = make_agent()
    ticket = make_ticket()
    recorder.veto = "the refund is not booked yet"
    with pytest.raises(GuardFailed) as info:
        helpdesk.transition(ticket, "solve", actor=ann)
    assert info.value.guard == "check_transition"
    assert "refund is not booked" in str(info.value)
    assert helpdesk.get_ticket(ticket).status == "new"
    assert helpdesk.can_transition(ticket, "solve", actor=ann) == "the refund is not booked yet"
    recorder.veto = None
    assert helpdesk.transition(ticket, "solve", actor=ann).status == "solved"


def test_events_reach_listeners_after_commit(helpdesk, recorder, make_agent, make_ticket):
    ann = make_agent()
    ticket = make_ticket()
    helpdesk.reply(ticket, "hi", author=ann)
    seen = [c["kind"] for c in recorder.called("on_ticket_event")]
    assert seen == [e.kind for e in helpdesk.events(ticket)]


def test_listener_errors_do_not_undo_commands(helpdesk_storage, helpdesk_clock, make_customer):
    desk = Helpdesk(
        helpdesk_storage, helpdesk_clock, plugins=[BrokenEventPlugin()], load_entrypoints=False
    )
    customer = desk.add_customer("x", email="x@example.com")
    ticket = desk.open_ticket(customer, "still stored")
    assert desk.get_ticket(ticket.id).subject == "still stored"


def test_classify_route_render_context_suggest_notify(
    helpdesk, recorder, make_agent, make_customer
):
    ann, bob = make_agent("Ann"), make_agent("Bob")
    recorder.route_to = bob.id
    r = helpdesk.receive(
        InboundMessage(
            "email",
            Identity("email", "c@example.com"),
            text="I want a refund",
            subject="money back",
        )
    )
    assert r.ticket.category == "refund"
    assert r.ticket.priority == "high"
    assert r.ticket.tags == {"money"}
    assert r.ticket.assignee_id == bob.id
    assert [a.name for a in recorder.called("route_ticket")[0]["candidates"]] == ["Ann", "Bob"]
    message = helpdesk.reply(r.ticket, "Refund on its way", author=ann)
    assert message.text == "Refund on its way\n-- Shop support"
    assert helpdesk.customer_context(r.customer) == {
        "orders": [{"id": "SO1", "status": "shipped"}],
        "plan": "gold",
    }
    suggestions = helpdesk.suggest_articles(r.ticket)
    assert [s.article_id for s in suggestions] == ["kb-1"]
    assert "I want a refund" in recorder.called("suggest_articles")[0]["text"]
    helpdesk.notify(
        "escalation", subject="Help", text="Ticket waits", ticket=r.ticket, recipients=["leads"]
    )
    assert recorder.called("notify")[0]["notification"]["recipients"] == ["leads"]


def test_route_hook_must_choose_a_candidate(helpdesk, recorder, make_agent, make_ticket):
    make_agent()
    recorder.route_to = "somebody-else"
    with pytest.raises(Exception, match="not a candidate"):
        make_ticket()


def test_channel_delivery_and_failure(helpdesk, recorder, make_agent, make_customer):
    ann = make_agent()
    customer = make_customer()
    ticket = helpdesk.open_ticket(customer, "hi", "hello", channel="outbox")
    helpdesk.reply(ticket, "answer", author=ann)
    assert recorder.sent[0][0] == ticket.ref
    delivered = helpdesk.events(ticket)[-1]
    assert delivered.kind == "message.delivered"
    assert delivered.data["external_id"] == "out-1"
    helpdesk.reply(ticket, "explode", author=ann)
    failed = helpdesk.events(ticket)[-1]
    assert failed.kind == "message.delivery_failed"
    assert "SMTP server down" in failed.data["error"]
    assert len(helpdesk.messages(ticket)) == 3  # the reply is stored even though sending failed


def test_plugin_lifecycles_guards_and_storage(recorder, helpdesk_clock):
    desk = Helpdesk.from_url(
        "recording://", clock=helpdesk_clock, plugins=[recorder], load_entrypoints=False
    )
    customer = desk.add_customer("q", email="q@example.com")
    ticket = desk.open_ticket(customer, "quick one", lifecycle="quick")
    assert ticket.number == 5001
    helpdesk_clock.set(helpdesk_clock.now().replace(day=6))  # 2026-11-06 is a Friday
    with pytest.raises(GuardFailed, match="no changes on Fridays"):
        desk.transition(ticket, "finish")
    helpdesk_clock.set(helpdesk_clock.now().replace(day=9))
    assert desk.transition(ticket, "finish").status == "done"


def test_misspelled_hook_is_an_error():
    class Typo:
        @hookimpl
        def on_ticket_evnt(self, desk, event, ticket):
            pass

    with pytest.raises(PluginError, match="on_ticket_evnt"):
        Helpdesk(plugins=[Typo()], load_entrypoints=False)


def test_unknown_guard_in_a_lifecycle_is_an_error():
    class BadLifecycle:
        @hookimpl
        def register_lifecycles(self, register):
            register(
                {
                    "name": "x",
                    "initial": "a",
                    "states": {"a": "new", "b": "closed"},
                    "transitions": [
                        {"name": "go", "from": "a", "to": "b", "guards": ["missing_guard"]}
                    ],
                }
            )

    with pytest.raises(Exception, match="unknown guard 'missing_guard'"):
        Helpdesk(plugins=[BadLifecycle()], load_entrypoints=False)


def test_channel_registered_twice_is_an_error():
    class Chan:
        name = "dup"
        capabilities = frozenset()

        def send(self, *a):
            return None

    class P1:
        @hookimpl
        def register_channels(self, register):
            register(Chan())

    class P2:
        @hookimpl
        def register_channels(self, register):
            register(Chan())

    with pytest.raises(PluginError, match="registered twice"):
        Helpdesk(plugins=[P1(), P2()], load_entrypoints=False)


def _called_hooks() -> set[str]:
    """Every hook name the package calls as ``<something>.hook.<name>(...)``."""
    names = set()
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "hook"
            ):
                names.add(node.attr)
    return names


def _specs() -> set[str]:
    from helpdesk_kit import hookspecs

    return {n for n in dir(hookspecs) if hasattr(getattr(hookspecs, n), "helpdesk_kit_spec")}


def test_at_least_15_documented_hookspecs():
    from helpdesk_kit import hookspecs

    specs = _specs()
    assert len(specs) >= 15
    for name in specs:
        assert getattr(hookspecs, name).__doc__, name


def test_every_hookspec_has_a_docs_section():
    text = (DOCS / "hooks.md").read_text(encoding="utf-8")
    missing = sorted(n for n in _specs() if f"### {n}" not in text)
    assert missing == [], f"hooks without a section in docs/hooks.md: {missing}"


def test_every_called_hook_is_exercised_by_a_test_plugin():
    called = _called_hooks()
    assert called <= _specs(), f"code calls hooks that have no spec: {called - _specs()}"
    implemented = {n for n in dir(RecordingPlugin) if not n.startswith("_")}
    missing = sorted(called - implemented)
    assert missing == [], f"hooks the code calls but no test plugin implements: {missing}"


def test_recording_plugin_hooks_all_fire(recorder, helpdesk_clock):
    """Run a little scenario and check every hook the plugin implements was called."""
    desk = Helpdesk.from_url(
        "recording://", clock=helpdesk_clock, plugins=[recorder], load_entrypoints=False
    )
    ann = desk.add_agent("Ann")
    desk.configure_sla(guide_policies())  # SLA asks select_sla_policy for each ticket
    desk.configure_escalation(
        {
            "name": "p",
            "levels": [{"name": "kw", "when": {"keywords": ["refund"]}, "actions": ["record"]}],
        }
    )
    r = desk.receive(
        InboundMessage("outbox", Identity("email", "z@example.com"), text="refund please")
    )
    desk.reply(r.ticket, "ok", author=ann)
    desk.transition(r.ticket, "pend", actor=ann)
    desk.customer_context(r.customer)
    desk.suggest_articles(r.ticket)
    desk.notify("x", subject="s", text="t")
    desk.configure_authority({"currency": "CNY", "actions": {"refund": {"limit": "200"}}})
    desk.request_action(r.ticket, "refund", amount="10 CNY", actor=ann)
    assert desk.kpi("repeat_rate", "2026-11")[0]["count"] == 1  # asks customer_orders
    assert recorder.called("escalation_action")  # the plugin's escalation action ran
    fired = {name for name, _ in recorder.calls}
    implemented = {n for n in dir(RecordingPlugin) if not n.startswith("_")} - {
        "called",
        "authority_verdict",
    }
    assert implemented <= fired, implemented - fired
