"""Saving, checking, versioning and rendering templates on a desk."""

from datetime import timedelta

import pytest

from helpdesk_kit import Actor
from helpdesk_kit.errors import (
    ConcurrencyConflict,
    InvalidDefinition,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RenderError,
)
from helpdesk_kit.macros import Template, TemplateBody, starter_pack

from .conftest import BACKENDS

ORDER_ZH = "您好，{customer.name}！您的订单 {order.id} 状态为：{order.status}。工单 {ticket.number}"
ORDER_EN = "Hi {customer.name}, order {order.id} is {order.status}. Ticket {ticket.number}"


def save_order_template(desk, **kw):
    return desk.save_template("order_status", {"zh": ORDER_ZH, "en": ORDER_EN}, **kw)


# ------------------------------------------------------------------ errors at save time


def test_unknown_variable_is_an_error_at_save_time(helpdesk):
    with pytest.raises(InvalidDefinition) as info:
        helpdesk.save_template("bad", {"en": "Hi {custmer.name}, {customer.nmae}"})
    problems = info.value.problems
    assert len(problems) == 2
    assert "unknown variable {custmer.name}" in problems[0]
    assert "did you mean {customer.name}?" in problems[0]
    assert "'customer' has no field 'nmae'" in problems[1]
    assert "did you mean {customer.name}?" in problems[1]
    assert helpdesk.templates() == []


def test_every_problem_of_every_locale_is_listed(helpdesk):
    with pytest.raises(InvalidDefinition) as info:
        helpdesk.save_template(
            "broken",
            {
                "zh": "您好 {customer.name|shout} {order.nope",
                "en": {"text": "Hi {agent}", "html": "<p>{ticket.number|truncate:x}</p>"},
            },
        )
    problems = info.value.problems
    assert len(problems) == 4
    assert [p.split(":")[0] for p in problems] == ["zh", "zh", "en", "en html"]
    assert "template 'broken' is invalid (4 problem(s))" in str(info.value)


def test_empty_body_unknown_kind_bad_locale_and_name(helpdesk):
    with pytest.raises(InvalidDefinition, match="the text is empty"):
        helpdesk.save_template("empty", {"en": "   "})
    with pytest.raises(InvalidDefinition, match="unknown kind 'letter'"):
        helpdesk.save_template("k", {"en": "hi"}, kind="letter")
    with pytest.raises(InvalidDefinition, match="not a language tag"):
        helpdesk.save_template("loc", {"english!": "hi"})
    with pytest.raises(InvalidDefinition, match="template name"):
        helpdesk.save_template("has space", {"en": "hi"})
    with pytest.raises(InvalidDefinition, match="per locale"):
        helpdesk.save_template("none", {})
    with pytest.raises(InvalidDefinition, match="default locale 'fr' has no body"):
        helpdesk.save_template("fr", {"en": "hi"}, default_locale="fr")


def test_order_fields_are_declared_and_more_can_be_added(helpdesk):
    with pytest.raises(InvalidDefinition, match="'order' has no field 'gift_wrap'"):
        helpdesk.save_template("gift", {"en": "Wrapped: {order.gift_wrap}"})
    from helpdesk_kit.macros.variables import ORDER_FIELDS, order_variables

    helpdesk.add_template_variables(
        "order", order_variables, fields=[*ORDER_FIELDS, "gift_wrap"], replace=True
    )
    assert helpdesk.save_template("gift", {"en": "Wrapped: {order.gift_wrap}"}).version == 1


def test_namespaces_limited_to_a_kind(helpdesk, wang, ann):
    helpdesk.add_template_variables(
        "internal", lambda ctx: {"margin": "12%"}, fields=["margin"], kinds=["note"]
    )
    with pytest.raises(InvalidDefinition, match="not offered to 'reply' templates"):
        helpdesk.save_template("leak", {"en": "Our margin is {internal.margin}"})
    saved = helpdesk.save_template("memo", {"en": "Margin {internal.margin}"}, kind="note")
    ticket = helpdesk.open_ticket(wang, "x")
    assert helpdesk.render_template(saved.name, ticket, ann).text == "Margin 12%"


def test_adding_variables_is_checked(helpdesk):
    with pytest.raises(InvalidInput, match="already provided"):
        helpdesk.add_template_variables("customer", lambda ctx: {}, fields=["name"])
    with pytest.raises(InvalidInput, match="not field names"):
        helpdesk.add_template_variables("shop", lambda ctx: {}, fields=["bad name"])
    with pytest.raises(InvalidInput, match="at least one field"):
        helpdesk.add_template_variables("shop", lambda ctx: {}, fields=[])
    with pytest.raises(InvalidInput, match="must be callable"):
        helpdesk.add_template_variables("shop", "nope", fields=["x"])
    with pytest.raises(InvalidInput, match="namespace needs a name"):
        helpdesk.add_template_variables("my-shop", lambda ctx: {}, fields=["x"])


