"""The reply-template language: ``{customer.name}``, ``{{``/``}}`` for braces, ``|filters``.

A template is text with placeholders. A placeholder names a variable by a dotted path,
``{namespace.field}`` (``{customer.name}``, ``{order.id}``), optionally followed by filters:
``{customer.name|upper}``, ``{ticket.created_at|date}``, ``{customer.name|default:您}``.
``{{`` and ``}}`` stand for literal braces. Nothing is evaluated: a path is looked up in the
mappings and attrs objects that variable providers return, and filters are a fixed list.

:func:`parse` reports every problem it finds (with line and column) instead of stopping at
the first; :func:`render_nodes` turns parsed nodes into text.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from helpdesk_kit.errors import InvalidInput, RenderError

__all__ = [
    "FILTERS",
    "MISSING",
    "Filter",
    "Literal",
    "Parsed",
    "Placeholder",
    "RenderError",
    "ValueFormatter",
    "lookup",
    "parse",
    "render_nodes",
]

_FIRST = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SEGMENT = re.compile(r"^[A-Za-z0-9_]+$")


class _Missing:
    """A path that leads nowhere (no key, no field)."""

    def __repr__(self) -> str:
        return "MISSING"


#: What :func:`lookup` returns for a path that leads nowhere.
MISSING: Any = _Missing()


@attrs.frozen
class Literal:
    """Text copied as it is."""

    text: str


@attrs.frozen
class Filter:
    """One ``|name`` or ``|name:arg`` after a placeholder's path."""

    name: str
    arg: str | None = None


@attrs.frozen
class Placeholder:
    """``{path|filter|...}`` at ``line``:``column`` (1-based) of the template."""

    path: tuple[str, ...]
    filters: tuple[Filter, ...]
    line: int
    column: int
    source: str

    @property
    def name(self) -> str:
        """The dotted path, e.g. ``"customer.name"``."""
        return ".".join(self.path)

    @property
    def namespace(self) -> str:
        """The first part of the path: the variable provider's name."""
        return self.path[0]

    @property
    def field(self) -> str:
        """The path inside the namespace, e.g. ``"name"``."""
        return ".".join(self.path[1:])

    @property
    def has_default(self) -> bool:
        """True when a ``|default:...`` filter covers an absent value."""
        return any(f.name == "default" for f in self.filters)


Node = Literal | Placeholder


@attrs.frozen
class Parsed:
    """A parsed template: its nodes and every problem found (empty when it is valid)."""

    nodes: tuple[Node, ...]
    problems: tuple[str, ...]

    @property
    def placeholders(self) -> list[Placeholder]:
        """The placeholders in order of appearance."""
        return [n for n in self.nodes if isinstance(n, Placeholder)]


# ------------------------------------------------------------------------------ filters

#: filter name -> whether it takes an argument: "no", "optional" or "required".
FILTERS: Mapping[str, str] = {
    "upper": "no",
    "lower": "no",
    "title": "no",
    "strip": "no",
    "date": "optional",
    "datetime": "optional",
    "time": "optional",
    "default": "required",
    "truncate": "required",
}


def _check_filter(name: str, arg: str | None) -> str | None:
    mode = FILTERS.get(name)
    if mode is None:
        return f"unknown filter {name!r} (filters: {', '.join(FILTERS)})"
    if mode == "no" and arg is not None:
        return f"filter {name!r} takes no argument, got {arg!r}"
    if mode == "required" and arg is None:
        example = "default:您" if name == "default" else "truncate:40"
        return f"filter {name!r} needs an argument, e.g. |{example}"
    if name == "truncate" and arg is not None and not (arg.isdigit() and int(arg) > 0):
        return f"filter 'truncate' needs a positive whole number, got {arg!r}"
    return None


# ------------------------------------------------------------------------------ parser


def _position(source: str, index: int) -> tuple[int, int]:
    line = source.count("\n", 0, index) + 1
    column = index - (source.rfind("\n", 0, index) + 1) + 1
    return line, column


