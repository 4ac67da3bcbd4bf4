"""Macros: checked when saved, applied as one unit of work, found by short code."""

import pytest

from helpdesk_kit import Actor
from helpdesk_kit.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    InvalidDefinition,
    NotFound,
    PermissionDenied,
    RenderError,
    TransitionNotAllowed,
)
from helpdesk_kit.macros import Macro

from .conftest import BACKENDS

REFUND_ZH = "{customer.name}，订单 {order.id} 的退款已提交，预计 3 个工作日到账。"
REFUND_EN = "{customer.name}, the refund for order {order.id} is on its way (3 working days)."


def refund_macro(desk):
    desk.save_template("refund_started", {"zh": REFUND_ZH, "en": REFUND_EN})
    return desk.save_macro(
        "refund",
        shortcode="/Refund",
        description="Start a refund",
        template="refund_started",
        set_priority="high",
        add_tags=["refund"],
        remove_tags=["new-customer"],
        set_fields={"category": "refund", "custom_fields": {"refund": "started"}},
        assign_group="finance",
        note="{agent.name} started a refund of {order.amount} {order.currency} for {order.id}",
        transition="pend",
    )


def snapshot(desk, ticket):
    return (
        desk.get_ticket(ticket),
        [e.kind for e in desk.events(ticket)],
        len(desk.messages(ticket)),
    )


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_apply_every_action_in_one_unit(helpdesk, helpdesk_clock, wang, ann):
    macro = refund_macro(helpdesk)
    assert macro.shortcode == "/refund"
    lin = helpdesk.add_agent("Lin", groups=["finance"])
    ticket = helpdesk.open_ticket(wang, "我要退款", "屏幕碎了", tags=["new-customer"])
    assert ticket.assignee_id == ann.id
    before = len(helpdesk.events(ticket))
    helpdesk_clock.advance(minutes=3)
    result = helpdesk.apply_macro(ticket, "/refund", agent=ann)
    t = result.ticket
    assert t.priority == "high"
    assert t.tags == {"refund"}
    assert t.category == "refund"
    assert t.custom_fields == {"refund": "started"}
    assert t.group_id == helpdesk.get_group("finance").id
    assert t.assignee_id == lin.id  # Ann is not in finance: routed inside the new group
    assert t.status == "pending"
    assert t.first_response_at == helpdesk_clock.now()
    assert result.note.text == "Ann started a refund of 299.00 CNY for SO-2"
    assert result.note.public is False
    assert result.reply.text == "王芳，订单 SO-2 的退款已提交，预计 3 个工作日到账。"
    assert result.rendered.locale == "zh"
    kinds = [e.kind for e in helpdesk.events(ticket)][before:]
    assert kinds == [
        "macro.applied",
        "ticket.priority_changed",
        "ticket.tags_changed",
        "ticket.fields_changed",
        "ticket.assigned",
        "ticket.assigned",
        "note.added",
        "reply.sent",
        "ticket.transitioned",
    ]
    assert [e.kind for e in result.events] == kinds
    applied = helpdesk.events(ticket)[before]
    assert applied.data == {
        "macro": "refund",
        "version": 1,
        "shortcode": "/refund",
        "template": "refund_started",
    }
    sent = helpdesk.events(ticket)[before + 7]
    assert sent.data["template"] == "refund_started"
    assert sent.data["locale"] == "zh"
    assert sent.data["first_response"] is True
    assert all(e.actor == f"agent:{ann.id}" for e in helpdesk.events(ticket)[before : before + 4])


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_a_failing_step_stores_nothing(helpdesk, wang, tom, ann):
    refund_macro(helpdesk)
    # 1. the transition is not allowed from the ticket's state
    ticket = helpdesk.open_ticket(wang, "x", tags=["new-customer"])
    helpdesk.transition(ticket, "solve", actor=ann)
    before = snapshot(helpdesk, ticket)
    with pytest.raises(TransitionNotAllowed, match="'pend' is not allowed from 'solved'"):
        helpdesk.apply_macro(ticket, "refund", agent=ann)
    assert snapshot(helpdesk, ticket) == before
    # 2. the customer has no order: the note cannot be written
    other = helpdesk.open_ticket(tom, "y")
    before = snapshot(helpdesk, other)
    with pytest.raises(RenderError, match=r"\{order.amount\}"):
        helpdesk.apply_macro(other, "/refund", agent=ann)
    assert snapshot(helpdesk, other) == before