def test_a_feature_adds_its_variables_later(helpdesk, wang, ann):
    """How the SLA feature plugs in: {sla.promise} is unknown until its provider is added."""
    with pytest.raises(InvalidDefinition, match="no namespace 'sla'"):
        helpdesk.save_template("promise", {"en": "We reply by {sla.first_response_due|time}"})

    def sla(ctx):  # a stand-in provider; the SLA feature reads the ticket's timers
        return {"first_response_due": ctx.ticket.created_at + timedelta(hours=2)}

    helpdesk.add_template_variables("sla", sla, fields=["first_response_due", "promise"])
    helpdesk.save_template("promise", {"en": "We reply by {sla.first_response_due|time}"})
    ticket = helpdesk.open_ticket(wang, "x")
    assert helpdesk.render_template("promise", ticket, ann).text == "We reply by 11:00"


# ------------------------------------------------------------------ versions


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_versions_author_and_updated_at(helpdesk, helpdesk_clock, ann):
    first = helpdesk.save_template("greet", {"en": "Hi {customer.name}"}, author=ann)
    assert (first.version, first.author, first.updated_at) == (
        1,
        f"agent:{ann.id}",
        helpdesk_clock.now(),
    )
    helpdesk_clock.advance(hours=1)
    same = helpdesk.save_template("greet", {"en": "Hi {customer.name}"}, author="someone")
    assert same == first  # identical content: no new version
    second = helpdesk.save_template(
        "greet", {"en": "Hello {customer.name}"}, author="admin", expected_version=1
    )
    assert (second.version, second.author, second.updated_at) == (
        2,
        "admin",
        helpdesk_clock.now(),
    )
    with pytest.raises(ConcurrencyConflict):
        helpdesk.save_template("greet", {"en": "Hey {customer.name}"}, expected_version=1)
    with pytest.raises(ConcurrencyConflict):
        helpdesk.save_template("greet", {"en": "Hey"}, expected_version=0)
    assert [t.version for t in helpdesk.template_history("greet")] == [1, 2]
    assert helpdesk.get_template("greet").bodies["en"].text == "Hello {customer.name}"
    assert helpdesk.delete_template("greet") is True
    with pytest.raises(NotFound):
        helpdesk.get_template("greet")
    again = helpdesk.save_template("greet", {"en": "Yo {customer.name}"})
    assert again.version == 3


def test_template_used_by_a_macro_cannot_be_deleted(helpdesk):
    helpdesk.install_starter_macros()
    with pytest.raises(InvalidInput, match="used by macro"):
        helpdesk.delete_template("first_reply")


# ------------------------------------------------------------------ rendering


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_render_picks_the_locale(helpdesk, wang, tom, ann):
    save_order_template(helpdesk)
    zh_ticket = helpdesk.open_ticket(wang, "物流")
    out = helpdesk.render_template("order_status", zh_ticket, ann)
    assert out.locale == "zh"  # customer locale zh-CN -> zh
    assert out.text == "您好，王芳！您的订单 SO-2 状态为：已发货。工单 #1001"
    assert helpdesk.render_template("order_status", zh_ticket, ann, locale="en-US").locale == "en"
    assert helpdesk.render_template("order_status", zh_ticket, ann, locale="de").locale == "zh"
    en_ticket = helpdesk.open_ticket(wang, "shipping", language="en")
    assert helpdesk.render_template("order_status", en_ticket, ann).locale == "en"
    helpdesk.save_template("greet_en_first", {"en": "Hi", "zh": "您好"})
    unknown = helpdesk.open_ticket(wang, "x", language="fr")
    assert helpdesk.render_template("greet_en_first", unknown, ann).text == "您好"  # customer
    nobody = helpdesk.add_customer("X", email="x@example.de")
    assert helpdesk.render_template("greet_en_first", helpdesk.open_ticket(nobody, "x")).text == (
        "Hi"  # no locale anywhere: the template's default (the first given)
    )


def test_order_chosen_by_the_tickets_order_id(helpdesk, wang, ann):
    save_order_template(helpdesk)
    ticket = helpdesk.open_ticket(wang, "x", custom_fields={"order_id": "SO-1"})
    assert "SO-1 状态为：已签收" in helpdesk.render_template("order_status", ticket, ann).text


