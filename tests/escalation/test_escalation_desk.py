"""Escalation on the desk: each condition, each action, fired once, on every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from helpdesk_kit import Helpdesk
from helpdesk_kit.desk import DeskSettings
from helpdesk_kit.errors import InvalidDefinition, InvalidInput, PermissionDenied
from helpdesk_kit.escalation import guide_policies
from helpdesk_kit.feedback.settings import SurveySettings
from helpdesk_kit.plugins import hookimpl
from helpdesk_kit.sla import SlaPolicy, SlaTarget
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import Actor

BACKENDS = ["memory", "sqlite", "postgresql"]
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)


class Recorder:
    """Records notifications and provides a plugin escalation action."""

    def __init__(self) -> None:
        self.notified: list[dict[str, Any]] = []
        self.paged: list[tuple[str, str, dict[str, Any]]] = []

    @hookimpl
    def notify(self, desk: Helpdesk, notification: dict[str, Any]) -> None:
        self.notified.append(dict(notification))

    @hookimpl
    def register_escalation_actions(self, register: Any) -> None:
        def page(desk: Helpdesk, ticket: Any, level: Any, params: dict[str, Any]) -> dict[str, Any]:
            self.paged.append((ticket.ref, level.name, params))
            return {"paged": params.get("who", "oncall")}

        def broken(desk: Helpdesk, ticket: Any, level: Any, params: dict[str, Any]) -> None:
            raise RuntimeError("pager down")

        register("page", page)
        register("broken", broken)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def desk(helpdesk_storage: Any, helpdesk_clock: Any, recorder: Recorder) -> Helpdesk:
    d = Helpdesk(helpdesk_storage, helpdesk_clock, plugins=[recorder], load_entrypoints=False)
    lead = d.add_agent("Lead", role="supervisor", max_concurrent=2)
    d.add_group("support", supervisor=lead)
    d.add_group("managers")
    d.add_agent("Ann", groups=["support"], max_concurrent=5)
    return d


def _policy(when: dict[str, Any], *actions: Any, name: str = "lvl") -> dict[str, Any]:
    return {
        "name": "p",
        "levels": [{"name": name, "when": when, "actions": list(actions) or ["notify"]}],
    }


def _customer(desk: Helpdesk, n: int = 1) -> Any:
    return desk.add_customer(f"C{n}", email=f"c{n}@example.com")


def _fired(desk: Helpdesk, ticket: Any) -> list[str]:
    return [f"{f.policy}/{f.level}" for f in desk.escalations(ticket)]


def _fired_events(desk: Helpdesk, ticket: Any) -> list[Any]:
    return [e for e in desk.events(ticket) if e.kind == ev.ESCALATION_FIRED]


# ------------------------------------------------------------------ conditions


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_waiting_since_created_fires_once_at_its_instant(desk, helpdesk_clock):
    desk.configure_escalation(_policy({"waiting": "4h"}, {"action": "tag", "tags": ["late"]}))
    t = desk.open_ticket(_customer(desk), "Parcel", "where is it", group="support")
    assert desk.escalation_due(t) == T0 + 4 * H
    helpdesk_clock.advance(4 * H - timedelta(seconds=1))
    assert desk.sweep().results["escalation"].fired == 0
    helpdesk_clock.advance(seconds=1)
    assert desk.sweep().results["escalation"].fired == 1
    for _ in range(3):
        helpdesk_clock.advance(hours=1)
        assert desk.sweep().results["escalation"].fired == 0
    assert _fired(desk, t) == ["p/lvl"]
    assert "late" in desk.get_ticket(t).tags
    (event,) = _fired_events(desk, t)
    assert event.data["why"]["at"] == (T0 + 4 * H).isoformat()
    assert desk.escalations(t)[0].event_id == event.id
    assert desk.escalation_due(t) is None


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_waiting_since_customer_message_restarts_and_agent_reply_stops_it(desk, helpdesk_clock):
    desk.configure_escalation(_policy({"waiting": "2h", "since": "customer_message"}))
    ann = next(a for a in desk.agents() if a.name == "Ann")
    c = _customer(desk)
    t = desk.open_ticket(c, "Parcel", "where is it", group="support", assignee=ann)
    helpdesk_clock.advance(hours=1)
    desk.reply(t, "Checking", author=ann)
    assert desk.escalation_due(t) is None  # answered: nothing to wait for
    helpdesk_clock.advance(hours=5)
    desk.sweep()
    assert _fired(desk, t) == []
    _receive(desk, c, t, "any news?")
    assert desk.escalation_due(t) == helpdesk_clock.now() + 2 * H
    helpdesk_clock.advance(hours=2)
    desk.sweep()
    assert _fired(desk, t) == ["p/lvl"]


def _receive(desk: Helpdesk, customer: Any, ticket: Any, text: str) -> None:
    from helpdesk_kit import Identity, InboundMessage

    desk.receive(
        InboundMessage(
            channel="web",
            sender=Identity("email", customer.identities[0].value),
            text=text,
            ticket_number=desk.get_ticket(ticket).number,
        )
    )


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_sla_percent_and_breach(desk, helpdesk_clock):
    desk.configure_sla(
        [SlaPolicy("all", {}, "24x7", {"first_response": SlaTarget(4 * H)})],
    )
    desk.configure_escalation(
        {
            "name": "sla",
            "levels": [
                {
                    "name": "half",
                    "when": {"sla": "first_response", "percent": 50},
                    "actions": [{"action": "tag", "tags": ["half"]}],
                },
                {
                    "name": "breach",
                    "when": {"breach": "first_response"},
                    "actions": [{"action": "raise_priority", "to": "urgent"}],
                },
                {
                    "name": "late",
                    "when": {"sla": "first_response", "percent": 150},
                    "actions": ["notify"],
                },
            ],
        }
    )
    t = desk.open_ticket(_customer(desk), "Parcel", "where", group="support")
    assert desk.escalation_due(t) == T0 + 2 * H
    helpdesk_clock.advance(hours=2)
    desk.sweep()
    assert _fired(desk, t) == ["sla/half"]
    assert desk.escalation_due(t) == T0 + 4 * H
    helpdesk_clock.advance(hours=2)
    desk.sweep()
    assert _fired(desk, t) == ["sla/half", "sla/breach"]
    assert desk.get_ticket(t).priority.value == "urgent"
    ann = next(a for a in desk.agents() if a.name == "Ann")
    desk.reply(t, "sorry", author=ann)  # met late: the 150% level never comes
    helpdesk_clock.advance(hours=10)
    desk.sweep()
    assert _fired(desk, t) == ["sla/half", "sla/breach"]


def test_sla_levels_need_sla_configured(desk):
    with pytest.raises(InvalidDefinition, match="configure_sla"):
        desk.configure_escalation(_policy({"breach": "any"}))
    desk.configure_sla([SlaPolicy("all", {}, "24x7", {"first_response": SlaTarget(H)})])
    with pytest.raises(InvalidDefinition, match="unknown SLA metric 'speed'"):
        desk.configure_escalation(_policy({"breach": "speed"}))


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_keywords_fire_in_the_command_that_brought_the_message(desk, recorder):
    desk.configure_escalation(
        _policy({"keywords": "default"}, {"action": "notify", "recipients": ["supervisor"]})
    )
    c = _customer(desk)
    t = desk.open_ticket(c, "Order", "where is my order", group="support")
    assert _fired(desk, t) == []
    _receive(desk, c, t, "再不处理我就打12315投诉")
    assert _fired(desk, t) == ["p/lvl"]
    (event,) = _fired_events(desk, t)
    assert event.data["why"]["found"] == ["12315", "投诉"]
    lead = desk.get_group("support").supervisor_id
    assert recorder.notified[-1]["recipients"] == [lead]
    assert recorder.notified[-1]["kind"] == "escalation"
    assert recorder.notified[-1]["ticket_id"] == t.id
    _receive(desk, c, t, "LAWYER!")  # the level fired already
    assert len(_fired_events(desk, t)) == 1
    assert len(recorder.notified) == 1


def test_sentiment_words(desk):
    desk.configure_escalation(
        _policy({"sentiment": "default"}, {"action": "tag", "tags": ["angry"]})
    )
    t = desk.open_ticket(
        _customer(desk), "Service", "This is unacceptable, 太差了", group="support"
    )
    assert "angry" in desk.get_ticket(t).tags
    (event,) = _fired_events(desk, t)
    assert event.data["why"]["found"] == ["unacceptable", "太差"]


@pytest.mark.parametrize("helpdesk_storage", ["memory", "sqlite"], indirect=True)
def test_bad_rating(helpdesk_storage, helpdesk_clock, recorder):
    desk = Helpdesk(
        helpdesk_storage,
        helpdesk_clock,
        plugins=[recorder],
        settings=DeskSettings(auto_assign=False),
        load_entrypoints=False,
    )
    desk.configure_surveys(SurveySettings(secret="s" * 32, link="https://x.example/r?t={token}"))
    desk.configure_escalation(_policy({"rating_at_most": 2}, {"action": "tag", "tags": ["bad"]}))
    ann = desk.add_agent("Ann")
    good = desk.open_ticket(_customer(desk, 1), "A", "a", assignee=ann, channel="chat")
    bad = desk.open_ticket(_customer(desk, 2), "B", "b", assignee=ann, channel="chat")
    for t in (good, bad):
        desk.reply(t, "done", author=ann)
        desk.transition(t, "solve", actor=ann)
    desk.rate_survey(desk.survey_token(desk.surveys(good)[0]), 4)
    desk.rate_survey(desk.survey_token(desk.surveys(bad)[0]), 1)
    assert _fired(desk, good) == []
    assert _fired(desk, bad) == ["p/lvl"]
    assert "bad" in desk.get_ticket(bad).tags
    helpdesk_clock.advance(minutes=1)
    desk.rate_survey(desk.survey_token(desk.surveys(good)[0]), 2)  # changed to a bad score
    assert _fired(desk, good) == ["p/lvl"]


def test_complaint_ticket_by_category_or_lifecycle(desk):
    desk.configure_escalation(
        _policy({"complaint": True}, {"action": "assign_group", "group": "managers"})
    )
    c = _customer(desk)
    a = desk.open_ticket(c, "A", "a", category="complaint", group="support")
    b = desk.open_ticket(c, "B", "b", lifecycle="complaint", group="support")
    n = desk.open_ticket(c, "N", "n", group="support")
    managers = desk.get_group("managers").id
    assert desk.get_ticket(a).group_id == managers
    assert desk.get_ticket(b).group_id == managers
    assert _fired(desk, n) == []
    desk.update_fields(n, category="complaint")
    assert desk.get_ticket(n).group_id == managers


# ------------------------------------------------------------------ actions


def test_assign_supervisor_respects_capacity(desk):
    desk.configure_escalation(_policy({"keywords": ["refund"]}, "assign_supervisor"))
    lead = desk.get_group("support").supervisor_id
    c = _customer(desk)
    refs = [desk.open_ticket(c, f"T{i}", "refund please", group="support") for i in range(3)]
    assignees = [desk.get_ticket(t).assignee_id for t in refs]
    assert assignees[:2] == [lead, lead]
    assert assignees[2] != lead  # the lead has max_concurrent=2
    results = _fired_events(desk, refs[2])[0].data["actions"]
    assert results[0]["ok"] is False
    assert "capacity" in results[0]["error"]
    # no group, no supervisor: recorded, nothing else changes
    t = desk.open_ticket(c, "T", "refund")
    assert _fired_events(desk, t)[0].data["actions"][0]["error"].startswith("the ticket has no")


def test_raise_priority_one_step_or_to_a_value_never_lowers(desk):
    desk.configure_escalation(
        {
            "name": "p",
            "levels": [
                {"name": "a", "when": {"keywords": ["refund"]}, "actions": ["raise_priority"]},
                {
                    "name": "b",
                    "when": {"keywords": ["lawyer"]},
                    "actions": [{"action": "raise_priority", "to": "normal"}],
                },
            ],
        }
    )
    c = _customer(desk)
    t = desk.open_ticket(c, "T", "refund", group="support", priority="low")
    assert desk.get_ticket(t).priority.value == "normal"
    u = desk.open_ticket(c, "U", "lawyer", group="support", priority="high")
    assert desk.get_ticket(u).priority.value == "high"
    changes = [e for e in desk.events(t) if e.kind == ev.PRIORITY_CHANGED]
    assert changes[0].data == {"from": "low", "to": "normal", "reason": "escalation"}


def test_notify_tokens_and_custom_text(desk, recorder):
    desk.configure_escalation(
        _policy(
            {"keywords": ["refund"]},
            {
                "action": "notify",
                "recipients": ["supervisor", "assignee", "group", "managers"],
                "subject": "Refund asked",
                "text": "see ticket",
            },
        )
    )
    t = desk.open_ticket(_customer(desk), "T", "refund", group="support")
    lead = desk.get_group("support").supervisor_id
    ann = desk.get_ticket(t).assignee_id
    (note,) = recorder.notified
    assert note["recipients"] == [lead, ann, "support", "managers"]
    assert (note["subject"], note["text"]) == ("Refund asked", "see ticket")


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_switch_to_complaint_lifecycle_then_manager(desk):
    desk.add_group("managers2")
    desk.configure_escalation(guide_policies(manager_group="managers"))
    c = _customer(desk)
    t = desk.open_ticket(c, "Order", "where is my order", group="support")
    ann = desk.get_ticket(t).assignee_id
    desk.reply(t, "checking", author=desk.get_agent(ann))
    _receive(desk, c, t, "我要投诉, 还要曝光你们")
    got = desk.get_ticket(t)
    assert (got.lifecycle, got.status) == ("complaint", "acknowledged")
    assert got.group_id == desk.get_group("managers").id
    assert got.priority.value == "urgent"
    assert {"complaint"} <= got.tags
    assert _fired(desk, t) == ["guide/complaint_words", "guide/manager"]
    changed = [e for e in desk.events(t) if e.kind == ev.LIFECYCLE_CHANGED]
    assert changed[0].data == {
        "from_lifecycle": "support",
        "to_lifecycle": "complaint",
        "from": "open",
        "to": "acknowledged",
    }
    # the complaint lifecycle's transitions work from the mapped state
    desk.transition(t, "investigate", actor=Actor.system())
    assert desk.get_ticket(t).status == "investigating"


def test_plugin_actions_run_and_failures_are_recorded(desk, recorder):
    desk.configure_escalation(
        _policy({"keywords": ["refund"]}, {"action": "page", "who": "duty"}, "broken", "notify")
    )
    t = desk.open_ticket(_customer(desk), "T", "refund", group="support")
    assert recorder.paged == [(t.ref, "lvl", {"who": "duty"})]
    actions = _fired_events(desk, t)[0].data["actions"]
    assert actions[0] == {"action": "page", "ok": True, "paged": "duty"}
    assert actions[1]["ok"] is False
    assert "pager down" in actions[1]["error"]
    assert actions[2]["action"] == "notify"
    assert len(recorder.notified) == 1
    with pytest.raises(InvalidDefinition, match="unknown action 'fax'"):
        desk.configure_escalation(_policy({"keywords": ["x"]}, "fax"))


def test_change_lifecycle_command(desk):
    t = desk.open_ticket(_customer(desk), "T", "t", group="support")
    with pytest.raises(PermissionDenied):
        desk.change_lifecycle(t, "complaint", actor=Actor.customer("c"))
    with pytest.raises(InvalidInput, match="no state 'nowhere'"):
        desk.change_lifecycle(t, "complaint", status="nowhere")
    with pytest.raises(InvalidInput, match="no lifecycle"):
        desk.change_lifecycle(t, "nope")
    moved = desk.change_lifecycle(t, "complaint", status="escalated")
    assert (moved.lifecycle, moved.status) == ("complaint", "escalated")
    assert desk.change_lifecycle(t, "complaint") == moved  # no change, no event
    back = desk.change_lifecycle(t, "support")
    assert (back.lifecycle, back.status) == ("support", "open")
    assert [e.kind for e in desk.events(t)].count(ev.LIFECYCLE_CHANGED) == 2


def test_applies_to_and_reconfigure(desk):
    desk.configure_escalation(
        {
            "name": "email_only",
            "applies_to": {"channels": ["email"], "groups": ["support"]},
            "levels": [{"name": "a", "when": {"keywords": ["refund"]}, "actions": ["notify"]}],
        }
    )
    c = _customer(desk)
    web = desk.open_ticket(c, "T", "refund", group="support", channel="web")
    mail = desk.open_ticket(c, "T", "refund", group="support", channel="email")
    other = desk.open_ticket(c, "T", "refund", group="managers", channel="email")
    assert (_fired(desk, web), _fired(desk, mail), _fired(desk, other)) == (
        [],
        ["email_only/a"],
        [],
    )
    config = desk.configure_escalation([])  # switch every policy off
    assert config.policies == ()
    desk.open_ticket(c, "T", "refund", group="support", channel="email")
    with pytest.raises(InvalidDefinition, match="batch_size"):
        desk.configure_escalation([], batch_size=0)


def test_not_configured(helpdesk):
    with pytest.raises(InvalidInput, match="configure_escalation"):
        helpdesk.escalation_config  # noqa: B018