def test_a_reply_is_the_same_as_desk_reply(helpdesk, wang, ann, shop):
    """A macro's reply takes the same steps as Helpdesk.reply (signature hook, first
    response, automatic transition, delivery)."""
    shop.signature = "Shop support"
    helpdesk.save_template("hello", {"zh": "您好，{customer.name}"})
    helpdesk.save_macro("hello", template="hello")
    by_hand = helpdesk.open_ticket(wang, "a")
    by_macro = helpdesk.open_ticket(wang, "b")
    message = helpdesk.reply(by_hand, "您好，王芳", author=ann)
    result = helpdesk.apply_macro(by_macro, "hello", agent=ann)
    assert result.reply.text == message.text == "您好，王芳\n-- Shop support"
    hand, macro = helpdesk.get_ticket(by_hand), helpdesk.get_ticket(by_macro)
    assert (hand.status, hand.first_response_at) == (macro.status, macro.first_response_at)
    hand_kinds = [e.kind for e in helpdesk.events(by_hand)]
    macro_kinds = [e.kind for e in helpdesk.events(by_macro) if e.kind != "macro.applied"]
    assert hand_kinds == macro_kinds
    assert macro.version == hand.version


def test_html_template_reply_carries_html(helpdesk, tom, ann):
    helpdesk.save_template(
        "rich", {"en": {"text": "Hi {customer.name}", "html": "<p>Hi {customer.name}</p>"}}
    )
    helpdesk.save_macro("rich", shortcode="/rich", template="rich")
    result = helpdesk.apply_macro(helpdesk.open_ticket(tom, "x"), "/rich", agent=ann)
    assert result.reply.html == "<p>Hi Tom &lt;b&gt;Lee&lt;/b&gt; &amp; Co</p>"
    assert result.reply.text == "Hi Tom <b>Lee</b> & Co"


def test_macro_without_reply_only_changes_fields(helpdesk, wang, ann):
    helpdesk.save_macro("escalate", shortcode="/up", set_priority="urgent", transition="hold")
    ticket = helpdesk.open_ticket(wang, "x")
    result = helpdesk.apply_macro(ticket, "/UP", agent=ann)
    assert (result.ticket.priority, result.ticket.status) == ("urgent", "on_hold")
    assert result.reply is None
    assert result.rendered is None
    assert result.ticket.first_response_at is None


def test_group_member_keeps_the_ticket(helpdesk, wang, ann):
    helpdesk.save_macro("to_support", assign_group="support")
    ticket = helpdesk.open_ticket(wang, "x")
    result = helpdesk.apply_macro(ticket, "to_support", agent=ann)
    assert result.ticket.assignee_id == ann.id


def test_save_checks_everything_against_the_desk(helpdesk):
    with pytest.raises(InvalidDefinition) as info:
        helpdesk.save_macro(
            "bad",
            shortcode="/bad",
            template="missing",
            assign_group="nobody",
            transition="fly",
            note="Note {custmer.name}",
        )
    problems = info.value.problems
    assert len(problems) == 4
    assert "template 'missing' does not exist" in problems[0]
    assert "no group 'nobody'" in problems[1]
    assert "no lifecycle has a transition 'fly'" in problems[2]
    assert "note: line 1, column 6: unknown variable {custmer.name}" in problems[3]
    assert helpdesk.macros() == []


def test_shape_problems_are_listed_together(helpdesk):
    with pytest.raises(InvalidDefinition) as info:
        helpdesk.save_macro(
            "shape",
            shortcode="has space",
            set_priority="asap",
            add_tags=["x"],
            remove_tags=["x"],
            set_fields={"status": "open"},
            colour="red",
        )
    problems = info.value.problems
    assert any("unknown key 'colour'" in p for p in problems)
    assert any("not a short code" in p for p in problems)
    assert any("unknown priority 'asap'" in p for p in problems)
    assert any("both added and removed: x" in p for p in problems)
    assert any("cannot set status" in p for p in problems)
    with pytest.raises(InvalidDefinition, match="does nothing"):
        helpdesk.save_macro("nothing")
    helpdesk.save_template("memo", {"en": "hi"}, kind="note")
    with pytest.raises(InvalidDefinition, match="is a 'note' template"):
        helpdesk.save_macro("memo", template="memo")


def test_shortcodes_are_unique_and_macros_versioned(helpdesk, ann):
    helpdesk.save_macro("one", shortcode="/x", set_priority="high")
    with pytest.raises(AlreadyExists, match="/x"):
        helpdesk.save_macro("two", shortcode="/X", set_priority="low")
    v2 = helpdesk.save_macro("one", shortcode="/x", set_priority="urgent", author=ann)
    assert (v2.version, v2.author) == (2, f"agent:{ann.id}")
    assert helpdesk.save_macro("one", shortcode="/x", set_priority="urgent") == v2
    with pytest.raises(ConcurrencyConflict):
        helpdesk.save_macro("one", shortcode="/x", set_priority="low", expected_version=1)
    assert [m.version for m in helpdesk.macro_history("one")] == [1, 2]
    assert helpdesk.get_macro("/x").name == "one" == helpdesk.get_macro("one").name
    with pytest.raises(NotFound):
        helpdesk.get_macro("/nope")
    assert helpdesk.delete_macro("one") is True
    with pytest.raises(NotFound):
        helpdesk.get_macro("one")


def test_macros_by_shortcode_prefix(helpdesk):
    helpdesk.install_starter_macros()
    helpdesk.save_macro("refund_note", shortcode="/refund", note="refund started")
    assert [m.shortcode for m in helpdesk.macros("/re")] == ["/refund", "/remind"]
    assert [m.shortcode for m in helpdesk.macros("re")] == ["/refund", "/remind"]
    assert len(helpdesk.macros()) == 5


