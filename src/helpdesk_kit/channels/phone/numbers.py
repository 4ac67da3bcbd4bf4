"""Phone numbers: one canonical form per number, so the caller's number finds the customer.

Customers' numbers arrive in many shapes: ``+86 138-0000-0000``, ``0086 13800000000``,
``13800000000``, ``(010) 1234 5678``. With the country the desk works in, they are written
in E.164 (``+8613800000000``); lookups also try the national forms a customer record may
hold from before.
"""

from __future__ import annotations

import re

from helpdesk_kit.errors import InvalidInput

__all__ = ["ANONYMOUS", "is_anonymous", "normalize_number", "number_candidates"]

#: What switches send for a withheld or unknown caller number.
ANONYMOUS = frozenset({"", "anonymous", "unknown", "private", "restricted", "unavailable"})
_JUNK = re.compile(r"[\s\-./()\u00a0]")
_CC = re.compile(r"^[1-9][0-9]{0,2}$")


def is_anonymous(raw: str | None) -> bool:
    """True for a withheld or unknown caller number."""
    return raw is None or raw.strip().lower().lstrip("+") in ANONYMOUS


def _check_cc(country_code: str | None) -> str | None:
    if country_code is None:
        return None
    cc = country_code.strip().lstrip("+")
    if not _CC.match(cc):
        raise InvalidInput(
            f"a country calling code is 1 to 3 digits (86, 1, 852), got {country_code!r}"
        )
    return cc


def normalize_number(raw: str, country_code: str | None = None) -> str:
    """The canonical form of a phone number: E.164 (``+8613800000000``) when it can tell.

    ``00`` becomes ``+``; an international number's ``(0)`` is dropped; a national number
    gets ``country_code`` with its trunk ``0`` removed (``010 1234 5678`` with ``86`` →
    ``+861012345678``). Without a country code a national number stays digits only.
    ``InvalidInput`` for text that is not a phone number.
    """
    if not isinstance(raw, str):
        raise InvalidInput(f"a phone number is a string, got {type(raw).__name__}")
    cc = _check_cc(country_code)
    text = raw.strip().replace("(0)", "")
    text = _JUNK.sub("", text)
    if text.startswith("00"):
        text = "+" + text[2:]
    plus = text.startswith("+")
    digits = text[1:] if plus else text
    if not digits.isascii() or not digits.isdigit() or not 3 <= len(digits) <= 15:
        raise InvalidInput(f"not a phone number: {raw!r}")
    if plus:
        return "+" + digits
    if cc is None:
        return digits
    national = digits[1:] if digits.startswith("0") else digits
    if len(national) < 4:  # a short service number (110, 12345): keep it as dialled
        return digits
    return "+" + cc + national


def number_candidates(raw: str, country_code: str | None = None) -> list[str]:
    """The forms a stored customer's number may have, canonical first (for lookups)."""
    canonical = normalize_number(raw, country_code)
    found = [canonical]
    cc = _check_cc(country_code)
    if cc is not None and canonical.startswith("+" + cc):
        national = canonical[1 + len(cc) :]
        found += [national, "0" + national, "00" + cc + national]
    plain = _JUNK.sub("", raw.strip())
    if plain and plain not in found:
        found.append(plain)
    return list(dict.fromkeys(found))
