"""Hot words: what customers ask about most, and what they ask about more than before.

Terms are the words of customer messages (Chinese segmented by jieba when installed, else
unigrams and bigrams of characters; see :mod:`helpdesk_kit.text`), without stop words of
either language, numbers and order ids, plus *phrases*: two kept words that follow each
other. A term counts once per ticket (how many tickets mention it), so one long thread does
not drown the others. **Top** terms have the most tickets; **rising** terms gained the most
share of tickets against the period before.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

import attrs

from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.text import Mode, Tokenizer

__all__ = [
    "HOT_WORD_STOP_WORDS",
    "HotWords",
    "Term",
    "hot_words",
    "sample_every",
    "ticket_terms",
]

#: Words that carry no topic in customer-service messages (beside the general stop words).
HOT_WORD_STOP_WORDS = frozenset(
    [
        "时候",
        "没有",
        "麻烦",
        "一直",
        "现在",
        "可以",
        "还是",
        "这个",
        "那个",
        "问题",
        "一下",
        "知道",
        "需要",
        "希望",
        "还有",
        "今天",
        "昨天",
        "收到了",
        "客服",
        "你们",
        "我们",
        "他们",
        "请",
        "帮",
        "帮忙",
        "谢谢您",
        "您好",
        "你好",
        "好的",
        "可是",
        "但是",
        "因为",
        "所以",
        "help",
        "hello",
        "thank",
        "thanks",
        "would",
        "could",
        "still",
        "just",
        "get",
        "got",
        "need",
        "want",
        "yet",
        "hasnt",
        "havent",
        "dont",
        "cant",
        "didnt",
        "doesnt",
        "isnt",
        "wont",
        "im",
        "ive",
        "id",
        "youre",
        "hey",
        "dear",
        "regards",
        "team",
        "please",
        "can",
        "will",
    ]
)

_HAS_DIGIT = re.compile(r"\d")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def sample_every(count: int, sample: int) -> int:
    """``k = ceil(count / sample)``: keep tickets whose number is a multiple of ``k``."""
    if sample < 1:
        return 1
    return max(1, math.ceil(count / sample))


def _keep(token: str, stop: frozenset[str]) -> bool:
    if token in stop or _HAS_DIGIT.search(token):
        return False
    if _CJK.search(token):
        return len(token) >= 2
    return len(token) >= 3


def _join(a: str, b: str) -> str:
    return a + b if _CJK.search(a[-1]) and _CJK.search(b[0]) else f"{a} {b}"


def ticket_terms(
    texts: Iterable[str],
    tokenizer: Tokenizer,
    stop: frozenset[str] = HOT_WORD_STOP_WORDS,
    *,
    seen: dict[str, frozenset[tuple[str, bool]]] | None = None,
) -> set[tuple[str, bool]]:
    """The words and two-word phrases of one ticket's customer messages: ``(term, phrase)``.

    ``seen`` remembers the terms of each text already segmented with the same tokenizer and
    stop words (customers write the same short messages again and again: "where is my
    order?"), so each distinct text is segmented once.
    """
    terms: set[tuple[str, bool]] = set()
    for text in texts:
        found = None if seen is None else seen.get(text)
        if found is None:
            kept = [t for t in tokenizer.tokens(text) if _keep(t, stop)]
            found = frozenset(
                [
                    *((t, False) for t in kept),
                    *((_join(a, b), True) for a, b in itertools.pairwise(kept) if a != b),
                ]
            )
            if seen is not None:
                seen[text] = found
        terms.update(found)
    return terms


@attrs.frozen
class Term:
    """One hot term: in how many tickets it appears now and before, with example tickets."""

    term: str
    phrase: bool
    tickets: int
    share: float
    previous: int
    previous_share: float
    examples: tuple[int, ...]

    @property
    def growth(self) -> float | None:
        """Share now divided by share before (None when it is new)."""
        return self.share / self.previous_share if self.previous_share else None


@attrs.frozen
class HotWords:
    """Top words, top phrases and rising terms of a period's sampled tickets."""

    tickets: int
    previous_tickets: int
    top: list[Term]
    phrases: list[Term]
    rising: list[Term]


def _by_ticket(texts: Iterable[tuple[str, int, str]]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    for _tid, number, text in texts:
        out[number].append(text)
    return out


def hot_words(
    current: Sequence[tuple[str, int, str]],
    previous: Sequence[tuple[str, int, str]] = (),
    *,
    top: int = 20,
    rising: int = 10,
    min_tickets: int = 3,
    examples: int = 3,
    mode: Mode = "auto",
    stop_words: Iterable[str] = (),
    phrase_words: bool = True,
) -> HotWords:
    """Hot words of ``current`` against ``previous``; both are ``(ticket_id, number, text)``.

    ``min_tickets``: a term must appear in at least that many tickets to be rising.
    ``examples``: how many ticket numbers (the most recent) each term shows.
    """
    if top < 0 or rising < 0 or min_tickets < 1 or examples < 0:
        raise InvalidInput("top, rising and examples must be >= 0 and min_tickets >= 1")
    tokenizer = Tokenizer(mode=mode, stem=False, drop_stopwords=True)
    stop = HOT_WORD_STOP_WORDS | frozenset(stop_words)
    seen: dict[str, frozenset[tuple[str, bool]]] = {}
    now_docs = {
        n: ticket_terms(t, tokenizer, stop, seen=seen) for n, t in _by_ticket(current).items()
    }
    old_docs = {
        n: ticket_terms(t, tokenizer, stop, seen=seen) for n, t in _by_ticket(previous).items()
    }
    now_count: dict[tuple[str, bool], list[int]] = defaultdict(list)
    for number, found in now_docs.items():
        for key in found:
            now_count[key].append(number)
    old_count: dict[tuple[str, bool], int] = defaultdict(int)
    for found in old_docs.values():
        for key in found:
            old_count[key] += 1
    n_now, n_old = len(now_docs), len(old_docs)

    def term(name: tuple[str, bool]) -> Term:
        numbers = sorted(now_count[name], reverse=True)
        old = old_count.get(name, 0)
        return Term(
            term=name[0],
            phrase=name[1],
            tickets=len(numbers),
            share=len(numbers) / n_now if n_now else 0.0,
            previous=old,
            previous_share=old / n_old if n_old else 0.0,
            examples=tuple(numbers[:examples]),
        )

    terms = [term(name) for name in now_count]
    words = sorted((t for t in terms if not t.phrase), key=lambda t: (-t.tickets, t.term))
    phrases = sorted(
        (t for t in terms if t.phrase and t.tickets >= min(2, min_tickets)),
        key=lambda t: (-t.tickets, t.term),
    )
    climbing = sorted(
        (t for t in terms if t.tickets >= min_tickets and n_old and t.share > t.previous_share),
        key=lambda t: (-(t.share - t.previous_share), -t.tickets, t.term),
    )
    return HotWords(
        tickets=n_now,
        previous_tickets=n_old,
        top=words[:top],
        phrases=phrases[:top] if phrase_words else [],
        rising=climbing[:rising],
    )