def _placeholder(source: str, start: int, inner: str, problems: list[str]) -> Placeholder | None:
    line, column = _position(source, start)
    where = f"line {line}, column {column}"
    shown = "{" + inner + "}"
    parts = inner.split("|")
    path_text = parts[0].strip()
    ok = True
    if not path_text:
        problems.append(f"{where}: empty placeholder {shown} (write '{{{{' for a literal brace)")
        return None
    path = tuple(path_text.split("."))
    if not _FIRST.match(path[0]) or not all(_SEGMENT.match(s) for s in path[1:]):
        problems.append(
            f"{where}: {shown} is not a variable name; use letters, digits and '_' "
            "separated by dots, e.g. {customer.name} (write '{{' for a literal brace)"
        )
        ok = False
    elif len(path) < 2:
        problems.append(
            f"{where}: {shown} names a whole namespace; name a field, e.g. {{{path[0]}.name}}"
        )
        ok = False
    filters = []
    for raw in parts[1:]:
        name, sep, arg = raw.strip().partition(":")
        name = name.strip()
        filter_arg = arg.strip() if sep else None
        problem = _check_filter(name, filter_arg)
        if problem:
            problems.append(f"{where}: {shown}: {problem}")
            ok = False
        filters.append(Filter(name, filter_arg))
    if not ok:
        return None
    return Placeholder(path, tuple(filters), line, column, shown)


def parse(source: str) -> Parsed:
    """Parse a template; every problem is listed in ``Parsed.problems`` with its position.

    Results are cached by text (a ``Parsed`` is immutable): a desk renders the same few
    templates over and over.
    """
    if not isinstance(source, str):
        raise InvalidInput(f"a template must be text, got {type(source).__name__}")
    return _parse(source)


@functools.lru_cache(maxsize=1024)
def _parse(source: str) -> Parsed:
    nodes: list[Node] = []
    problems: list[str] = []
    buf: list[str] = []
    i, n = 0, len(source)

    def flush() -> None:
        if buf:
            nodes.append(Literal("".join(buf)))
            buf.clear()

    while i < n:
        ch = source[i]
        if ch == "{":
            if source.startswith("{{", i):
                buf.append("{")
                i += 2
                continue
            close = source.find("}", i + 1)
            reopen = source.find("{", i + 1)
            line, column = _position(source, i)
            if close == -1:
                problems.append(
                    f"line {line}, column {column}: '{{' is never closed "
                    "(write '{{' for a literal brace)"
                )
                buf.append(source[i:])
                break
            if reopen != -1 and reopen < close:
                problems.append(
                    f"line {line}, column {column}: '{{' is not closed before the next '{{' "
                    "(write '{{' for a literal brace)"
                )
                buf.append(source[i:reopen])
                i = reopen
                continue
            placeholder = _placeholder(source, i, source[i + 1 : close], problems)
            if placeholder is not None:
                flush()
                nodes.append(placeholder)
            i = close + 1
        elif ch == "}":
            if source.startswith("}}", i):
                buf.append("}")
                i += 2
                continue
            line, column = _position(source, i)
            problems.append(
                f"line {line}, column {column}: unmatched '}}' (write '}}}}' for a literal brace)"
            )
            buf.append("}")
            i += 1
        else:
            nxt = min((p for p in (source.find("{", i), source.find("}", i)) if p != -1), default=n)
            buf.append(source[i:nxt])
            i = nxt
    flush()
    return Parsed(tuple(nodes), tuple(problems))


# ------------------------------------------------------------------------------ values


def lookup(value: Any, path: Sequence[str]) -> Any:
    """Follow ``path`` through mappings, sequences (digit steps) and attrs objects' fields.

    Nothing else is reached: no methods, no private names, no arbitrary attributes.
    """
    for step in path:
        if value is None or value is MISSING:
            return MISSING
        if isinstance(value, Mapping):
            value = value.get(step, MISSING)
        elif isinstance(value, Sequence) and not isinstance(value, str | bytes) and step.isdigit():
            index = int(step)
            value = value[index] if index < len(value) else MISSING
        elif attrs.has(type(value)) and not step.startswith("_"):
            names = {a.name for a in attrs.fields(type(value))}
            value = getattr(value, step) if step in names else MISSING
        else:
            return MISSING
    return value


_MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {name!r}") from None


