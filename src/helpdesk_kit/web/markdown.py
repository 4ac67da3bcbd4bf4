"""A small Markdown renderer for article bodies: everything escaped first, then a few
constructs (headings, lists, paragraphs, bold, italics, code, links) turned into tags.

Article bodies are already sanitized by the knowledge base (raw HTML dropped); this renderer
escapes again, so a body can never bring its own markup, and links pass the KB's URL check.
"""

from __future__ import annotations

import html
import re

from markupsafe import Markup

from helpdesk_kit.kb.sanitize import safe_url

__all__ = ["render_markdown"]

_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?!\w)")
_CODE = re.compile(r"`([^`]+)`")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_NUMBER = re.compile(r"^\s*\d+[.)]\s+(.*)$")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*$")


def _link(match: re.Match[str]) -> str:
    text, raw = match.group(1), html.unescape(match.group(2))
    url = safe_url(raw)
    if url is None:
        return text
    return f'<a href="{html.escape(url, quote=True)}" rel="nofollow noopener">{text}</a>'


def _inline(text: str) -> str:
    out = html.escape(text, quote=True)
    out = _CODE.sub(r"<code>\1</code>", out)
    out = _LINK.sub(_link, out)
    out = _BOLD.sub(r"<strong>\1</strong>", out)
    return _ITALIC.sub(r"<em>\1</em>", out)


def render_markdown(text: str) -> Markup:
    """``text`` (Markdown) as safe HTML."""
    out: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    list_tag = ""

    def close_paragraph() -> None:
        if paragraph:
            out.append("<p>" + "<br>".join(_inline(p) for p in paragraph) + "</p>")
            paragraph.clear()

    def close_list() -> None:
        nonlocal list_tag
        if items:
            out.append(f"<{list_tag}>" + "".join(f"<li>{i}</li>" for i in items) + f"</{list_tag}>")
            items.clear()
        list_tag = ""

    for line in text.replace("\r\n", "\n").split("\n"):
        heading = _HEADING.match(line)
        bullet = _BULLET.match(line)
        number = None if bullet else _NUMBER.match(line)
        if not line.strip():
            close_paragraph()
            close_list()
        elif heading:
            close_paragraph()
            close_list()
            level = min(6, len(heading.group(1)) + 1)  # the page's title is the h1
            out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif bullet or number:
            close_paragraph()
            tag = "ul" if bullet else "ol"
            if list_tag and list_tag != tag:
                close_list()
            list_tag = tag
            found = bullet or number
            assert found is not None
            items.append(_inline(found.group(1)))
        else:
            close_list()
            paragraph.append(line.strip())
    close_paragraph()
    close_list()
    return Markup("\n".join(out))
