"""Lexical features for the intent classifier: script runs, character n-grams, words, digit shapes.

The extractor is deliberately classifier-specific and self-contained. It turns a
customer's message into a sparse bag of string features:

* the text is NFKC-normalised (full-width letters, digits and punctuation
  become half-width) and case-folded;
* it is cut into runs: CJK (Han, kana, Hangul), letters (Latin and other
  alphabets), digits, and single symbols; everything else separates runs;
* CJK runs give character n-grams 1–3 (``c:``), with run-boundary markers on
  the 2- and 3-grams so "款" at the end of a phrase differs from "款" inside it;
* letter runs give word unigrams (``w:``), bigrams of neighbouring words
  (``b:``) and character n-grams 1–3 inside the padded word (``c:``), which
  keeps typos such as "refnd" close to "refund";
* digit runs give a shape (``<NUM1>``, ``<NUM2-3>``, ``<NUM4-5>``, ``<NUM6+>``,
  plus ``<PHONE>`` for an 11-digit number starting with 1, a Chinese mobile);
* "?" and "!" and symbols such as emoji give ``p:`` features.

``extra_tokens`` (a callable returning tokens, such as a shared word
segmenter) is an optional further source, prefixed ``t:``.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Iterable

__all__ = ["FeatureExtractor", "char_class", "normalize_text"]

#: Character classes used to cut text into runs.
CJK = "C"
LETTER = "L"
DIGIT = "D"
SYMBOL = "S"
SEPARATOR = " "

_MARK_PUNCT = frozenset("?!")


def normalize_text(text: str) -> str:
    """Return ``text`` NFKC-normalised (full-width → half-width) and case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def char_class(ch: str) -> str:
    """Return the run class of a normalised character: CJK, letter, digit, symbol, separator."""
    code = ord(ch)
    if (
        0x4E00 <= code <= 0x9FFF  # CJK unified ideographs
        or 0x3400 <= code <= 0x4DBF  # extension A
        or 0x3040 <= code <= 0x30FF  # hiragana, katakana
        or 0xAC00 <= code <= 0xD7AF  # Hangul syllables
        or 0xF900 <= code <= 0xFAFF  # compatibility ideographs
        or 0x20000 <= code <= 0x2FFFF  # extensions B+
    ):
        return CJK
    if ch.isdigit():
        return DIGIT
    if ch.isalpha():
        return LETTER
    if ch in _MARK_PUNCT:
        return SYMBOL
    category = unicodedata.category(ch)
    if category == "So":  # emoji and other pictographs carry tone ("😡")
        return SYMBOL
    return SEPARATOR


def _runs(text: str) -> list[tuple[str, str]]:
    """Cut normalised text into ``(class, run)`` pairs; symbols are runs of one."""
    runs: list[tuple[str, str]] = []
    current_class = SEPARATOR
    start = 0
    for i, ch in enumerate(text):
        cls = char_class(ch)
        if cls != current_class or cls == SYMBOL:
            if current_class != SEPARATOR:
                runs.append((current_class, text[start:i]))
            current_class = cls
            start = i
    if current_class != SEPARATOR:
        runs.append((current_class, text[start:]))
    return runs


def _digit_shape(digits: str) -> str:
    """Return the shape feature of a run of digits."""
    n = len(digits)
    if n == 11 and digits[0] == "1":
        return "<PHONE>"
    if n == 1:
        return "<NUM1>"
    if n <= 3:
        return "<NUM2-3>"
    if n <= 5:
        return "<NUM4-5>"
    return "<NUM6+>"


def _char_ngrams(run: str, counts: dict[str, float]) -> None:
    """Add character n-grams 1–3 of ``run`` to ``counts``; 2/3-grams see padded run edges."""
    for ch in run:
        key = "c:" + ch
        counts[key] = counts.get(key, 0.0) + 1.0
    padded = f"<{run}>"
    n = len(padded)
    for size in (2, 3):
        for i in range(n - size + 1):
            key = "c:" + padded[i : i + size]
            counts[key] = counts.get(key, 0.0) + 1.0


class FeatureExtractor:
    """Turns text into a sparse dict of raw feature counts (see the module docstring)."""

    def __init__(self, extra_tokens: Callable[[str], Iterable[str]] | None = None) -> None:
        """Create an extractor; ``extra_tokens`` optionally adds tokens from another segmenter."""
        self.extra_tokens = extra_tokens

    def counts(self, text: str) -> dict[str, float]:
        """Return the raw count of every feature in ``text`` (empty dict for no features)."""
        norm = normalize_text(text)
        counts: dict[str, float] = {}
        previous_word: str | None = None
        for cls, run in _runs(norm):
            if cls == CJK:
                _char_ngrams(run, counts)
                previous_word = None
            elif cls == LETTER:
                key = "w:" + run
                counts[key] = counts.get(key, 0.0) + 1.0
                if previous_word is not None:
                    key = f"b:{previous_word}_{run}"
                    counts[key] = counts.get(key, 0.0) + 1.0
                previous_word = run
                _char_ngrams(run, counts)
            elif cls == DIGIT:
                key = _digit_shape(run)
                counts[key] = counts.get(key, 0.0) + 1.0
            else:  # SYMBOL
                key = "p:" + run
                counts[key] = counts.get(key, 0.0) + 1.0
        if self.extra_tokens is not None:
            for token in self.extra_tokens(norm):
                if token.strip():
                    key = "t:" + token
                    counts[key] = counts.get(key, 0.0) + 1.0
        return counts

    def vector(self, text: str, idf: dict[str, float]) -> dict[str, float]:
        """Return the L2-normalised sublinear TF-IDF vector of ``text`` over features in ``idf``."""
        weighted: dict[str, float] = {}
        for key, count in self.counts(text).items():
            weight = idf.get(key)
            if weight is not None:
                weighted[key] = (1.0 + math.log(count)) * weight
        norm = math.sqrt(sum(v * v for v in weighted.values()))
        if norm == 0.0:
            return {}
        return {k: v / norm for k, v in weighted.items()}
