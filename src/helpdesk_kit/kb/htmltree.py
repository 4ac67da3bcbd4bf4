"""A small, forgiving HTML tree built with the standard library's ``html.parser``.

The sanitizer and the HTML-to-Markdown converter both walk this tree, so they agree on
what the input means. The builder never raises on malformed markup: unclosed elements are
closed at the end, stray end tags are ignored, and an end tag closes the nearest open
element of its name (and everything opened inside it).

Content that must never reach a reader (``<script>``, ``<style>``, ``<svg>``, ``<iframe>``,
...) is dropped while building: it never enters the tree, and an element of that kind that
is never closed swallows the rest of the document (the safe reading of broken markup).
Elements nested deeper than :data:`MAX_DEPTH` are unwrapped (their text is kept), so a
document of ten thousand nested ``<div>`` cannot exhaust the recursion of a walker.
"""

from __future__ import annotations

from html.parser import HTMLParser

import attrs

__all__ = [
    "DROP_WITH_CONTENT",
    "MAX_DEPTH",
    "VOID_ELEMENTS",
    "Element",
    "Node",
    "parse_html",
]

#: Elements removed together with everything inside them.
DROP_WITH_CONTENT = frozenset(
    {
        "script", "style", "template", "iframe", "frame", "frameset", "object", "embed",
        "applet", "noscript", "noembed", "noframes", "svg", "math", "head", "title",
        "textarea", "select", "option", "button", "form", "xmp", "plaintext", "audio",
        "video", "canvas", "map", "dialog", "portal",
    }
)  # fmt: skip
#: Elements that have no content and no end tag.
VOID_ELEMENTS = frozenset(
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta",
        "param", "source", "track", "wbr",
    }
)  # fmt: skip
#: Elements nested deeper than this are unwrapped (their children join the parent).
MAX_DEPTH = 100


@attrs.define
class Element:
    """An element: its lower-case tag, attributes in document order and children."""

    tag: str
    attributes: list[tuple[str, str]] = attrs.field(factory=list)
    children: list[Node] = attrs.field(factory=list)

    def get(self, name: str) -> str | None:
        """Return the first value of attribute ``name``, or None."""
        for key, value in self.attributes:
            if key == name:
                return value
        return None

    def classes(self) -> set[str]:
        """Return the element's class names."""
        return set((self.get("class") or "").split())


Node = Element | str


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root")
        self.stack: list[Element] = [self.root]
        self.skipping: list[str] = []  # open elements whose content is being dropped
        self.unwrapped: list[str] = []  # tags not built (too deep), matched by end tags

    def handle_starttag(self, tag: str, attributes: list[tuple[str, str | None]]) -> None:
        if self.skipping:
            if tag == self.skipping[-1] and tag not in VOID_ELEMENTS:
                self.skipping.append(tag)
            return
        if tag in DROP_WITH_CONTENT:
            if tag not in VOID_ELEMENTS:
                self.skipping.append(tag)
            return
        if tag in VOID_ELEMENTS:
            self.stack[-1].children.append(Element(tag, _attrs(attributes)))
            return
        if len(self.stack) > MAX_DEPTH:
            self.unwrapped.append(tag)
            return
        element = Element(tag, _attrs(attributes))
        self.stack[-1].children.append(element)
        self.stack.append(element)

    def handle_startendtag(self, tag: str, attributes: list[tuple[str, str | None]]) -> None:
        # "<br/>", "<svg/>": an element without content
        if self.skipping or tag in DROP_WITH_CONTENT:
            return
        self.stack[-1].children.append(Element(tag, _attrs(attributes)))

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if tag == self.skipping[-1]:
                self.skipping.pop()
            return
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return
        if tag in self.unwrapped:
            self.unwrapped.remove(tag)

    def handle_data(self, data: str) -> None:
        if self.skipping or not data:
            return
        children = self.stack[-1].children
        if children and isinstance(children[-1], str):
            children[-1] += data
        else:
            children.append(data)

    # comments, doctypes, processing instructions and CDATA sections are dropped
    def handle_comment(self, data: str) -> None:
        return

    def handle_decl(self, decl: str) -> None:
        return

    def handle_pi(self, data: str) -> None:
        return

    def unknown_decl(self, data: str) -> None:
        return


def _attrs(attributes: list[tuple[str, str | None]]) -> list[tuple[str, str]]:
    return [(name.lower(), value or "") for name, value in attributes]


def parse_html(html: str) -> Element:
    """Parse ``html`` into a tree under a ``#root`` element; never raises on bad markup."""
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root
