"""Text normalization: one canonical form for matching, counting and display-free comparison."""

from __future__ import annotations

import re
import unicodedata

from helpdesk_kit.errors import InvalidInput

__all__ = ["normalize"]

# Zero-width and invisible formatting characters that NFKC keeps: they split or join words
# invisibly (copy-paste from chat apps and web pages is full of them).
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e0fff]"
)
# C0/C1 control characters other than the ordinary whitespace ones become a space, so that
# "a\x00b" does not silently glue two words together.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def normalize(text: str) -> str:
    """Return ``text`` in NFKC form, case-folded, without control and zero-width characters.

    NFKC turns full-width letters, digits and punctuation into their ASCII forms
    ("ＳＯ１２３" -> "SO123", "，" -> ","), case folding lowercases the result
    (also "ß" -> "ss"). Zero-width characters are removed; other control characters
    become a space. Whitespace is kept as it is (tokenizers split on it).
    """
    if not isinstance(text, str):
        raise InvalidInput(f"text must be a str, not {type(text).__name__}")
    if text.isascii():
        # NFKC and the invisible characters are no-ops on ASCII: skip the expensive passes.
        return _CONTROL.sub(" ", text).lower() if not text.isprintable() else text.lower()
    text = _INVISIBLE.sub("", text)
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub(" ", text).casefold()
    # Case folding can produce sequences that are not NFKC again ("ǰ" -> "ǰ"): recompose.
    return unicodedata.normalize("NFKC", text)
