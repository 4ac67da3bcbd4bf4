"""HTML to clean Markdown, and picking the article out of a Confluence or Notion export page.

The converter walks the same tree as the sanitizer (:mod:`helpdesk_kit.kb.htmltree`) with
the same policy: content of ``<script>``, ``<style>``, ``<svg>``, ... never appears, links
and images keep only safe URLs, and the output holds no raw HTML at all (a ``<`` in the text
is written ``\\<``), so a Markdown renderer cannot be tricked into emitting markup.

Supported: headings, paragraphs, line breaks, bold, italics, strike-through, inline code,
code blocks (with a ``language-*`` class), block quotes, nested ordered and unordered lists,
links, images, horizontal rules, tables (GitHub pipe tables) and definition lists. Other
elements are unwrapped: their text is kept.
"""

from __future__ import annotations

import html as html_lib
import re

import attrs

from helpdesk_kit.kb.htmltree import Element, Node, parse_html
from helpdesk_kit.kb.sanitize import _check_html, safe_url, sanitize_element

__all__ = ["ConvertedPage", "convert_page", "html_to_markdown"]

_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "center", "dd", "details", "div",
        "dl", "dt", "fieldset", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5",
        "h6", "header", "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section",
        "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
_BREAK = "\x01"  # a <br> until the paragraph is assembled
_SPACE = re.compile(r"[ \t\n\r\f\v\u00a0]+")
_INLINE_SPECIAL = re.compile(r"([\\`*\[\]<>~])")
_ENTITY_LIKE = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_LINE_START_SPECIAL = re.compile(r"^(\s*)([#>+=-]|\d+[.)])(?=\s|$)")
_LOOSE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_LIST_START = re.compile(r"^(?:- |\d+\. )")
_CONFLUENCE_PREFIX = re.compile(r"^[^:]{1,200} : ")
_TITLE_TAG = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.I | re.S)
_ANY_TAG = re.compile(r"<[^>]*>")


def _escape_line_start(match: re.Match[str]) -> str:
    lead, marker = match.group(1), match.group(2)
    return f"{lead}{marker[:-1]}\\{marker[-1]}" if marker[0].isdigit() else f"{lead}\\{marker}"


def _escape(text: str) -> str:
    text = _INLINE_SPECIAL.sub(r"\\\1", text)
    text = _LOOSE_UNDERSCORE.sub(r"\\_", text)
    return _ENTITY_LIKE.sub(r"\\&", text)


def _text_of(node: Node) -> str:
    if isinstance(node, str):
        return node
    return "".join(_text_of(child) for child in node.children)


def _fence_for(code: str, char: str = "`") -> str:
    longest = max((len(run) for run in re.findall(f"{re.escape(char)}+", code)), default=0)
    return char * max(3, longest + 1)


