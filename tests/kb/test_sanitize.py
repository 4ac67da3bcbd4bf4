"""The allow-list HTML sanitizer, the Markdown rules and the HTML-to-Markdown converter
against a list of XSS payloads, plus property tests on random markup."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.kb.html2md import html_to_markdown
from helpdesk_kit.kb.sanitize import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    MAX_HTML_CHARS,
    safe_url,
    sanitize_html,
    sanitize_markdown,
)

XSS_PAYLOADS = [
    # script tags
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<script/src=//evil.example/x.js></script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>alert(1)//<</script>",
    "<script>alert(1)",  # never closed
    '<script type="text/plain">alert(1)</script>',
    # event handlers
    "<img src=x onerror=alert(1)>",
    '<img src="x" ONERROR="alert(1)">',
    "<body onload=alert(1)>",
    "<div onmouseover='alert(1)'>hover</div>",
    '<a href="/" onclick="alert(1)">x</a>',
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    '<p/onclick="alert(1)">x</p>',
    # javascript:, vbscript: and data: URLs
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="jav\tascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="&#x6A;avascript&colon;alert(1)">x</a>',
    '<a href="javascript&#58;alert(1)">x</a>',
    '<a href="\x01javascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<img src="javascript:alert(1)">',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:text/html,<script>alert(1)</script>">',
    # SVG and MathML
    "<svg onload=alert(1)>",
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    # style expressions and CSS
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<div style="width: expression(alert(1))">x</div>',
    "<style>@import 'javascript:alert(1)';</style>",
    '<link rel="stylesheet" href="javascript:alert(1)">',
    # malformed tags
    "<img src=x onerror=alert(1)//",
    '<a href="javascript:alert(1)"',
    "<a <script>alert(1)</script>>x</a>",
    '<img """><script>alert(1)</script>">',
    "<div><p>unclosed <b>bold <i>italic",
    "</p></div></b>stray end tags",
    "<!--<script>alert(1)</script>-->",
    "<!--[if gte IE 4]><script>alert(1)</script><![endif]-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<?xml-stylesheet href='javascript:alert(1)'?>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "<base href=javascript:alert(1)//>",
    # entity-encoded attacks
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "&amp;lt;script&amp;gt;alert(1)",
    '<a title="&quot; onmouseover=&quot;alert(1)">x</a>',
    '<img alt="x&quot; onerror=&quot;alert(1)" src="ok.png">',
    # the rest
    "<template><img src=x onerror=alert(1)></template>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<textarea><script>alert(1)</script></textarea>",
    "<isindex action=javascript:alert(1) type=image>",
    "<a href='https://ok.example/?q=<script>'>fine</a>",
]


