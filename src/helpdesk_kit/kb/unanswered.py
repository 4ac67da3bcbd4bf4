"""Counting the questions the knowledge base could not answer (content gaps)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.kb.search import SearchHit
from helpdesk_kit.text import normalize

__all__ = ["UnansweredQueries", "normalize_query"]

_SPACES = re.compile(r"\s+")
_EDGE_PUNCTUATION = re.compile(r"^[\W_]+|[\W_]+$")


def normalize_query(query: str) -> str:
    """Return the form queries are counted under: normalized, trimmed, single-spaced.

    "  Where is my ORDER??  " and "where is my order" count as the same question.
    """
    text = _SPACES.sub(" ", normalize(query)).strip()
    return _EDGE_PUNCTUATION.sub("", text)


class UnansweredQueries:
    """Counts normalized queries whose best search result scored below ``min_score``.

    The search index knows nothing of storage; the caller passes each query and its hits to
    :meth:`record` and later stores :meth:`most_common` (the knowledge-base service does).
    Memory is bounded: past ``max_queries`` distinct queries, the rarest are forgotten first.

    BM25F scores are not on a fixed scale (they grow with the size and wording of the
    corpus), so by default only queries with no result at all count. Calibrate
    ``min_score`` on your own articles: for the starter FAQ pack, right answers score
    above 6 and stray matches mostly below 4 (see docs/search.md).
    """

    def __init__(self, *, min_score: float = 0.0, max_queries: int = 10_000) -> None:
        """Create an empty counter (a best score below ``min_score`` counts as no answer)."""
        if not isinstance(min_score, int | float) or isinstance(min_score, bool):
            raise InvalidInput(f"min_score must be a number, not {min_score!r}")
        if not isinstance(max_queries, int) or isinstance(max_queries, bool) or max_queries < 1:
            raise InvalidInput(f"max_queries must be an int >= 1, not {max_queries!r}")
        self._min_score = float(min_score)
        self._max_queries = max_queries
        self._counts: Counter[str] = Counter()
        self._total = 0

    @property
    def min_score(self) -> float:
        """The score a best hit needs for a query to count as answered."""
        return self._min_score

    @property
    def total(self) -> int:
        """How many unanswered queries were recorded (repeats included)."""
        return self._total

    def __len__(self) -> int:
        """Return the number of distinct unanswered queries held."""
        return len(self._counts)

    def is_unanswered(self, hits: Sequence[SearchHit]) -> bool:
        """Return True when ``hits`` is empty or its best score is below ``min_score``."""
        return not hits or max(hit.score for hit in hits) < self._min_score

    def record(self, query: str, hits: Sequence[SearchHit]) -> bool:
        """Count ``query`` if ``hits`` do not answer it; return True when it was counted.

        Queries that normalize to nothing (empty, only punctuation) are never counted.
        """
        if not isinstance(query, str):
            raise InvalidInput(f"query must be a str, not {type(query).__name__}")
        if not self.is_unanswered(hits):
            return False
        key = normalize_query(query)
        if not key:
            return False
        self._total += 1
        self._counts[key] += 1
        if len(self._counts) > self._max_queries:
            self._evict()
        return True

    def _evict(self) -> None:
        # Drop the rarest queries first, always at least one so the bound holds.
        keep = self._max_queries * 9 // 10
        self._counts = Counter(dict(self._counts.most_common(keep)))

    def most_common(self, n: int | None = None) -> list[tuple[str, int]]:
        """Return the ``n`` most frequent unanswered queries with their counts (all if None)."""
        if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 0):
            raise InvalidInput(f"n must be None or an int >= 0, not {n!r}")
        return self._counts.most_common(n)

    def clear(self) -> None:
        """Forget every recorded query."""
        self._counts.clear()
        self._total = 0