class _Renderer:
    """Turns a tree into Markdown blocks (paragraphs, lists, ...) joined by blank lines."""

    def blocks(self, children: list[Node]) -> list[str]:
        out: list[str] = []
        inline: list[str] = []

        def flush() -> None:
            text = _SPACE.sub(" ", "".join(inline)).strip(" ")
            inline.clear()
            lines = [line.strip(" ") for line in text.split(_BREAK)]
            while lines and not lines[-1]:
                lines.pop()
            while lines and not lines[0]:
                lines.pop(0)
            if lines:
                escaped = [_LINE_START_SPECIAL.sub(_escape_line_start, ln) for ln in lines]
                out.append("\\\n".join(escaped))

        for child in children:
            if isinstance(child, str) or child.tag not in _BLOCKS:
                inline.append(self.inline(child))
                continue
            flush()
            out.extend(self.block(child))
        flush()
        return out

    def block(self, el: Element) -> list[str]:
        tag = el.tag
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            text = _SPACE.sub(" ", self.inline_children(el).replace(_BREAK, " ")).strip()
            return [f"{'#' * int(tag[1])} {text}"] if text else []
        if tag == "hr":
            return ["---"]
        if tag == "pre":
            return [self.code_block(el)]
        if tag == "blockquote":
            inner = "\n\n".join(self.blocks(el.children))
            if not inner:
                return []
            return ["\n".join("> " + line if line else ">" for line in inner.split("\n"))]
        if tag in ("ul", "ol"):
            return self.list_block(el)
        if tag == "table":
            return self.table(el)
        if tag == "dt":
            text = _SPACE.sub(" ", self.inline_children(el).replace(_BREAK, " ")).strip()
            return [f"**{text}**"] if text else []
        return self.blocks(el.children)

    def inline_children(self, el: Element) -> str:
        return "".join(self.inline(child) for child in el.children)

    def inline(self, node: Node) -> str:
        if isinstance(node, str):
            return _escape(_SPACE.sub(" ", node))
        tag = node.tag
        if tag == "br":
            return _BREAK
        if tag == "img":
            alt = _escape(_SPACE.sub(" ", node.get("alt") or "").strip())
            src = safe_url(node.get("src") or "", image=True)
            if not src:
                return alt
            return f"![{alt}]({_destination(src)})"
        if tag == "code":
            code = _SPACE.sub(" ", _text_of(node))
            if not code.strip():
                return code
            fence = "`" * (max((len(r) for r in re.findall("`+", code)), default=0) + 1)
            pad = " " if code.startswith("`") or code.endswith("`") else ""
            return f"{fence}{pad}{code}{pad}{fence}"
        inner = self.inline_children(node)
        if tag in ("strong", "b"):
            return _wrap(inner, "**")
        if tag in ("em", "i"):
            return _wrap(inner, "*")
        if tag in ("del", "s", "strike"):
            return _wrap(inner, "~~")
        if tag == "a":
            href = safe_url(node.get("href") or "")
            label = inner.strip()
            if not href or not label:
                return inner
            return f"[{label}]({_destination(href)})"
        return inner

    def code_block(self, el: Element) -> str:
        language = ""
        for node in (el, *[c for c in el.children if isinstance(c, Element)]):
            for cls in node.classes():
                if cls.startswith("language-") and re.match(r"^[\w+\-]{1,30}$", cls[9:]):
                    language = cls[9:]
        code = _text_of(el).strip("\n")
        fence = _fence_for(code)
        return f"{fence}{language}\n{code}\n{fence}"

    def list_block(self, el: Element) -> list[str]:
        ordered = el.tag == "ol"
        start = el.get("start") or "1"
        number = int(start) if start.isdigit() and len(start) < 9 else 1
        items: list[str] = []
        for child in el.children:
            if isinstance(child, str):
                if child.strip():  # text directly in a list: treat as an item
                    items.append(self.item_text([child], ordered, number, len(items)))
                continue
            if child.tag in ("ul", "ol") and items:  # a nested list outside any <li>
                nested = "\n\n".join(self.list_block(child))
                items[-1] += "\n" + _indent(nested, 4 if ordered else 2)
                continue
            if child.tag != "li":
                items.append(self.item_text([child], ordered, number, len(items)))
                continue
            items.append(self.item_text(child.children, ordered, number, len(items)))
        items = [item for item in items if item]
        return ["\n".join(items)] if items else []

    def item_text(self, children: list[Node], ordered: bool, first: int, index: int) -> str:
        marker = f"{first + index}. " if ordered else "- "
        blocks = self.blocks(children)
        if not blocks:
            return ""
        body = blocks[0]
        for block in blocks[1:]:
            # a nested list follows its item's text directly; paragraphs get a blank line
            body += ("\n" if _LIST_START.match(block) else "\n\n") + block
        lines = body.split("\n")
        pad = " " * len(marker)
        rest = [pad + line if line else "" for line in lines[1:]]
        return "\n".join([marker + lines[0], *rest])

    def table(self, el: Element) -> list[str]:
        rows: list[list[str]] = []
        header_rows = 0

        def collect(node: Element, in_head: bool) -> None:
            nonlocal header_rows
            for child in node.children:
                if not isinstance(child, Element):
                    continue
                if child.tag == "tr":
                    cells = [
                        _cell(self.inline_children(c))
                        for c in child.children
                        if isinstance(c, Element) and c.tag in ("td", "th")
                    ]
                    heads = all(
                        c.tag == "th"
                        for c in child.children
                        if isinstance(c, Element) and c.tag in ("td", "th")
                    )
                    if cells:
                        if (in_head or heads) and len(rows) == header_rows:
                            header_rows += 1
                        rows.append(cells)
                elif child.tag in ("thead", "tbody", "tfoot"):
                    collect(child, child.tag == "thead")
                elif child.tag == "caption":
                    continue

        collect(el, False)
        if not rows:
            return []
        width = max(len(r) for r in rows)
        rows = [r + [""] * (width - len(r)) for r in rows]
        header = rows[0]
        body = rows[1:]
        lines = [
            "| " + " | ".join(header) + " |",
            "| " + " | ".join("---" for _ in header) + " |",
            *("| " + " | ".join(r) + " |" for r in body),
        ]
        captions = [c for c in el.children if isinstance(c, Element) and c.tag == "caption"]
        out = ["\n".join(lines)]
        if captions:
            caption = _cell(self.inline_children(captions[0]))
            if caption:
                out.insert(0, f"*{caption}*")
        return out


