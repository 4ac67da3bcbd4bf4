"""The template language: parsing, every syntax error, filters, escaping, safe lookups."""

from datetime import UTC, date, datetime, time
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpdesk_kit.errors import RenderError
from helpdesk_kit.macros.syntax import (
    MISSING,
    Literal,
    Placeholder,
    ValueFormatter,
    lookup,
    parse,
    render_nodes,
)
from helpdesk_kit.tickets.model import Customer


def render(source, values, *, locale="en", tz="UTC", escape=False):
    parsed = parse(source)
    assert parsed.problems == ()
    return render_nodes(
        parsed.nodes,
        lambda ph: lookup(values, ph.path),
        ValueFormatter(locale, tz),
        escape=escape,
    )


def test_placeholders_and_literal_braces():
    parsed = parse("Hi {customer.name}, {{not a var}} {order.items.0.sku|upper}")
    assert parsed.problems == ()
    names = [p.name for p in parsed.placeholders]
    assert names == ["customer.name", "order.items.0.sku"]
    assert parsed.placeholders[1].filters[0].name == "upper"
    assert render("{{x}} {a.b}", {"a": {"b": "1"}}) == "{x} 1"


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("Hi {customer.name", ["line 1, column 4", "never closed", "'{{'"]),
        ("Hi {customer.name {x.y}", ["not closed before the next '{'"]),
        ("Hi } there", ["unmatched '}'", "'}}'"]),
        ("Hi {}", ["empty placeholder"]),
        ("Hi { }", ["empty placeholder"]),
        ("Hi {customer name}", ["not a variable name"]),
        ("Hi {1abc.name}", ["not a variable name"]),
        ("Hi {customer..name}", ["not a variable name"]),
        ("Hi {customer}", ["names a whole namespace", "{customer.name}"]),
        ("Hi {customer.name|shout}", ["unknown filter 'shout'", "filters:"]),
        ("Hi {customer.name|default}", ["filter 'default' needs an argument"]),
        ("Hi {customer.name|upper:x}", ["filter 'upper' takes no argument"]),
        ("Hi {customer.name|truncate:ten}", ["positive whole number"]),
        ("Hi {customer.name|truncate:0}", ["positive whole number"]),
    ],
)
def test_each_syntax_error_is_reported(source, words):
    problems = parse(source).problems
    assert len(problems) == 1, problems
    for word in words:
        assert word in problems[0]


def test_every_problem_is_listed_with_its_position():
    source = "Dear {customer.nme|shout}\n{ticket} and }\nand {order.id|default"
    problems = parse(source).problems
    assert len(problems) == 4
    assert problems[0].startswith("line 1, column 6")
    assert problems[1].startswith("line 2, column 1")
    assert problems[2].startswith("line 2, column 14")
    assert problems[3].startswith("line 3, column 5")


def test_absent_value_is_an_error_not_a_blank():
    with pytest.raises(RenderError, match=r"\{order.id\} has no value"):
        render("Order {order.id}", {})
    with pytest.raises(RenderError, match="has no value"):
        render("Order {order.id}", {"order": {"id": None}})
    with pytest.raises(RenderError, match="has no value"):
        render("Order {order.id}", {"order": {"id": ""}})


def test_default_fills_an_absent_value_wherever_it_stands():
    assert render("{customer.name|default:您}", {}) == "您"
    assert render("{customer.name|upper|default:friend}", {}) == "friend"
    assert render("{customer.name|default:friend|upper}", {}) == "FRIEND"
    assert render("{customer.name|default:friend}", {"customer": {"name": "Ann"}}) == "Ann"


def test_text_filters():
    v = {"c": {"n": "  tom lee  ", "long": "abcdefghij"}}
    assert render("{c.n|strip|upper}", v) == "TOM LEE"
    assert render("{c.n|strip|title}", v) == "Tom Lee"
    assert render("{c.n|lower|strip}", v) == "tom lee"
    assert render("{c.long|truncate:5}", v) == "abcd…"
    assert render("{c.long|truncate:10}", v) == "abcdefghij"


