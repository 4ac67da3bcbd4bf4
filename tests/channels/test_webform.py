"""Web forms: definitions, per-field validation, spam checks, and the channel end to end."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpdesk_kit import Helpdesk
from helpdesk_kit.channels.base import ChannelPlugin, DirectoryAttachmentStore
from helpdesk_kit.channels.email import EmailChannel, parse_email
from helpdesk_kit.channels.webform import (
    FieldType,
    FormChannel,
    FormDefinition,
    FormField,
    Upload,
    form_token_time,
    forms_from_toml,
    issue_form_token,
)
from helpdesk_kit.channels.webform.plugin import from_env
from helpdesk_kit.errors import FormInvalid, InvalidDefinition, InvalidInput, PluginError

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

CONTACT_TOML = """
name = "contact"
title = "Contact us"
honeypot = "website"
min_fill_seconds = 3
subject = "{topic}: order {order_no}"
tags = ["web"]

[[fields]]
name = "email"
type = "email"
label = "E-mail"
target = "email"

[[fields]]
name = "phone"
type = "phone"
target = "phone"

[[fields]]
name = "full_name"
type = "text"
target = "name"
max_length = 80

[[fields]]
name = "topic"
type = "choice"
target = "category"
required = true
choices = [{value = "refund", label = "Refund"}, {value = "delivery", label = "Delivery"}]

[[fields]]
name = "order_no"
type = "text"
pattern = "[A-Z]{2}[0-9]{4,10}"
required = true

[[fields]]
name = "products"
type = "multi_choice"
choices = ["phone", "case", "charger"]
max_selected = 2

[[fields]]
name = "amount"
type = "number"
minimum = 0
maximum = 100000

[[fields]]
name = "bought_on"
type = "date"
min_date = "2020-01-01"

[[fields]]
name = "message"
type = "text"
multiline = true
target = "message"
required = true
min_length = 5

