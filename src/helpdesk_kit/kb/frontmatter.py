"""A tiny parser for the YAML-like front matter of Markdown articles.

Supported, and nothing more (no YAML dependency, no surprises)::

    ---
    key: order-status            # a string; quotes around it are optional
    tags: [order, tracking]      # an inline list of strings
    questions:                   # a block list: one "- item" per line, indented
      - Where is my order?
    ---
    The Markdown body follows.

Blank lines and lines starting with "#" are ignored. Every problem found is reported at once
as :class:`~helpdesk_kit.errors.InvalidDefinition`, with line numbers.
"""

from __future__ import annotations

import re

from helpdesk_kit.errors import InvalidDefinition

__all__ = ["FrontMatterValue", "parse_front_matter"]

FrontMatterValue = str | list[str]

_KEY_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)\s*:(.*)$")
_ITEM_LINE = re.compile(r"^\s+-\s+(.*)$|^\s+-$")


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _strip_comment(value: str) -> str:
    # " # " starts a comment only after whitespace, so "C#" and "#1" inside values survive
    match = re.search(r"\s#\s", value)
    return value[: match.start()] if match else value


def parse_front_matter(
    text: str, *, source: str = "article"
) -> tuple[dict[str, FrontMatterValue], str]:
    """Split ``text`` into its front matter (a dict) and its Markdown body.

    Text without a leading ``---`` line has no front matter: ``({}, text)``.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}, text
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise InvalidDefinition(
            f"front matter of {source}", ["no closing '---' line after the front matter"]
        ) from None
    meta: dict[str, FrontMatterValue] = {}
    problems: list[str] = []
    current_list: list[str] | None = None
    for number in range(1, end):
        raw = lines[number]
        line_no = number + 1
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        item = _ITEM_LINE.match(raw)
        if item:
            if current_list is None:
                problems.append(f"line {line_no}: list item outside a list: {raw.strip()!r}")
            else:
                current_list.append(_unquote(_strip_comment(item.group(1) or "")))
            continue
        current_list = None
        match = _KEY_LINE.match(raw)
        if not match or raw[0].isspace():
            problems.append(f"line {line_no}: expected 'key: value', got {raw.strip()!r}")
            continue
        key, value = match.group(1), _strip_comment(match.group(2)).strip()
        if key in meta:
            problems.append(f"line {line_no}: key {key!r} is given twice")
            continue
        if not value:
            current_list = []
            meta[key] = current_list
        elif value.startswith("["):
            if not value.endswith("]"):
                problems.append(f"line {line_no}: inline list of {key!r} does not end with ']'")
                continue
            inner = value[1:-1].strip()
            meta[key] = [_unquote(v) for v in inner.split(",")] if inner else []
        else:
            meta[key] = _unquote(value)
    if problems:
        raise InvalidDefinition(f"front matter of {source}", problems)
    body = "\n".join(lines[end + 1 :]).strip("\n")
    return meta, body + "\n" if body else ""