class _Inspector(HTMLParser):
    """Collects every tag, attribute and text of sanitized output."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.comments = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_comment(self, data: str) -> None:
        self.comments += 1


def _assert_clean_html(output: str) -> None:
    inspector = _Inspector()
    inspector.feed(output)
    inspector.close()
    assert inspector.comments == 0
    for tag, attributes in inspector.tags:
        assert tag in ALLOWED_TAGS, (tag, output)
        allowed = ALLOWED_ATTRIBUTES.get(tag, frozenset()) | ({"rel"} if tag == "a" else set())
        for name, value in attributes:
            assert name in allowed, (tag, name, output)
            assert not name.startswith("on")
            if name in ("href", "src"):
                assert value is not None
                assert safe_url(value, image=name == "src") is not None, output
                probe = re.sub(r"[\x00-\x20\\]", "", html.unescape(value)).lower()
                assert not probe.startswith(("javascript:", "vbscript:", "data:")), output


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_sanitized_html_keeps_only_the_allow_list(payload: str) -> None:
    cleaned = sanitize_html(payload)
    _assert_clean_html(cleaned)
    assert sanitize_html(cleaned) == cleaned  # idempotent
    lowered = cleaned.lower()
    for needle in ("<script", "<svg", "<iframe", "<style", "<object", "<embed", "<form"):
        assert needle not in lowered, cleaned


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_markdown_from_html_holds_no_markup(payload: str) -> None:
    markdown = html_to_markdown(payload)
    assert re.search(r"(?<!\\)<", markdown) is None, markdown
    for target in re.findall(r"\]\(<?([^)>\s]*)", markdown):
        assert safe_url(target) is not None, markdown
    assert sanitize_markdown(markdown) == markdown  # nothing left to clean


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_raw_html_in_markdown_is_cleaned(payload: str) -> None:
    markdown = f"# Title\n\nSome **text** {payload} more text.\n"
    cleaned = sanitize_markdown(markdown)
    _assert_clean_html(cleaned)  # what a browser would read as markup is on the allow-list
    for needle in ("<script", "<svg", "<iframe", "<style"):
        assert needle not in cleaned.lower(), cleaned
    assert sanitize_markdown(cleaned) == cleaned


def test_allowed_markup_survives() -> None:
    source = (
        "<h2>Refunds</h2><p>Within <strong>3</strong> days, see "
        '<a href="https://shop.example/r?a=1&amp;b=2" title="Refunds">this page</a> or '
        '<a href="mailto:help@shop.example">mail us</a>.</p>'
        '<ul><li>one</li></ul><img src="/img/a.png" alt="A" width="120"><table><tr>'
        '<td colspan="2">x</td></tr></table>'
        '<pre><code class="language-python evil">x = 1</code></pre>'
    )
    assert sanitize_html(source) == (
        "<h2>Refunds</h2><p>Within <strong>3</strong> days, see "
        '<a href="https://shop.example/r?a=1&amp;b=2" title="Refunds" '
        'rel="nofollow noopener noreferrer">this page</a> or '
        '<a href="mailto:help@shop.example" rel="nofollow noopener noreferrer">mail us</a>.</p>'
        '<ul><li>one</li></ul><img src="/img/a.png" alt="A" width="120"><table><tr>'
        '<td colspan="2">x</td></tr></table><pre><code class="language-python">x = 1</code></pre>'
    )


def test_markdown_rules() -> None:
    assert sanitize_markdown("plain **text** & [link](https://ok.example)") == (
        "plain **text** & [link](https://ok.example)"
    )
    assert sanitize_markdown("[x](javascript:alert(1)) and ![i](data:image/png;base64,AA)") == (
        "[x](#) and ![i](#)"
    )
    assert sanitize_markdown("[x](<javascript:alert(1)>)") == "[x](#)"
    assert sanitize_markdown("[x](java&#115;cript:alert(1))") == "[x](#)"
    assert sanitize_markdown("[ref]: javascript:alert(1)\n[ok]: https://ok.example") == (
        "[ref]: #\n[ok]: https://ok.example"
    )
    assert sanitize_markdown("<https://ok.example> <javascript:alert(1)>") == (
        "<https://ok.example> javascript:alert(1)"
    )
    code = "Use `<script>` in code.\n\n```html\n<script>alert(1)</script>\n```\n"
    assert sanitize_markdown(code) == code  # code is shown, not run
    assert sanitize_markdown("a <b onclick='x'>b</b> <!-- hidden --> c") == "a <b>b</b>  c"


def test_safe_url() -> None:
    for good in ("https://a.example/x", "http://a", "/relative", "page.html", "#top", "?q=1",
                 "mailto:a@b.example", "tel:+8613800000000", "//cdn.example/x"):  # fmt: skip
        assert safe_url(good) is not None, good
    for bad in ("javascript:x", "JAVASCRIPT:x", " javascript:x", "java\nscript:x",
                "data:text/html,x", "vbscript:x", "file:///etc/passwd", "foo:bar",
                "jav&#x0A;ascript:x", "\\\\javascript:x"):  # fmt: skip
        assert safe_url(bad) is None, bad
    assert safe_url("tel:+86", image=True) is None
    assert safe_url("https://a.example/p.png", image=True) == "https://a.example/p.png"


def test_limits_and_types() -> None:
    with pytest.raises(InvalidInput):
        sanitize_html(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="limit"):
        sanitize_html("x" * (MAX_HTML_CHARS + 1))
    assert sanitize_html("") == ""
    deep = "<div>" * 5000 + "deep" + "</div>" * 5000
    assert "deep" in sanitize_html(deep)
    assert "deep" in html_to_markdown(deep)


_FRAGMENTS = st.sampled_from(
    [
        "<", ">", "/", "=", '"', "'", " ", "&", "#", ";", "x", "退款", "script", "img", "a",
        "svg", "style", "on", "onerror", "href", "src", "javascript:", "data:", "alert(1)",
        "<p>", "</p>", "<b>", "<!--", "-->", "<![CDATA[", "]]>", "&#106;", "&lt;", "\t", "\n",
    ]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_FRAGMENTS, max_size=60).map("".join))
def test_random_markup_comes_out_clean(markup: str) -> None:
    cleaned = sanitize_html(markup)
    _assert_clean_html(cleaned)
    assert sanitize_html(cleaned) == cleaned
    markdown = html_to_markdown(markup)
    assert re.search(r"(?<!\\)<", markdown) is None
    assert sanitize_markdown(markdown) == markdown
    raw = sanitize_markdown(markup)
    _assert_clean_html(raw)
    assert sanitize_markdown(raw) == raw
