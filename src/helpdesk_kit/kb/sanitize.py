"""An allow-list HTML sanitizer for article content, and the same rules for Markdown bodies.

Why our own and not ``bleach`` or ``nh3``: the rules are small and fixed (a few dozen tags, a
handful of attributes, three URL schemes), the standard library's ``html.parser`` reads
malformed markup forgivingly, and no optional dependency is needed where every article
passes through. The policy is an allow-list: anything not named below is removed.

- **Tags** in :data:`ALLOWED_TAGS` are kept. Tags in
  :data:`~helpdesk_kit.kb.htmltree.DROP_WITH_CONTENT` (``script``, ``style``, ``svg``,
  ``iframe``, ``form``, ...) are removed with everything inside them. Any other tag
  (``html``, ``body``, ``font``, ``section``, custom elements) is unwrapped: its text stays.
- **Attributes** in :data:`ALLOWED_ATTRIBUTES` are kept, nothing else: no ``on*`` event
  handlers, no ``style``, no ``id``/``class`` (except ``language-*`` classes on code), no
  ``srcset``, ``formaction``, ``xlink:href``.
- **URLs** (``href``, ``src``): decoded (entities), with whitespace and control characters
  removed as browsers do, then only ``http``, ``https``, ``mailto`` and ``tel`` links and
  ``http``/``https`` images pass; relative URLs pass. ``javascript:``, ``vbscript:``,
  ``data:`` and every other scheme are dropped.
- **Output** is re-serialized from the tree: text and attribute values escaped, every
  element closed, comments, doctypes and CDATA dropped. Sanitizing twice changes nothing.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable
from html.parser import HTMLParser

from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.kb.htmltree import DROP_WITH_CONTENT, VOID_ELEMENTS, Element, parse_html

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_TAGS",
    "MAX_HTML_CHARS",
    "safe_url",
    "sanitize_element",
    "sanitize_html",
    "sanitize_markdown",
]

#: Longest HTML accepted, in characters (an article, not a website).
MAX_HTML_CHARS = 2_000_000

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt",
        "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
        "ins", "kbd", "li", "mark", "ol", "p", "pre", "s", "span", "strong", "sub", "sup",
        "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip

ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "title"}),
    "abbr": frozenset({"title"}),
    "code": frozenset({"class"}),
    "img": frozenset({"src", "alt", "title", "width", "height"}),
    "ol": frozenset({"start"}),
    "td": frozenset({"colspan", "rowspan"}),
    "th": frozenset({"colspan", "rowspan", "scope"}),
}

_LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_IMAGE_SCHEMES = frozenset({"http", "https"})
_URL_NOISE = re.compile(r"[\x00-\x20\x7f-\x9f\u00ad\u200b-\u200f\u2028\u2029\ufeff\\]")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_NUMBER = re.compile(r"^\d{1,4}%?$")
_LANGUAGE_CLASS = re.compile(r"^language-[A-Za-z0-9_+\-]{1,30}$")
_SCOPES = frozenset({"row", "col", "rowgroup", "colgroup"})


def safe_url(value: str, *, image: bool = False) -> str | None:
    """Return ``value`` cleaned when it is a safe link (or image) URL, else None.

    Entities are decoded; tabs, newlines and other control characters inside the URL are
    removed (browsers ignore them, so ``jav&#9;ascript:`` is still ``javascript:``).
    Relative URLs are safe; absolute ones need an allowed scheme.
    """
    decoded = html_lib.unescape(value)
    probe = _URL_NOISE.sub("", decoded).lower()
    match = _SCHEME.match(probe)
    if match is not None:
        allowed = _IMAGE_SCHEMES if image else _LINK_SCHEMES
        if match.group(1) not in allowed:
            return None
    elif ":" in probe.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]:
        return None  # "a:b" before any slash reads as a scheme to some browsers
    cleaned = re.sub(r"[\t\n\r\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", decoded).strip()
    return cleaned


def _clean_attributes(tag: str, attributes: list[tuple[str, str]]) -> list[tuple[str, str]]:
    allowed = ALLOWED_ATTRIBUTES.get(tag, frozenset())
    kept: list[tuple[str, str]] = []
    seen: set[str] = set()
    for name, value in attributes:
        if name not in allowed or name in seen:
            continue
        if name in ("href", "src"):
            url = safe_url(value, image=name == "src")
            if url is None:
                continue
            value = url
        elif name in ("width", "height", "colspan", "rowspan", "start"):
            if not _NUMBER.match(value.strip()) or (name != "width" and "%" in value):
                continue
            value = value.strip()
        elif name == "class":
            value = " ".join(c for c in value.split() if _LANGUAGE_CLASS.match(c))
            if not value:
                continue
        elif name == "scope" and value.strip().lower() not in _SCOPES:
            continue
        seen.add(name)
        kept.append((name, value))
    if tag == "a" and "href" in seen:
        kept.append(("rel", "nofollow noopener noreferrer"))
    return kept


def _start_tag(tag: str, attributes: list[tuple[str, str]]) -> str:
    parts = [tag]
    for name, value in attributes:
        parts.append(f'{name}="{html_lib.escape(value, quote=True)}"')
    return "<" + " ".join(parts) + ">"


def _serialize(element: Element, out: list[str]) -> None:
    for child in element.children:
        if isinstance(child, str):
            out.append(html_lib.escape(child, quote=False))
            continue
        tag = child.tag
        if tag in DROP_WITH_CONTENT:
            continue
        if tag not in ALLOWED_TAGS:
            _serialize(child, out)  # unwrap: keep what is inside
            continue
        out.append(_start_tag(tag, _clean_attributes(tag, child.attributes)))
        if tag in VOID_ELEMENTS:
            continue
        _serialize(child, out)
        out.append(f"</{tag}>")


def _check_html(value: object, name: str = "html") -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a str, not {type(value).__name__}")
    if len(value) > MAX_HTML_CHARS:
        raise InvalidInput(
            f"{name} is {len(value):,} characters long; the limit is {MAX_HTML_CHARS:,}"
        )
    return value


def sanitize_element(element: Element) -> str:
    """Serialize the children of a parsed element under the allow-list (see the module doc)."""
    out: list[str] = []
    _serialize(element, out)
    return "".join(out)


def sanitize_html(html: str) -> str:
    """Return ``html`` with everything outside the allow-list removed (see the module doc)."""
    text = _check_html(html)
    if not text:
        return ""
    out: list[str] = []
    _serialize(parse_html(text), out)
    return "".join(out)


# ---------------------------------------------------------------------------- Markdown

_FENCE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})[^\n]*\n.*?(?:^[ ]{0,3}\1[ \t]*$|\Z)", re.M | re.S)
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
# an autolink, an HTML comment, or a tag: its name ends at a space, "/" or ">" ("<a/x=...>")
_MARKUP = re.compile(
    r"<(?P<auto>[A-Za-z][A-Za-z0-9+.\-]{1,31}:[^\s<>]*)>"
    r"|(?P<comment><!--.*?(?:-->|\Z))"
    r"|<(?P<close>/?)(?P<name>[A-Za-z][A-Za-z0-9:-]*)(?=[\s/>])(?P<attrs>[^<>]*)>",
    re.S,
)
# a "<" that could start markup once pieces around removed markup are joined
_LOOSE_LT = re.compile(r"<(?=[A-Za-z/!?]|$)")
_LINK = re.compile(
    r"(!?)\[((?:[^\[\]]|\[[^\[\]]*\])*)\]"  # ![label] or [label], one level of brackets inside
    r"\(\s*(<[^<>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)"  # (<url> or (url with (balanced) parts
)
_REFERENCE = re.compile(r"^([ ]{0,3}\[[^\]\n]+\]:[ \t]*)(<[^<>\n]*>|\S+)", re.M)


class _TagReader(HTMLParser):
    """Reads the name and attributes of one start tag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: tuple[str, list[tuple[str, str]]] | None = None

    def handle_starttag(self, tag: str, attributes: list[tuple[str, str | None]]) -> None:
        if self.found is None:
            self.found = (tag, [(n.lower(), v or "") for n, v in attributes])


def _clean_tag(closing: str, name: str, tag_text: str) -> str:
    if name not in ALLOWED_TAGS:
        return ""
    if closing:
        return "" if name in VOID_ELEMENTS else f"</{name}>"
    reader = _TagReader()
    reader.feed(tag_text)
    reader.close()
    attributes = reader.found[1] if reader.found else []
    return _start_tag(name, _clean_attributes(name, attributes))


def _escaped(text: str, index: int) -> bool:
    """True when the character at ``index`` follows an odd number of backslashes."""
    count = 0
    while index - count - 1 >= 0 and text[index - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def _escape_loose(text: str) -> str:
    """Turn every unescaped "<" that could start markup into "&lt;" (shown as "<")."""
    out: list[str] = []
    pos = 0
    for match in _LOOSE_LT.finditer(text):
        if _escaped(text, match.start()):
            continue
        out.append(text[pos : match.start()])
        out.append("&lt;")
        pos = match.end()
    out.append(text[pos:])
    return "".join(out)


def _drop_raw_html(text: str) -> str:
    out: list[str] = []
    start = search = 0  # text before ``start`` is done; look for markup from ``search``
    while True:
        match = _MARKUP.search(text, search)
        if match is None:
            break
        if _escaped(text, match.start()):  # "\<b>" is text, shown as "<b>"
            search = match.start() + 1
            continue
        out.append(_escape_loose(text[start : match.start()]))
        start = search = match.end()
        url = match.group("auto")
        if url is not None:  # <https://...> is a link; an unsafe one becomes its text
            out.append(match.group(0) if safe_url(url) is not None else _escape_loose(url))
            continue
        if match.group("comment") is not None:
            continue
        name = match.group("name").lower()
        if name in DROP_WITH_CONTENT and not match.group("close"):
            if match.group("attrs").rstrip().endswith("/"):
                continue  # self-closing: nothing inside
            end = re.compile(rf"</{re.escape(name)}\s*>", re.I).search(text, match.end())
            start = search = len(text) if end is None else end.end()
            continue
        out.append(_clean_tag(match.group("close"), name, match.group(0)))
    out.append(_escape_loose(text[start:]))
    return "".join(out)


def _clean_reference(match: re.Match[str]) -> str:
    target = match.group(2)
    url = target[1:-1] if target.startswith("<") else target
    return match.group(0) if safe_url(url) is not None else match.group(1) + "#"


def _outside_code(text: str, fn: Callable[[str], str]) -> str:
    """Apply ``fn`` to the parts of Markdown ``text`` that are not code (shown literally)."""
    out: list[str] = []
    pos = 0
    for fence in _FENCE.finditer(text):
        out.append(_outside_spans(text[pos : fence.start()], fn))
        out.append(fence.group(0))
        pos = fence.end()
    out.append(_outside_spans(text[pos:], fn))
    return "".join(out)


def _outside_spans(text: str, fn: Callable[[str], str]) -> str:
    out: list[str] = []
    pos = 0
    for span in _CODE_SPAN.finditer(text):
        out.append(fn(text[pos : span.start()]))
        out.append(span.group(0))
        pos = span.end()
    out.append(fn(text[pos:]))
    return "".join(out)


def _clean_markdown_part(text: str) -> str:
    if "<" in text:
        text = _drop_raw_html(text)
    if "](" in text:
        text = _LINK.sub(_link_replacement, text)
    if "]:" in text:
        text = _REFERENCE.sub(_clean_reference, text)
    return text


def _link_replacement(match: re.Match[str]) -> str:
    bang, label, target = match.group(1), match.group(2), match.group(3)
    url = target[1:-1] if target.startswith("<") else target
    if safe_url(url, image=bool(bang)) is not None:
        return match.group(0)
    return f"{bang}[{label}](#"


def sanitize_markdown(markdown: str) -> str:
    """Return Markdown whose raw HTML and link targets follow the sanitizer's rules.

    Markdown may hold raw HTML, and renderers pass it through: outside code blocks and
    code spans, HTML comments are removed, ``<script>``-like elements are removed with
    their content, allowed tags keep only allowed attributes, other tags are removed (their
    text stays). Links, images, autolinks and reference definitions with an unsafe URL
    (``javascript:``, ``data:``, ...) point to ``#`` instead. Plain Markdown is returned
    unchanged.
    """
    text = _check_html(markdown, "markdown")
    if "<" not in text and "](" not in text and "]:" not in text:
        return text
    return _outside_code(text, _clean_markdown_part)
