"""The knowledge base domain: article search, unanswered-question counting, starter FAQs."""

from __future__ import annotations

from helpdesk_kit.kb.search import (
    MAX_QUERY_CHARS,
    MAX_QUERY_TOKENS,
    FieldWeights,
    IndexStats,
    SearchBackend,
    SearchHit,
    SearchIndex,
)
from helpdesk_kit.kb.starter import StarterFaq, index_starter_faqs, load_starter_faqs
from helpdesk_kit.kb.unanswered import UnansweredQueries, normalize_query

__all__ = [
    "MAX_QUERY_CHARS",
    "MAX_QUERY_TOKENS",
    "FieldWeights",
    "IndexStats",
    "SearchBackend",
    "SearchHit",
    "SearchIndex",
    "StarterFaq",
    "UnansweredQueries",
    "index_starter_faqs",
    "load_starter_faqs",
    "normalize_query",
]
