"""A tiny parser for the YAML-like front matter of Markdown articles.

Supported, and nothing more (no YAML dependency, no surprises)::

    ---
    key: order-status            # a string; quotes around it are optional
    title: "Use \"C # 2\""         # double quotes: a JSON string (escapes, "#" kept)
    tags: [order, tracking]      # an inline list of strings
    questions:                   # a block list: one "- item" per line, indented
      - Where is my order?
    ---
    The Markdown body follows.

Blank lines and lines starting with "#" are ignored. Every problem found is reported at once
as :class:`~helpdesk_kit.errors.InvalidDefinition`, with line numbers.
"""

from __future__ import annotations

import json
import re

from helpdesk_kit.errors import InvalidDefinition

__all__ = ["FrontMatterValue", "format_front_matter", "parse_front_matter"]

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


_DECODER = json.JSONDecoder()


def _scalar(raw: str) -> str | None:
    """The value of ``raw``: a JSON string when it starts with '"' (None if malformed)."""
    raw = raw.strip()
    if raw.startswith('"'):
        try:
            value, end = _DECODER.raw_decode(raw)
        except ValueError:
            value, end = None, 0
        rest = raw[end:].strip()
        if isinstance(value, str) and (not rest or rest.startswith("#")):
            return value
        if raw.endswith('"') and '"' not in raw[1:-1]:
            return raw[1:-1]  # a plain quoted string with a "\" that is no JSON escape
        return None
    return _unquote(_strip_comment(raw))


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
                continue
            item_value = _scalar(item.group(1) or "")
            if item_value is None:
                problems.append(f"line {line_no}: malformed quoted string: {raw.strip()!r}")
            else:
                current_list.append(item_value)
            continue
        current_list = None
        match = _KEY_LINE.match(raw)
        if not match or raw[0].isspace():
            problems.append(f"line {line_no}: expected 'key: value', got {raw.strip()!r}")
            continue
        key, raw_value = match.group(1), match.group(2).strip()
        value = raw_value if raw_value.startswith('"') else _strip_comment(raw_value).strip()
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
            scalar = _scalar(value)
            if scalar is None:
                problems.append(f"line {line_no}: malformed quoted string for {key!r}")
            else:
                meta[key] = scalar
    if problems:
        raise InvalidDefinition(f"front matter of {source}", problems)
    body = "\n".join(lines[end + 1 :]).strip("\n")
    return meta, body + "\n" if body else ""


_PLAIN = re.compile(r"^[^\s\"'\[\]#\-|>&*!%@`{}][^\"\\]*$")
_LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _format_scalar(value: str) -> str:
    """``value`` as the parser reads it back: bare when that is unambiguous, else JSON."""
    if (
        _PLAIN.match(value)
        and value == value.strip()
        and value.splitlines() == [value]
        and not re.search(r"\s#", value)
    ):
        return value
    quoted = json.dumps(value, ensure_ascii=False)
    for char, escape in _LINE_BREAKS.items():  # str.splitlines() would break the line there
        quoted = quoted.replace(char, escape)
    return quoted


def format_front_matter(meta: dict[str, FrontMatterValue], body: str) -> str:
    """Return Markdown with ``meta`` as front matter, in the order given, then ``body``.

    Strings are written bare when :func:`parse_front_matter` reads them back unchanged and
    as JSON strings otherwise; lists are written one ``- item`` per line (``[]`` when empty).
    """
    lines = ["---"]
    for key, value in meta.items():
        if not _KEY_LINE.match(f"{key}:"):
            raise InvalidDefinition("front matter", [f"{key!r} is not a valid key"])
        if isinstance(value, str):
            lines.append(f"{key}: {_format_scalar(value)}")
        elif not value:
            lines.append(f"{key}: []")
        else:
            lines.append(f"{key}:")
            lines.extend(f"  - {_format_scalar(item)}" for item in value)
    lines.append("---")
    text = "\n".join(lines) + "\n"
    return text + ("\n" + body if body else "")
