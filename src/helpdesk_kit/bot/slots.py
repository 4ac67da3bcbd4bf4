"""Slots of a dialogue flow: what the bot must learn (an order number, a phone) and how to check it.

A slot has a type. The type knows how to *parse* an answer to the bot's question (the
whole message, or the one value it contains) and how to *extract* a value from any
message ("where is order SO20240611?" already carries the order number, so the bot
does not ask for it). Values are normalised: e-mail addresses lower-cased, phone
numbers as digits, order numbers upper-cased without spaces.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from helpdesk_kit.bot.phrases import fill, pick_text
from helpdesk_kit.text import normalize

__all__ = [
    "DEFAULT_ORDER_PATTERN",
    "Choice",
    "SlotSpec",
    "SlotType",
    "extract_value",
    "parse_value",
]

#: An order number: up to four letters, an optional hyphen, then 6 to 20 digits.
DEFAULT_ORDER_PATTERN = r"[A-Za-z]{0,4}-?\d{6,20}"

_EMAIL = re.compile(r"[a-z0-9._%+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}")
# Chinese mobiles (optionally +86), or international numbers written with a leading +.
_PHONE = re.compile(r"(?:\+?86[\s\-]?)?1[3-9]\d(?:[\s\-]?\d){8}|\+\d(?:[\s\-]?\d){6,14}")
_ALNUM_BEFORE = r"(?<![A-Za-z0-9@._\-])"
_ALNUM_AFTER = r"(?![A-Za-z0-9@\-])"


class SlotType(enum.StrEnum):
    """The kinds of value a slot holds."""

    ORDER_NUMBER = "order_number"
    PHONE = "phone"
    EMAIL = "email"
    CONTACT = "contact"  # an e-mail address or a phone number
    TEXT = "text"
    CHOICE = "choice"


@attrs.frozen
class Choice:
    """One option of a choice slot: its value and the words that pick it, per locale."""

    value: str
    labels: Mapping[str, str] = attrs.field(factory=dict, hash=False)
    synonyms: tuple[str, ...] = ()

    def label(self, locale: str | None, default: str = "en") -> str:
        """The option's label shown to the customer."""
        return pick_text(self.labels, locale, default) if self.labels else self.value

    def words(self) -> list[str]:
        """Every normalised word or phrase that picks this option."""
        out = [self.value, *self.labels.values(), *self.synonyms]
        return [" ".join(normalize(w).split()) for w in out if w.strip()]


@attrs.frozen
class SlotSpec:
    """One slot of a flow: its name, type, the question (per locale) and how to check answers.

    ``invalid`` is said before the question is asked again after an answer that does not
    fit. ``pattern`` (a regular expression) replaces the default format of an order
    number, or restricts free text. ``from_customer`` (``"email"`` or ``"phone"``) fills
    the slot from the customer's known handle. ``min_length``/``max_length`` bound text.
    """

    name: str
    type: SlotType = attrs.field(converter=SlotType)
    ask: Mapping[str, str] = attrs.field(hash=False)
    invalid: Mapping[str, str] = attrs.field(factory=dict, hash=False)
    choices: tuple[Choice, ...] = ()
    pattern: str | None = None
    from_customer: str | None = None
    min_length: int = 1
    max_length: int = 500
    _regex: re.Pattern[str] | None = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        regex: re.Pattern[str] | None = None
        if self.type is SlotType.ORDER_NUMBER:
            body = self.pattern or DEFAULT_ORDER_PATTERN
            regex = re.compile(f"{_ALNUM_BEFORE}(?:{body}){_ALNUM_AFTER}", re.IGNORECASE)
        elif self.type is SlotType.TEXT and self.pattern:
            regex = re.compile(self.pattern)
        object.__setattr__(self, "_regex", regex)

    @property
    def regex(self) -> re.Pattern[str] | None:
        """The compiled pattern of an order number or a restricted text, if any."""
        return self._regex

    def question(self, locale: str | None, default: str = "en", **values: Any) -> str:
        """The question asking for this slot (``{choices}`` lists the options)."""
        text = pick_text(self.ask, locale, default)
        listing = "  ".join(
            f"{i}. {c.label(locale, default)}" for i, c in enumerate(self.choices, start=1)
        )
        return fill(text, {**values, "choices": listing})


