"""Learning from agents: relabelled conversations become training examples (TSV in and out)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

import attrs

from helpdesk_kit.clock import ensure_aware
from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.ids import new_id

__all__ = ["Relabel", "examples_from_tsv", "examples_to_tsv", "latest_examples"]

_SPACE = re.compile(r"\s+")


def _aware(_inst: object, attribute: attrs.Attribute[datetime], value: datetime) -> None:
    ensure_aware(value, attribute.name)


def _text(_inst: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{attribute.name} must be non-empty text, got {value!r}")


@attrs.frozen
class Relabel:
    """An agent's verdict on a conversation's intent: the customer's ``text`` is ``intent``.

    ``previous`` is the intent the bot had recognised (None: none); ``message_id`` the
    customer message the text comes from.
    """

    ticket_id: str = attrs.field(validator=_text)
    text: str = attrs.field(validator=_text)
    intent: str = attrs.field(validator=_text)
    agent_id: str | None
    at: datetime = attrs.field(validator=_aware)
    previous: str | None = None
    message_id: str | None = None
    id: str = attrs.field(factory=new_id)

    @property
    def example(self) -> tuple[str, str]:
        """The training example ``(text, intent)``."""
        return (self.text, self.intent)


def latest_examples(relabels: Iterable[Relabel]) -> list[tuple[str, str]]:
    """One example per conversation: its latest relabel (by time, then id), oldest first."""
    latest: dict[str, Relabel] = {}
    for r in sorted(relabels, key=lambda r: (r.at, r.id)):
        latest.pop(r.ticket_id, None)
        latest[r.ticket_id] = r
    return [r.example for r in latest.values()]


def _cell(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def examples_to_tsv(examples: Iterable[tuple[str, str]], *, header: str | None = None) -> str:
    """``intent<TAB>text`` lines, the format of the starter files (tabs and newlines in a text
    become spaces). ``header`` becomes ``#`` comment lines at the top."""
    lines = [f"# {line}" for line in (header or "").splitlines()]
    for i, item in enumerate(examples):
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise InvalidInput(f"example {i}: expected a (text, intent) pair, got {item!r}")
        text, intent = (_cell(str(item[0])), _cell(str(item[1])))
        if not text or not intent:
            raise InvalidInput(f"example {i}: text and intent must be non-empty")
        lines.append(f"{intent}\t{text}")
    return "\n".join(lines) + "\n"


def examples_from_tsv(text: str) -> list[tuple[str, str]]:
    """Read ``intent<TAB>text`` lines (``#`` comments and blank lines skipped)."""
    out: list[tuple[str, str]] = []
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        intent, sep, body = line.partition("\t")
        if not sep or not intent.strip() or not body.strip():
            problems.append(f"line {number}: expected 'intent<TAB>text'")
            continue
        out.append((body.strip(), intent.strip()))
    if problems:
        raise InvalidInput("not a training-examples TSV file:", problems)
    return out