[[fields]]
name = "photos"
type = "file"
max_files = 2
max_size = 1000
content_types = ["image/*"]
extensions = [".jpg", ".png"]
"""


@pytest.fixture
def contact():
    return FormDefinition.from_toml(CONTACT_TOML)


GOOD = {
    "email": "Wang@Example.CN",
    "full_name": "王芳",
    "topic": "refund",
    "order_no": "SO123456",
    "products": ["phone", "case"],
    "amount": "1,299.50",
    "bought_on": "2026-10-30",
    "message": "屏幕有裂痕，\r\n想退款。",
    "csrf_token": "ignored",
    "website": "",
}


def test_a_good_submission_is_typed(contact):
    photo = Upload("C:\\Users\\w\\crack.JPG", "image/jpeg", b"\xff\xd8" + b"x" * 100)
    sub = contact.validate(GOOD, {"photos": [photo]}, now=NOW, rendered_at=NOW - timedelta(9))
    assert sub.spam is None
    assert sub.email == "wang@example.cn"
    assert sub.phone is None
    assert sub.name == "王芳"
    assert sub.category == "refund"
    assert sub.subject == "refund: order SO123456"
    assert sub.values["amount"] == 1299.5
    assert sub.values["bought_on"] == date(2026, 10, 30)
    assert sub.custom_fields == {
        "order_no": "SO123456",
        "products": ["phone", "case"],
        "amount": 1299.5,
        "bought_on": "2026-10-30",
    }
    assert sub.files["photos"][0].safe_filename == "crack.JPG"
    assert sub.text.splitlines() == [
        "屏幕有裂痕，",
        "想退款。",
        "",
        "E-mail: wang@example.cn",
        "Full name: 王芳",
        "Topic: Refund",
        "Order no: SO123456",
        "Products: phone, case",
        "Amount: 1299.5",
        "Bought on: 2026-10-30",
        "Photos: crack.JPG",
    ]


def test_every_problem_of_every_field_is_reported(contact):
    bad = {
        "email": "not-an-address",
        "phone": "call me",
        "full_name": "x" * 81,
        "topic": "gift",
        "order_no": "so1",
        "products": ["phone", "case", "charger"],
        "amount": "-3",
        "bought_on": "30/10/2026",
        "message": "hi",
    }
    files = {
        "photos": [
            Upload("a.gif", "image/gif", b"GIF89a"),
            Upload("b.png", "image/png", b"x" * 2000),
            Upload("c.png", "application/x-msdownload", b"MZ"),
        ]
    }
    with pytest.raises(FormInvalid) as info:
        contact.validate(bad, files, now=NOW, rendered_at=NOW - timedelta(minutes=1))
    errors = info.value.errors
    assert set(errors) == {
        "email",
        "phone",
        "full_name",
        "topic",
        "order_no",
        "products",
        "amount",
        "bought_on",
        "message",
        "photos",
    }
    assert errors["email"] == ["is not an e-mail address"]
    assert errors["topic"] == ["'gift' is not one of the choices"]
    assert errors["order_no"] == ["is not in the expected format"]
    assert errors["products"] == ["choose at most 2"]
    assert errors["amount"] == ["must be at least 0"]
    assert errors["message"] == ["must be at least 5 characters"]
    assert "at most 2 file(s), got 3" in errors["photos"]
    assert any("a.gif: files ending in .gif" in p for p in errors["photos"])
    assert any(
        "b.png: 2.0 KB is larger than the limit of 1000 bytes" in p for p in errors["photos"]
    )
    assert any("type application/x-msdownload is not allowed" in p for p in errors["photos"])
    assert "email: is not an e-mail address" in info.value.problems
    assert isinstance(info.value, InvalidInput)
    assert "photos:" in str(info.value)


def test_required_fields_and_a_way_to_answer(contact):
    with pytest.raises(FormInvalid) as info:
        contact.validate({}, now=NOW, rendered_at=NOW - timedelta(minutes=1))
    assert info.value.errors == {
        "topic": ["is required"],
        "order_no": ["is required"],
        "message": ["is required"],
    }
    data = {k: v for k, v in GOOD.items() if k != "email"}
    with pytest.raises(FormInvalid) as info:
        contact.validate(data, now=NOW, rendered_at=NOW - timedelta(minutes=1))
    assert info.value.errors == {"contact": ["give e-mail or phone so we can answer"]}
    by_phone = contact.validate(
        {**data, "phone": "+86 138-0000-0000"}, now=NOW, rendered_at=NOW - timedelta(minutes=1)
    )
    assert by_phone.phone == "+8613800000000"


def test_spam_honeypot_and_speed(contact):
    trap = contact.validate({**GOOD, "website": "http://spam"}, now=NOW, rendered_at=NOW)
    assert "hidden field 'website'" in trap.spam
    fast = contact.validate(GOOD, now=NOW, rendered_at=NOW - timedelta(seconds=1))
    assert "filled in 1.0 s" in fast.spam
    unknown = contact.validate(GOOD, now=NOW, rendered_at=None)
    assert "render time is unknown" in unknown.spam
    # nothing else is checked for spam: a bot gets no hints
    assert contact.validate({"website": "x"}, now=NOW).spam is not None


def test_form_tokens_carry_the_render_time():
    secret = "s3cret-s3cret-s3cret"
    token = issue_form_token(secret, "contact", NOW)
    later = NOW + timedelta(seconds=30)
    assert form_token_time(token, secret, "contact", now=later) == NOW
    assert form_token_time(token, secret, "other", now=later) is None
    assert form_token_time(token, "another-secret-123", "contact", now=later) is None
    assert form_token_time(token[:-1] + "0", secret, "contact", now=later) is None
    assert form_token_time("garbage", secret, "contact", now=later) is None
    assert form_token_time(None, secret, "contact", now=later) is None
    assert form_token_time(token, secret, "contact", now=NOW + timedelta(days=2)) is None
    assert form_token_time(token, secret, "contact", now=NOW - timedelta(seconds=1)) is None
    with pytest.raises(InvalidInput):
        issue_form_token("short", "contact", NOW)


def test_bad_definitions_list_every_problem():
    with pytest.raises(InvalidDefinition) as info:
        FormDefinition(
            "Contact Form",
            [
                {"name": "topic", "type": "choice"},
                {"name": "topic", "type": "text", "min_length": 9, "max_length": 3},
                {"name": "n", "type": "number", "minimum": 5, "maximum": 1},
                {"name": "f", "type": "file", "content_types": ["pdf"], "extensions": ["pdf"]},
                {"name": "s", "type": "number", "target": "subject"},
                {"name": "p", "type": "choice", "choices": ["asap"], "target": "priority"},
                {"name": "r", "type": "text", "pattern": "("},
            ],
            honeypot="topic",
            priority="soon",
        )
    text = "\n".join(info.value.problems)
    for expected in [
        "a choice field needs choices",
        "min_length 9 > max_length 3",
        "minimum 5 > maximum 1",
        "content types look like",
        "extensions start with a dot",
        "cannot be the subject",
        "priority choices must be priorities",
        "pattern is not a regular expression",
        "form names are lower-case",
        "field names must be unique",
        "needs an email or phone field",
        "honeypot 'topic'",
        "unknown priority 'soon'",
    ]:
        assert expected in text
    with pytest.raises(InvalidDefinition, match="unknown key"):
        FormDefinition.from_dict({"name": "x", "fields": [], "colour": "red"})
    with pytest.raises(InvalidDefinition, match="unknown key"):
        FormDefinition.from_dict({"name": "x", "fields": [{"name": "a", "type": "email", "x": 1}]})
    with pytest.raises(ValueError, match="'colour' is not a valid FieldType"):
        FormField("a", "colour")
    with pytest.raises(InvalidInput, match="not valid TOML"):
        FormDefinition.from_toml("name = ")


# ------------------------------------------------------------------ property tests


@given(st.text(max_size=40), st.integers(0, 10), st.integers(1, 30), st.booleans())
def test_text_fields_match_the_rule(value, low, high, multiline):
    f = FormField(
        "t", FieldType.TEXT, min_length=low, max_length=max(low, high), multiline=multiline
    )
    got, problems = f.clean(value, [])
    # the rule written out: strip, drop control characters, then length and line checks
    cleaned = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", value.strip().replace("\r\n", "\n"))
    if not value.strip():
        assert got is None
        assert problems == []
    elif "\x00" in value.strip():
        assert problems == ["contains a NUL character"]
    elif not multiline and "\n" in cleaned:
        assert problems == ["must be one line"]
    elif not low <= len(cleaned) <= max(low, high):
        assert got is None
        assert len(problems) == 1
    else:
        assert (got, problems) == (cleaned, [])


@given(
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-1000, max_value=1000),
    st.integers(-500, 500),
    st.integers(0, 500),
    st.booleans(),
)
def test_number_fields_match_the_rule(value, low, width, integer):
    f = FormField("n", FieldType.NUMBER, minimum=low, maximum=low + width, integer=integer)
    got, problems = f.clean(str(value), [])
    ok = low <= value <= low + width and (not integer or value == int(value))
    assert (problems == []) == ok
    if ok:
        assert got == (int(value) if value == int(value) else float(value))


@given(st.lists(st.sampled_from(["a", "b", "c", "d", "zz"]), max_size=6), st.integers(0, 4))
def test_multi_choice_matches_the_rule(picked, most):
    f = FormField("m", "multi_choice", choices=["a", "b", "c", "d"], max_selected=most)
    got, problems = f.clean(picked, [])
    unique = list(dict.fromkeys(picked))
    ok = "zz" not in unique and len(unique) <= most
    assert (problems == []) == ok
    if ok:
        assert got == unique


# ------------------------------------------------------------------ the channel end to end


class Capture:
    def __init__(self):
        self.sent = []

    def send(self, msg):
        self.sent.append(msg)


@pytest.mark.parametrize("helpdesk_storage", ["memory", "sqlite", "postgresql"], indirect=True)
def test_form_to_ticket_reply_by_email_answer_threads_back(
    contact, helpdesk_storage, helpdesk_clock, tmp_path
):
    capture = Capture()
    email = EmailChannel("客服 <support@example.com>", capture)
    store = DirectoryAttachmentStore(tmp_path / "files")
    forms = FormChannel([contact], attachment_store=store)
    desk = Helpdesk(
        storage=helpdesk_storage,
        clock=helpdesk_clock,
        plugins=[ChannelPlugin(email, forms)],
        load_entrypoints=False,
    )
    agent = desk.add_agent("Ann", status="online")
    token = issue_form_token("a-long-form-secret", "contact", desk.now())
    helpdesk_clock.advance(seconds=40)
    shown = form_token_time(token, "a-long-form-secret", "contact", now=desk.now())
    photo = Upload("crack.png", "image/png", b"\x89PNG" + b"0" * 50)

    result = forms.submit(
        desk, "contact", GOOD, {"photos": [photo]}, rendered_at=shown, submission_id="sub-1"
    )
    ticket = result.ticket
    assert ticket.channel == "form"
    assert ticket.category == "refund"
    assert ticket.tags == {"web"}
    assert ticket.subject == "refund: order SO123456"
    assert ticket.custom_fields["form"] == "contact"
    assert ticket.custom_fields["order_no"] == "SO123456"
    assert ticket.assignee_id == agent.id
    assert result.customer.name == "王芳"
    first = desk.messages(ticket)[0]
    assert first.text.startswith("屏幕有裂痕")
    assert first.attachments[0].filename == "crack.png"
    assert store.load(first.attachments[0].url) == photo.content

    # a double submit opens nothing new
    again = forms.submit(
        desk, "contact", GOOD, {"photos": [photo]}, rendered_at=shown, submission_id="sub-1"
    )
    assert again.duplicate
    assert again.ticket.id == ticket.id
    assert desk.count_tickets() == 1

    # the agent's reply goes out by e-mail, tagged and with our Message-ID
    desk.reply(ticket, "退款已提交。", author=agent)
    mail = parse_email(capture.sent[0].as_bytes())
    assert mail.to[0].email == "wang@example.cn"
    assert mail.subject == f"[#{ticket.number}] refund: order SO123456"
    assert mail.text.strip() == "退款已提交。"

    # the customer answers the e-mail: it joins the form's ticket
    answer = (
        "From: wang@example.cn\r\nTo: support@example.com\r\nSubject: Re: refund\r\n"
        f"Message-ID: <a1@example.cn>\r\nIn-Reply-To: <{mail.message_id}>\r\n\r\n谢谢\r\n"
    ).encode()
    joined = email.receive(desk, answer)
    assert joined.ticket.id == ticket.id
    assert [m.channel for m in desk.messages(ticket)] == ["form", "form", "email"]


def test_spam_opens_nothing(contact, helpdesk):
    forms = FormChannel([contact])
    result = forms.submit(helpdesk, "contact", {**GOOD, "website": "buy now"})
    assert result.ticket is None
    assert "hidden field" in result.spam
    assert helpdesk.count_tickets() == 0


def test_existing_customer_is_found_by_phone(helpdesk_clock):
    form = FormDefinition(
        "callback",
        [
            {"name": "phone", "type": "phone", "required": True},
            {"name": "when", "type": "choice", "choices": ["am", "pm"], "target": "subject"},
        ],
        honeypot=None,
        priority="high",
    )
    forms = FormChannel([form], reply_via=None)
    helpdesk = Helpdesk(
        clock=helpdesk_clock, plugins=[ChannelPlugin(forms)], load_entrypoints=False
    )
    known = helpdesk.add_customer("Zhao", phone="13800000000")
    result = forms.submit(helpdesk, form, {"phone": "138 0000 0000", "when": "pm"})
    assert result.customer.id == known.id
    assert result.ticket.subject == "pm"
    assert result.ticket.priority == "high"
    # replies stay in the portal: nothing to send, nothing fails
    helpdesk.reply(result.ticket, "ok", author=helpdesk.add_agent("Ann"))
    kinds = [e.kind for e in helpdesk.events(result.ticket)]
    assert "message.delivered" in kinds


def test_replies_without_a_relay_channel_fail_clearly(contact, helpdesk_clock):
    forms = FormChannel([contact])
    desk = Helpdesk(clock=helpdesk_clock, plugins=[ChannelPlugin(forms)], load_entrypoints=False)
    ticket = forms.submit(desk, "contact", GOOD, rendered_at=desk.now() - timedelta(60)).ticket
    desk.reply(ticket, "ok", author=desk.add_agent("Ann"))
    failed = next(e for e in desk.events(ticket) if e.kind == "message.delivery_failed")
    assert "relay channel 'email' is not registered" in failed.data["error"]


def test_registry_and_environment(tmp_path, contact):
    forms = FormChannel([contact])
    with pytest.raises(InvalidInput, match="already registered"):
        forms.add_form(contact)
    with pytest.raises(InvalidInput, match="no form 'nope'"):
        forms.form("nope")
    path = tmp_path / "forms.toml"
    path.write_text(
        '[[form]]\nname = "a"\nfields = [{name = "e", type = "email"}]\n'
        '[[form]]\nname = "b"\nfields = [{name = "p", type = "phone"}]\n',
        encoding="utf-8",
    )
    channel = from_env({"HELPDESK_KIT_FORMS": str(path), "HELPDESK_KIT_FORM_REPLY_VIA": "none"})
    assert sorted(channel.forms) == ["a", "b"]
    assert channel.reply_via is None
    with pytest.raises(PluginError):
        from_env({"HELPDESK_KIT_FORMS": str(tmp_path / "missing.toml")})
    with pytest.raises(InvalidInput):
        forms_from_toml("x = 1")
