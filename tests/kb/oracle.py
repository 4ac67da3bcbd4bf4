"""A brute-force BM25F: recomputes every score from scratch over the current documents."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from helpdesk_kit.kb import FieldWeights
from helpdesk_kit.text import Tokenizer

BACKOFF_CHARS = 3  # as documented in docs/search.md


class Oracle:
    """Keeps the documents as text and scores a query by the formula, with no index."""

    def __init__(self, tokenizer: Tokenizer, weights: FieldWeights, k1: float, b: float) -> None:
        self.tokenizer = tokenizer
        self.weights = weights
        self.k1 = k1
        self.b = b
        self.docs: dict[str, tuple[str, str, tuple[str, ...], str | None]] = {}

    def add(
        self, doc_id: str, title: str, body: str, questions: Sequence[str], locale: str | None
    ) -> None:
        self.docs.pop(doc_id, None)  # re-adding moves the document to the end (newest)
        self.docs[doc_id] = (title, body, tuple(questions), locale)

    def remove(self, doc_id: str) -> None:
        del self.docs[doc_id]

    def _fields(self, doc_id: str) -> tuple[Counter[str], int]:
        title, body, questions, _ = self.docs[doc_id]
        w = self.weights
        tf: Counter[str] = Counter()
        length = 0
        for weight, texts in ((w.title, [title]), (w.questions, questions), (w.body, [body])):
            for text in texts:
                tokens = self.tokenizer.tokens(text)
                length += weight * len(tokens)
                for token in tokens:
                    tf[token] += weight
        return +tf, length

    def _query_tokens(self, query: str, stats: dict[str, tuple[Counter[str], int]]) -> list[str]:
        """Query tokens; with many Chinese characters, unigrams covered by a known bigram go."""
        tokens = self.tokenizer.tokens(query)
        han = [t for t in tokens if len(t) == 1 and "\u4e00" <= t <= "\u9fff"]
        if self.tokenizer.mode != "ngram" or len(han) <= BACKOFF_CHARS:
            return tokens
        vocabulary = {t for tf, _ in stats.values() for t in tf}
        kept = []
        for i, token in enumerate(tokens):
            neighbours = tokens[max(0, i - 1) : i] + tokens[i + 1 : i + 2]
            if token in han and any(
                len(n) == 2
                and token in n
                and n in vocabulary
                and (n[1] == token if j == 0 and i > 0 else n[0] == token)
                for j, n in enumerate(neighbours)
            ):
                continue
            kept.append(token)
        return kept

    def scores(self, query: str, locale: str | None = None) -> dict[str, float]:
        """Return the BM25F score of every document that matches a query term."""
        stats = {d: self._fields(d) for d in self.docs}
        terms = list(dict.fromkeys(self._query_tokens(query, stats)))
        n = len(stats)
        if not n:
            return {}
        avg = sum(length for _, length in stats.values()) / n
        out: dict[str, float] = {}
        for term in terms:
            df = sum(1 for tf, _ in stats.values() if term in tf)
            if not df:
                continue
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            for doc_id, (tf, length) in stats.items():
                f = tf.get(term, 0)
                if f:
                    norm = self.k1 * (1 - self.b + self.b * length / avg)
                    out[doc_id] = out.get(doc_id, 0.0) + idf * f * (self.k1 + 1) / (f + norm)
        if locale is not None:
            wanted = locale.lower()
            out = {
                d: s
                for d, s in out.items()
                if (loc := self.docs[d][3]) is not None
                and (loc.lower() == wanted or loc.lower().startswith(wanted + "-"))
            }
        return out

    def top(self, query: str, limit: int, locale: str | None = None) -> list[tuple[str, float]]:
        """Best ``limit`` documents: score descending, then the older document first."""
        order = {d: i for i, d in enumerate(self.docs)}
        scores = self.scores(query, locale)
        ranked = sorted(scores.items(), key=lambda item: (-item[1], order[item[0]]))
        return ranked[:limit]