def test_no_order_is_a_render_error_naming_the_variable(helpdesk, tom, ann, shop):
    save_order_template(helpdesk)
    ticket = helpdesk.open_ticket(tom, "x")
    with pytest.raises(RenderError, match=r"\{order.id\} has no value"):
        helpdesk.render_template("order_status", ticket, ann)
    shop.orders["tom@example.com"] = [{"id": "SO-9"}]  # no status in the host's data
    with pytest.raises(RenderError, match=r"\{order.status\} has no value"):
        helpdesk.render_template("order_status", ticket, ann)


def test_agent_variables_need_an_agent(helpdesk, wang, ann):
    helpdesk.save_template("sig", {"en": "{agent.name}"})
    ticket = helpdesk.open_ticket(wang, "x")
    assert ticket.assignee_id == ann.id
    assert helpdesk.render_template("sig", ticket).text == "Ann"  # the desk: the assignee
    assert helpdesk.render_template("sig", ticket, Actor.system()).text == "Ann"
    helpdesk.assign(ticket, None)
    with pytest.raises(RenderError, match=r"\{agent.name\} has no value"):
        helpdesk.render_template("sig", ticket)
    with pytest.raises(PermissionDenied):
        helpdesk.render_template("sig", ticket, Actor.customer(wang.id))


def test_html_escapes_customer_values(helpdesk, tom, ann):
    helpdesk.save_template(
        "hi",
        {"en": {"text": "Hi {customer.name}", "html": "<p>Hi <b>{customer.name}</b></p>"}},
    )
    helpdesk.save_template("plain", {"en": "Hi {customer.name}\nThanks"})
    ticket = helpdesk.open_ticket(tom, "x")
    out = helpdesk.render_template("hi", ticket, ann)
    assert out.text == "Hi Tom <b>Lee</b> & Co"
    assert out.html == "<p>Hi <b>Tom &lt;b&gt;Lee&lt;/b&gt; &amp; Co</b></p>"
    plain = helpdesk.render_template("plain", ticket, ann)
    assert plain.html == "Hi Tom &lt;b&gt;Lee&lt;/b&gt; &amp; Co<br>\nThanks"
    assert plain.text == "Hi Tom <b>Lee</b> & Co\nThanks"


def test_customer_context_is_asked_only_when_needed(helpdesk, wang, ann, shop):
    helpdesk.save_template("name", {"en": "Hi {customer.name}"})
    save_order_template(helpdesk)
    ticket = helpdesk.open_ticket(wang, "x")
    shop.asked = 0
    helpdesk.render_template("name", ticket, ann)
    assert shop.asked == 0
    helpdesk.render_template("order_status", ticket, ann)
    assert shop.asked == 1  # once for {order.id} and {order.status}


def test_a_template_saved_elsewhere_is_checked_again_when_rendered(helpdesk, wang, ann):
    stray = Template("stray", {"en": "x {gone.value}"})
    ticket = helpdesk.open_ticket(wang, "x")
    with pytest.raises(InvalidDefinition, match="no namespace 'gone'"):
        helpdesk.render_template(stray, ticket, ann)


def test_save_a_template_object(helpdesk):
    t = Template("obj", {"zh": "好", "en": TemplateBody("ok", "<i>ok</i>")}, description="d")
    saved = helpdesk.save_template(t)
    assert saved.bodies["en"].html == "<i>ok</i>"
    assert saved.description == "d"
    with pytest.raises(InvalidInput, match="not both"):
        helpdesk.save_template(t, {"en": "x"})


# ------------------------------------------------------------------ the starter pack


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_starter_pack_renders_in_both_languages(helpdesk, wang, tom, ann):
    pack = helpdesk.install_starter_macros(author="setup")
    assert {t.name for t in pack.templates} == {
        "first_reply",
        "pending_reminder",
        "apology",
        "closing",
    }
    assert {m.shortcode for m in helpdesk.macros()} == {"/greet", "/remind", "/sorry", "/close"}
    zh_ticket = helpdesk.open_ticket(wang, "发票抬头")
    en_ticket = helpdesk.open_ticket(tom, "Invoice")
    for template in pack.templates:
        assert set(template.bodies) == {"zh", "en"}
        zh = helpdesk.render_template(template.name, zh_ticket, ann)
        en = helpdesk.render_template(template.name, en_ticket, ann)
        assert zh.locale == "zh"
        assert en.locale == "en"
        assert "王芳" in zh.text
        assert zh_ticket.ref in zh.text
        assert "Tom <b>Lee</b> & Co" in en.text
        assert en_ticket.ref in en.text
        assert "&lt;b&gt;" in en.html
    again = helpdesk.install_starter_macros()
    assert [t.version for t in again.templates] == [1, 1, 1, 1]  # unchanged: no new versions


def test_starter_pack_is_plain_data():
    pack = starter_pack()
    assert len(pack.templates) == 4
    assert len(pack.macros) == 4
    assert starter_pack().to_dict() == pack.to_dict()