def test_dates_in_the_readers_language_and_zone():
    at = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    v = {"t": {"at": at, "day": date(2026, 1, 5), "clock": time(8, 5)}}
    assert render("{t.at|date}", v, locale="zh", tz="Asia/Shanghai") == "2026年11月2日"
    assert render("{t.at|datetime}", v, locale="zh", tz="Asia/Shanghai") == "2026年11月2日 17:30"
    assert render("{t.at|datetime}", v, locale="en") == "2 November 2026, 09:30"
    assert render("{t.at|time}", v, locale="en", tz="Asia/Shanghai") == "17:30"
    assert render("{t.at}", v, locale="zh") == "2026年11月2日 09:30"
    assert render("{t.day|date}", v, locale="fr") == "2026-01-05"
    assert render("{t.clock|time}", v) == "08:05"
    assert render("{t.at|date:%Y/%m/%d}", v, tz="Asia/Shanghai") == "2026/11/02"
    assert render("{t.iso|date}", {"t": {"iso": "2026-03-01T12:00:00+00:00"}}) == "1 March 2026"


def test_date_filter_on_something_else_is_an_error():
    with pytest.raises(RenderError, match=r"\|date needs a date"):
        render("{t.x|date}", {"t": {"x": "not a date"}})
    with pytest.raises(RenderError, match=r"\|datetime needs a date"):
        render("{t.x|datetime}", {"t": {"x": 5}})


def test_plain_values_become_text():
    v = {"o": {"amount": Decimal("199.90"), "n": 3, "items": ["A", "B"], "paid": True}}
    assert render("{o.amount} {o.n} {o.items} {o.paid}", v) == "199.90 3 A, B yes"
    assert render("{o.items} {o.paid}", v, locale="zh") == "A、B 是"
    with pytest.raises(RenderError, match="name a field"):
        render("{o.nested}", {"o": {"nested": {"a": 1}}})


def test_html_output_escapes_values_not_the_template():
    v = {"customer": {"name": '<script>alert("x")</script> & Co'}}
    source = "<p>Hi <b>{customer.name}</b></p>"
    assert render(source, v) == '<p>Hi <b><script>alert("x")</script> & Co</b></p>'
    assert render(source, v, escape=True) == (
        "<p>Hi <b>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co</b></p>"
    )


def test_lookups_reach_only_data():
    customer = Customer(name="Ann", identities=[("email", "a@x.cn")])
    assert lookup({"c": customer}, ["c", "name"]) == "Ann"
    assert lookup({"c": customer}, ["c", "handle"]) is MISSING  # a method, not a field
    assert lookup({"c": customer}, ["c", "email"]) is MISSING  # a property, not a field
    assert lookup({"c": customer}, ["c", "__class__"]) is MISSING
    assert lookup({"c": "text"}, ["c", "upper"]) is MISSING
    assert lookup({"c": ["a", "b"]}, ["c", "1"]) == "b"
    assert lookup({"c": ["a", "b"]}, ["c", "5"]) is MISSING
    assert lookup({"c": None}, ["c", "x"]) is MISSING

    @attrs.frozen
    class Box:
        value: int
        _secret: str = "s"

    assert lookup(Box(1), ["value"]) == 1
    assert lookup(Box(1), ["_secret"]) is MISSING


# ------------------------------------------------------------------ property: an oracle

_plain = st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=8)
_piece = st.one_of(
    _plain.map(lambda s: (s, s)),
    st.just(("{{", "{")),
    st.just(("}}", "}")),
    st.sampled_from(["a.x", "a.y", "b.z"]).map(lambda n: ("{" + n + "}", n)),
)
VALUES = {"a": {"x": "X1", "y": "<y>"}, "b": {"z": "Z&"}}


@given(st.lists(_piece, max_size=12))
def test_rendering_matches_a_brute_force_oracle(pieces):
    """Literal text, escaped braces and placeholders render as expected, in both modes."""
    source = "".join(src for src, _ in pieces)
    expect_text, expect_html = [], []
    for src, meaning in pieces:
        if src.startswith("{") and src not in ("{{",):
            ns, field = meaning.split(".")
            expect_text.append(VALUES[ns][field])
            expect_html.append(
                VALUES[ns][field].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            )
        else:
            expect_text.append(meaning)
            expect_html.append(meaning)
    assert render(source, VALUES) == "".join(expect_text)
    assert render(source, VALUES, escape=True) == "".join(expect_html)


@given(st.text(max_size=60))
def test_parse_never_crashes_and_valid_templates_render(source):
    """Any text parses into nodes and problems; a clean parse renders with every value set."""
    parsed = parse(source)
    for node in parsed.nodes:
        assert isinstance(node, Literal | Placeholder)
    if not parsed.problems:
        out = render_nodes(parsed.nodes, lambda ph: "v", ValueFormatter("en", "UTC"))
        assert isinstance(out, str)
