"""A small HTML-to-text converter for mail bodies, built on :mod:`html.parser`."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

__all__ = ["html_to_text"]

_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "center", "dd", "details", "dialog",
        "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
        "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol",
        "p", "pre", "section", "summary", "table", "tbody", "thead", "tfoot", "tr", "ul",
        "caption",
    }
)  # fmt: skip
_PARAGRAPH = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "dl", "pre"})
_DROP = frozenset({"script", "style", "head", "title", "template", "noscript", "object", "svg"})
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
     "source", "track", "wbr"}
)  # fmt: skip
_WS = re.compile(r"[ \t\r\n\f\v]+")
_TAG = re.compile(r"<[^>]*>")
_BLANKS = re.compile(r"\n{3,}")


class _Converter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []  # finished lines (without quote prefix)
        self.depths: list[int] = []  # blockquote depth of each finished line
        self.cur: list[str] = []
        self.drop = 0
        self.pre = 0
        self.quote = 0
        self.lists: list[list[int]] = []  # per open list: [is_ordered, counter]
        self.href: list[str | None] = []
        self.link_text_start: list[int] = []
        self.pending_space = False

    # -- output helpers
    def _newline(self) -> None:
        line = "".join(self.cur).rstrip()
        self.lines.append(line)
        self.depths.append(self.quote)
        self.cur = []
        self.pending_space = False

    def _break(self, blank: bool = False) -> None:
        if self.cur and "".join(self.cur).strip():
            self._newline()
        elif self.cur:
            self.cur = []
        if blank and self.lines and self.lines[-1] != "":
            self.lines.append("")
            self.depths.append(self.quote)

    def _write(self, text: str) -> None:
        if self.pending_space and self.cur:
            self.cur.append(" ")
        self.pending_space = False
        self.cur.append(text)

    # -- parser callbacks
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP:
            if tag not in _VOID:
                self.drop += 1
            return
        if self.drop:
            return
        if tag == "br":
            self._newline()
        elif tag in _BLOCK:
            self._break(blank=tag in _PARAGRAPH)
            if tag == "blockquote":
                self.quote += 1
            elif tag == "pre":
                self.pre += 1
            elif tag in ("ul", "ol", "dir"):
                self.lists.append([tag == "ol", 0])
            elif tag == "li":
                if self.lists:
                    entry = self.lists[-1]
                    entry[1] += 1
                    indent = "  " * (len(self.lists) - 1)
                    self._write(f"{indent}{entry[1]}. " if entry[0] else f"{indent}- ")
                else:
                    self._write("- ")
            elif tag == "hr":
                self._write("----")
                self._newline()
        elif tag in ("td", "th"):
            if self.cur and "".join(self.cur).strip():
                self.cur.append("\t")
            self.pending_space = False
        elif tag == "a":
            href = dict(attrs).get("href")
            self.href.append(href)
            self.link_text_start.append(len(self.cur))
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt and alt.strip():
                self._write(f"[{alt.strip()}]")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("a",):
            return
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP:
            if self.drop and tag not in _VOID:
                self.drop -= 1
            return
        if self.drop:
            return
        if tag in _BLOCK:
            self._break(blank=tag in _PARAGRAPH)
            if tag == "blockquote" and self.quote:
                self.quote -= 1
            elif tag == "pre" and self.pre:
                self.pre -= 1
            elif tag in ("ul", "ol", "dir") and self.lists:
                self.lists.pop()
        elif tag == "a" and self.href:
            href = self.href.pop()
            start = self.link_text_start.pop()
            text = "".join(self.cur[start:]).strip()
            if href and href.startswith(("http://", "https://")) and href not in text and text:
                self._write(f" <{href}>")

    def handle_data(self, data: str) -> None:
        if self.drop:
            return
        if self.pre:
            parts = data.replace("\r\n", "\n").split("\n")
            for i, part in enumerate(parts):
                if i:
                    self._newline()
                if part:
                    self.cur.append(part)
            return
        if "\xa0" in data:
            data = data.replace("\xa0", " ")
        if not data.strip():
            if self.cur:
                self.pending_space = True
            return
        lead = data[0] in " \t\r\n\f\v"
        trail = data[-1] in " \t\r\n\f\v"
        if lead and self.cur:
            self.pending_space = True
        self._write(_WS.sub(" ", data.strip()))
        if trail:
            self.pending_space = True

    def result(self) -> str:
        self._break()
        out: list[str] = []
        for line, depth in zip(self.lines, self.depths, strict=True):
            out.append(("> " * depth + line).rstrip() if depth else line)
        text = "\n".join(out)
        return _BLANKS.sub("\n\n", text).strip()


# A complete tag, declaration or processing instruction. "[^<>]*" stops at the
# next "<", so matching at every "<" stays linear overall.
_COMPLETE_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<![^<>]*>|<\?[^<>]*>")


def _defuse(html: str) -> str:
    """Drop comments and escape every ``<`` that does not open a complete tag.

    ``html.parser`` rescans the rest of the input at each construct it cannot
    finish, which is quadratic on hostile mail ("<a<a<a…", "<!--<!--…"); what
    is left after this pass it parses in linear time.
    """
    out: list[str] = []
    i = 0
    find = html.find
    while True:
        j = find("<", i)
        if j < 0:
            out.append(html[i:])
            break
        out.append(html[i:j])
        if html.startswith("<!--", j):
            k = find("-->", j + 4)
            if k < 0:
                break  # an unclosed comment hides the rest, as in a browser
            i = k + 3
            continue
        match = _COMPLETE_TAG.match(html, j)
        if match is None:
            out.append("&lt;")
            i = j + 1
        else:
            out.append(match.group())
            i = match.end()
    return "".join(out)


def html_to_text(html: str) -> str:
    """Render HTML as plain text: blocks and ``<br>`` become lines, lists get bullets.

    Script, style and head are dropped, entities decoded, ``<blockquote>`` lines
    are prefixed with ``> `` (so quoted history stays recognisable), and a link
    whose URL is not in its text gets `` <url>`` after it. Never raises: input the
    parser chokes on falls back to stripping tags.
    """
    conv = _Converter()
    try:
        conv.feed(_defuse(html))
        conv.close()
        return conv.result()
    except Exception:  # html.parser can raise AssertionError on odd markup
        text = unescape(_TAG.sub(" ", html))
        return "\n".join(_WS.sub(" ", line).strip() for line in text.splitlines()).strip()