def test_expand_shortcode_for_the_composer(helpdesk, wang, ann):
    helpdesk.install_starter_macros()
    ticket = helpdesk.open_ticket(wang, "x")
    before = snapshot(helpdesk, ticket)
    preview = helpdesk.expand_shortcode("/greet", ticket, ann, locale="en")
    assert preview.text.startswith("Hi 王芳,")
    assert "This is Ann" in preview.text
    assert snapshot(helpdesk, ticket) == before


def test_who_may_apply(helpdesk, wang, ann):
    helpdesk.install_starter_macros()
    ticket = helpdesk.open_ticket(wang, "x")
    with pytest.raises(PermissionDenied):
        helpdesk.apply_macro(ticket, "/greet", agent=Actor.customer(wang.id))
    with pytest.raises(PermissionDenied):
        helpdesk.apply_macro(ticket, "/greet", agent=Actor.bot())
    by_desk = helpdesk.apply_macro(ticket, "/greet", agent=None)  # automation
    assert "客服Ann" in by_desk.reply.text  # the assignee's name
    assert by_desk.reply.author_kind == "system"
    by_id = helpdesk.apply_macro(ticket, "/sorry", agent=ann.id)
    assert by_id.reply.author_id == ann.id


def test_expected_version(helpdesk, wang, ann):
    helpdesk.install_starter_macros()
    ticket = helpdesk.open_ticket(wang, "x")
    helpdesk.tag(ticket, add=["vip"], actor=ann)
    with pytest.raises(ConcurrencyConflict):
        helpdesk.apply_macro(ticket, "/sorry", agent=ann, expected_version=ticket.version)


def test_reply_with_template_and_from_a_reactor(helpdesk, wang, ann):
    """Automation rules reply with a template from inside their unit of work."""
    helpdesk.install_starter_macros()

    def greet_new_tickets(desk, work, events):
        for event in events:
            if event.kind == "ticket.created":
                ticket = work.ticket(event.ticket_id)
                desk.apply_macro_in(work, ticket, "/greet", actor=Actor.system())

    helpdesk.add_reactor("greet", greet_new_tickets)
    ticket = helpdesk.open_ticket(wang, "自动回复")
    replies = [m for m in helpdesk.messages(ticket) if m.public and m.author_kind == "system"]
    assert len(replies) == 1
    assert "工单号是 #1001" in replies[0].text
    message = helpdesk.reply_with_template(ticket, "closing", author=ann, transition="solve")
    assert message.text.startswith("王芳，很高兴")
    assert helpdesk.get_ticket(ticket).status == "solved"


def test_install_pack_from_toml_is_all_or_nothing(helpdesk):
    bad = """
    [templates.ok]
    en = "Hi {customer.name}"

    [templates.broken]
    en = "Hi {customer.nam}"

    [macros.uses_missing]
    template = "nowhere"
    """
    with pytest.raises(InvalidDefinition) as info:
        helpdesk.install_pack(bad)
    assert info.value.problems == [
        "templates.broken: en: line 1, column 4: unknown variable {customer.nam}: 'customer' "
        "has no field 'nam' (fields: email, id, locale, name, phone, tier); "
        "did you mean {customer.name}?"
    ]
    assert helpdesk.templates() == []
    with pytest.raises(InvalidDefinition, match="template 'nowhere' does not exist"):
        helpdesk.install_pack(bad.replace("customer.nam}", "customer.name}"))
    assert helpdesk.templates() == []  # the templates were rolled back with the macro
    good = bad.replace("customer.nam}", "customer.name}").replace("nowhere", "ok")
    pack = helpdesk.install_pack(good, author="importer")
    assert [t.name for t in pack.templates] == ["ok", "broken"]
    assert pack.macros[0].template == "ok"
    assert pack.macros[0].author == "importer"


def test_pack_files_and_bad_packs(tmp_path):
    from helpdesk_kit.errors import InvalidInput
    from helpdesk_kit.macros import load_pack

    path = tmp_path / "team.toml"
    path.write_text('[macros.m]\nshortcode = "/m"\nset_priority = "low"\n', encoding="utf-8")
    assert load_pack(path).macros[0].shortcode == "/m"
    assert load_pack(str(path)).macros[0].name == "m"
    with pytest.raises(InvalidInput, match="not valid TOML"):
        load_pack("[macros")
    with pytest.raises(InvalidInput, match="cannot read"):
        load_pack(tmp_path / "missing.toml")
    with pytest.raises(InvalidDefinition) as info:
        load_pack({"rules": {}, "templates": ["x"], "macros": {"x": "text"}})
    assert len(info.value.problems) == 3


def test_macro_round_trips_as_data():
    m = Macro("m", shortcode="/m", template="t", add_tags=["b", "a"], note="n")
    assert Macro.from_dict("m", m.to_dict()) == m
    assert m.add_tags == ("a", "b")
