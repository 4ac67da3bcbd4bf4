"""Money: an exact ``Decimal`` amount with a currency; floats and silent conversion refused."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from helpdesk_kit.errors import CurrencyMismatch, InvalidInput

__all__ = ["Money", "to_amount"]

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_TEXT = re.compile(r"^\s*([+-]?[0-9][0-9,_]*(?:\.[0-9]+)?)\s*([A-Za-z]{3})?\s*$")


def to_amount(value: Any, what: str = "amount") -> Decimal:
    """A finite ``Decimal`` from a Decimal, an int or text like ``"150.00"``; floats refused.

    A float such as ``0.1`` is not the number it looks like, so it is refused rather than
    rounded: write ``Decimal("0.1")`` or ``"0.1"``.
    """
    if isinstance(value, bool):
        raise InvalidInput(f"{what} must be a number, got {value!r}")
    if isinstance(value, float):
        raise InvalidInput(
            f"{what} {value!r} is a float, which cannot hold money exactly; "
            f"write it as text or a Decimal, e.g. '{value}'"
        )
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("_", "")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise InvalidInput(f"{what} {value!r} is not a number") from None
    else:
        raise InvalidInput(f"{what} must be a Decimal, an int or text, got {value!r}")
    if not amount.is_finite():
        raise InvalidInput(f"{what} must be a finite number, got {value!r}")
    return amount


def _currency(value: Any) -> str:
    if not isinstance(value, str) or not _CURRENCY.match(value.strip().upper()):
        raise InvalidInput(f"a currency is a three-letter ISO 4217 code like 'CNY', got {value!r}")
    return value.strip().upper()


@attrs.frozen(eq=False)
class Money:
    """An amount of one currency: ``Money("150.00", "CNY")``.

    Amounts are exact ``Decimal`` values; a float is refused. Adding, subtracting or
    comparing two amounts of different currencies raises ``CurrencyMismatch``: nothing is
    converted. ``Money("150", "CNY") == Money("150.00", "CNY")``.
    """

    amount: Decimal = attrs.field(converter=to_amount)
    currency: str = attrs.field(converter=_currency)

    @classmethod
    def parse(cls, text: str, default_currency: str | None = None) -> Money:
        """``"150.00 CNY"`` (or ``"150.00"`` with ``default_currency``)."""
        if isinstance(text, Money):
            return text
        if not isinstance(text, str):
            raise InvalidInput(f"an amount of money is text like '150.00 CNY', got {text!r}")
        match = _TEXT.match(text)
        if not match:
            raise InvalidInput(f"not an amount of money: {text!r} (write e.g. '150.00 CNY')")
        currency = match.group(2) or default_currency
        if currency is None:
            raise InvalidInput(f"{text!r} has no currency (write e.g. '150.00 CNY')")
        return cls(match.group(1), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """No money in ``currency``."""
        return cls(0, currency)

    def _same(self, other: object, op: str) -> Money:
        if not isinstance(other, Money):
            raise InvalidInput(f"cannot {op} Money and {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(
                f"cannot {op} {self} and {other}: the currencies differ "
                "(helpdesk_kit never converts currencies)"
            )
        return other

    def __add__(self, other: object) -> Money:
        return Money(self.amount + self._same(other, "add").amount, self.currency)

    def __sub__(self, other: object) -> Money:
        return Money(self.amount - self._same(other, "subtract").amount, self.currency)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self.currency == other.currency and self.amount == other.amount

    def __hash__(self) -> int:
        return hash((self.currency, self.amount))

    def __lt__(self, other: object) -> bool:
        return self.amount < self._same(other, "compare").amount

    def __le__(self, other: object) -> bool:
        return self.amount <= self._same(other, "compare").amount

    def __gt__(self, other: object) -> bool:
        return self.amount > self._same(other, "compare").amount

    def __ge__(self, other: object) -> bool:
        return self.amount >= self._same(other, "compare").amount

    @property
    def is_positive(self) -> bool:
        """True for more than nothing."""
        return self.amount > 0

    def __str__(self) -> str:
        return f"{format(self.amount, 'f')} {self.currency}"

    def __repr__(self) -> str:
        return f"Money({format(self.amount, 'f')!r}, {self.currency!r})"