def _digits(value: str) -> str:
    cleaned = re.sub(r"[\s\-]", "", value)
    if cleaned.startswith("+86") and len(cleaned) == 14:
        return cleaned[3:]
    if cleaned.startswith("86") and len(cleaned) == 13:
        return cleaned[2:]
    return cleaned


def _unique(found: Sequence[str]) -> str | None:
    values = list(dict.fromkeys(found))
    return values[0] if len(values) == 1 else None


def _emails(text: str) -> list[str]:
    return [m.group(0).rstrip(".") for m in _EMAIL.finditer(text)]


def _phones(text: str) -> list[str]:
    # e-mail addresses and order-like tokens glued to letters are not phone numbers
    cleaned = _EMAIL.sub(" ", text)
    return [
        _digits(m.group(0))
        for m in re.finditer(f"{_ALNUM_BEFORE}(?:{_PHONE.pattern}){_ALNUM_AFTER}", cleaned)
    ]


def _orders(spec: SlotSpec, text: str) -> list[str]:
    assert spec.regex is not None
    cleaned = _EMAIL.sub(" ", text)
    return [re.sub(r"\s", "", m.group(0)).upper() for m in spec.regex.finditer(cleaned)]


def _choice(spec: SlotSpec, text: str, *, answer: bool) -> str | None:
    norm = " ".join(normalize(text).split())
    squashed = re.sub(r"[\s\W_]+", "", norm)
    if answer and squashed.isdigit():
        index = int(squashed)
        if 1 <= index <= len(spec.choices):
            return spec.choices[index - 1].value
        return None
    exact = [
        c.value for c in spec.choices if squashed in {re.sub(r"[\s\W_]+", "", w) for w in c.words()}
    ]
    if exact:
        return _unique(exact)
    hits = []
    for c in spec.choices:
        for word in c.words():
            if not word:
                continue
            if re.search(r"[a-z0-9]", word):
                if re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", norm):
                    hits.append(c.value)
                    break
            elif word in norm:
                hits.append(c.value)
                break
    return _unique(hits)


def parse_value(spec: SlotSpec, text: str) -> str | None:
    """The slot's value in ``text`` as an answer to its question, or None when it does not fit.

    The answer may be just the value or a sentence with exactly one value in it ("it's
    SO20240611"); two different values are ambiguous (None).
    """
    norm = normalize(text).strip()
    if not norm:
        return None
    kind = spec.type
    if kind is SlotType.TEXT:
        value = " ".join(text.split())
        if not spec.min_length <= len(value) <= spec.max_length:
            return None
        if spec.regex is not None and spec.regex.fullmatch(value) is None:
            return None
        return value
    if kind is SlotType.CHOICE:
        return _choice(spec, text, answer=True)
    return extract_value(spec, text)


def extract_value(spec: SlotSpec, text: str) -> str | None:
    """A value for the slot found anywhere in ``text`` (exactly one), or None.

    Free-text slots are never filled this way: only an answer to their question fills them.
    """
    norm = normalize(text)
    kind = spec.type
    if kind is SlotType.EMAIL:
        return _unique(_emails(norm))
    if kind is SlotType.PHONE:
        return _unique(_phones(norm))
    if kind is SlotType.CONTACT:
        emails, phones = _emails(norm), _phones(norm)
        if emails and phones:
            return None
        return _unique(emails or phones)
    if kind is SlotType.ORDER_NUMBER:
        return _unique(_orders(spec, norm))
    if kind is SlotType.CHOICE:
        return _choice(spec, text, answer=False)
    return None