@attrs.frozen
class ValueFormatter:
    """Turns values into text for one locale and time zone (dates the way readers expect)."""

    locale: str = "en"
    timezone: str = "UTC"

    def _lang(self) -> str:
        return self.locale.split("-")[0].lower()

    def _local(self, value: datetime) -> datetime:
        if value.tzinfo is None:
            return value
        return value.astimezone(_zone(self.timezone))

    def date(self, value: date, fmt: str | None = None) -> str:
        """``2026年11月2日`` / ``2 November 2026`` / ISO for other languages."""
        if isinstance(value, datetime):
            value = self._local(value)
        if fmt:
            return value.strftime(fmt)
        lang = self._lang()
        if lang == "zh":
            return f"{value.year}年{value.month}月{value.day}日"
        if lang == "en":
            return f"{value.day} {_MONTHS_EN[value.month - 1]} {value.year}"
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"

    def time(self, value: datetime | time, fmt: str | None = None) -> str:
        """``17:00`` (24-hour clock) unless a format is given."""
        if isinstance(value, datetime):
            value = self._local(value)
        if fmt:
            return value.strftime(fmt)
        return f"{value.hour:02d}:{value.minute:02d}"

    def datetime(self, value: datetime, fmt: str | None = None) -> str:
        """Date and time in the reader's style (``2026年11月2日 17:00``)."""
        if fmt:
            return self._local(value).strftime(fmt)
        sep = " " if self._lang() == "zh" else ", "
        return f"{self.date(value)}{sep}{self.time(value)}"

    def text(self, value: Any) -> str:
        """The text of a value with no filter: dates formatted, lists joined, numbers plain."""
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return ("是" if value else "否") if self._lang() == "zh" else ("yes" if value else "no")
        if isinstance(value, datetime):
            return self.datetime(value)
        if isinstance(value, date):
            return self.date(value)
        if isinstance(value, time):
            return self.time(value)
        if isinstance(value, Decimal):
            return format(value, "f")
        if isinstance(value, int | float):
            return str(value)
        if isinstance(value, list | tuple | set | frozenset):
            items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
            sep = "、" if self._lang() == "zh" else ", "
            return sep.join(self.text(v) for v in items)
        if isinstance(value, Mapping) or attrs.has(type(value)):
            raise RenderError(f"a {type(value).__name__} cannot be written into text; name a field")
        return str(value)


def _absent(value: Any) -> bool:
    return value is MISSING or value is None or value == ""


def _apply(value: Any, flt: Filter, fmt: ValueFormatter, where: str) -> Any:
    name, arg = flt.name, flt.arg
    if name == "default":
        return arg if _absent(value) else value
    if name in ("date", "datetime", "time"):
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                raise RenderError(f"{where}: |{name} needs a date or time, got {value!r}") from None
        if name == "date" and isinstance(value, date):
            return fmt.date(value, arg)
        if name == "time" and isinstance(value, datetime | time):
            return fmt.time(value, arg)
        if name == "datetime" and isinstance(value, datetime):
            return fmt.datetime(value, arg)
        raise RenderError(f"{where}: |{name} needs a date or time, got {value!r}")
    text = fmt.text(value)
    if name == "upper":
        return text.upper()
    if name == "lower":
        return text.lower()
    if name == "title":
        return text.title()
    if name == "strip":
        return text.strip()
    if name == "truncate":
        size = int(arg or "0")
        return text if len(text) <= size else text[: max(size - 1, 0)] + "…"
    raise RenderError(f"{where}: unknown filter {name!r}")  # parse() never lets this through


def render_nodes(
    nodes: Sequence[Node],
    resolve: Callable[[Placeholder], Any],
    formatter: ValueFormatter,
    *,
    escape: bool = False,
    what: str = "template",
) -> str:
    """Render parsed nodes; ``resolve`` gives a placeholder's raw value (or ``MISSING``).

    With ``escape`` (HTML output) every substituted value is HTML-escaped; literal text is
    the template author's and is copied as it is. An absent value without ``|default`` is a
    ``RenderError``, never an empty string.
    """
    out: list[str] = []
    for node in nodes:
        if isinstance(node, Literal):
            out.append(node.text)
            continue
        where = f"{what}, line {node.line}, column {node.column}, {node.source}"
        value = resolve(node)
        for flt in node.filters:
            if flt.name != "default" and _absent(value):
                continue  # only a later |default can fill it
            value = _apply(value, flt, formatter, where)
        if _absent(value):
            raise RenderError(
                f"{where}: {{{node.name}}} has no value for this ticket; "
                "add a default (|default:...) or use another template"
            )
        text = formatter.text(value)
        out.append(html.escape(text, quote=True) if escape else text)
    return "".join(out)