def _wrap(text: str, marker: str) -> str:
    stripped = text.strip()
    if not stripped:
        return text
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    return f"{lead}{marker}{stripped}{marker}{trail}"


def _cell(text: str) -> str:
    return _SPACE.sub(" ", text.replace(_BREAK, " ")).strip().replace("|", "\\|") or " "


_URL_ESCAPES = {" ": "%20", "(": "%28", ")": "%29", "<": "%3C", ">": "%3E"}


def _destination(url: str) -> str:
    """A link destination Markdown reads back whole: spaces, parentheses and <> encoded."""
    return re.sub(r"[ ()<>]", lambda m: _URL_ESCAPES[m.group(0)], url)


def _indent(text: str, width: int) -> str:
    pad = " " * width
    return "\n".join(pad + line if line else "" for line in text.split("\n"))


def _to_markdown(root: Element) -> str:
    blocks = _Renderer().blocks(root.children)
    text = "\n\n".join(block.rstrip() for block in blocks if block.strip())
    return text + "\n" if text else ""


def html_to_markdown(html: str) -> str:
    """Return clean Markdown for ``html`` (sanitized by construction: no raw HTML, safe URLs)."""
    return _to_markdown(parse_html(_check_html(html)))


@attrs.frozen
class ConvertedPage:
    """An exported page: its title (None when it has none), Markdown and sanitized HTML."""

    title: str | None
    markdown: str
    html: str


def _find(el: Element, match: object) -> Element | None:
    stack = [el]
    while stack:
        node = stack.pop(0)
        if node is not el and callable(match) and match(node):
            return node
        stack[0:0] = [c for c in node.children if isinstance(c, Element)]
    return None


def _clean_title(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def convert_page(html: str) -> ConvertedPage:
    """Pick the article out of an exported page and convert it.

    The content is the element with ``id="main-content"`` (Confluence), else the one with
    class ``page-body`` (Notion), else ``<article>``, ``<main>`` or ``<body>``, else the
    whole document. The title is Notion's ``h1.page-title``, Confluence's
    ``#title-text`` (without the "Space : " prefix), the ``<title>``, or the first ``<h1>``
    of the content (then removed from it).
    """
    text = _check_html(html)
    root = parse_html(text)
    confluence = _find(root, lambda n: n.get("id") == "main-content")
    content = (
        confluence
        or _find(root, lambda n: "page-body" in n.classes())
        or _find(root, lambda n: n.tag == "article")
        or _find(root, lambda n: n.tag == "main")
        or _find(root, lambda n: n.tag == "body")
        or root
    )
    title: str | None = None
    notion_title = _find(root, lambda n: n.tag == "h1" and "page-title" in n.classes())
    confluence_title = _find(root, lambda n: n.get("id") == "title-text")
    if notion_title is not None:
        title = _clean_title(_text_of(notion_title))
    elif confluence_title is not None:
        title = _CONFLUENCE_PREFIX.sub("", _clean_title(_text_of(confluence_title)))
    else:
        found = _TITLE_TAG.search(text)
        if found:
            title = _clean_title(html_lib.unescape(_ANY_TAG.sub("", found.group(1))))
            if confluence is not None:
                title = _CONFLUENCE_PREFIX.sub("", title)
    first_h1 = _find(content, lambda n: n.tag == "h1")
    if first_h1 is not None and (not title or _clean_title(_text_of(first_h1)) == title):
        if not title:
            title = _clean_title(_text_of(first_h1))
        _remove(content, first_h1)
    wrapper = Element("#root", children=[content] if content is not root else root.children)
    return ConvertedPage(
        title=title or None, markdown=_to_markdown(wrapper), html=sanitize_element(wrapper)
    )


def _remove(parent: Element, target: Element) -> bool:
    for i, child in enumerate(parent.children):
        if child is target:
            del parent.children[i]
            return True
        if isinstance(child, Element) and _remove(child, target):
            return True
    return False
