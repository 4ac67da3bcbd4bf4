"""Keywords and sentiment words in a customer's message (投诉, 律师, 12315, refund, lawyer, ...).

Matching is on :func:`helpdesk_kit.text.normalize` form (NFKC, case-folded), so full-width
"１２３１５" and "REFUND" match "12315" and "refund". A word with CJK characters matches
anywhere (Chinese has no spaces between words); a Latin word matches at the start of a word
("refund" matches "Refunds" and "refunded", not "prefund").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from helpdesk_kit.text.normalize import normalize

__all__ = ["DEFAULT_KEYWORDS", "DEFAULT_SENTIMENT_WORDS", "KeywordMatcher"]

#: Words that mean a complaint, a legal threat or a public threat (the guide's red flags).
DEFAULT_KEYWORDS: tuple[str, ...] = (
    "投诉",
    "律师",
    "12315",
    "曝光",
    "起诉",
    "消协",
    "工商",
    "媒体",
    "退款",
    "complaint",
    "complain",
    "lawyer",
    "legal action",
    "sue",
    "refund",
    "chargeback",
)

#: Words of a strongly negative mood (差评, 太差, terrible, ...).
DEFAULT_SENTIMENT_WORDS: tuple[str, ...] = (
    "差评",
    "太差",
    "垃圾",
    "骗子",
    "欺诈",
    "气死",
    "失望",
    "不满",
    "恶心",
    "terrible",
    "awful",
    "scam",
    "fraud",
    "disgusting",
    "unacceptable",
    "furious",
    "worst",
)

#: a Latin word starts where no Latin letter or digit comes before it (CJK text may)
_LATIN = "[0-9a-z\u00c0-\u024f]"


def _has_cjk(word: str) -> bool:
    return any(
        "\u3040" <= ch <= "\u30ff" or "\u3400" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af"
        for ch in word
    )


class KeywordMatcher:
    """Finds which of a list of words occur in a text (one compiled pattern)."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words: tuple[str, ...] = tuple(dict.fromkeys(w for w in words if w.strip()))
        self._forms = {normalize(w).strip(): w for w in self.words}
        parts = []
        for form in sorted(self._forms, key=len, reverse=True):
            escaped = re.escape(form)
            if _has_cjk(form) or not re.match(_LATIN, form):
                parts.append(f"({escaped})")
            else:
                parts.append(f"(?<!{_LATIN})({escaped})")
        self._pattern = re.compile("|".join(parts)) if parts else None

    def find(self, text: str) -> list[str]:
        """The words (as given) found in ``text``, in the order of their first occurrence."""
        if self._pattern is None or not text:
            return []
        found: dict[str, None] = {}
        for match in self._pattern.finditer(normalize(text)):
            form = next(g for g in match.groups() if g is not None)
            found[self._forms[form]] = None
        return list(found)

    def find_any(self, texts: Sequence[str]) -> list[str]:
        """The words found in any of ``texts``."""
        found: dict[str, None] = {}
        for text in texts:
            for word in self.find(text):
                found[word] = None
        return list(found)
