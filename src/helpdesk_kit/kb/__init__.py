"""The knowledge base domain: articles, categories, versions, feedback, search, sanitizing.

Pure code (no I/O): the desk's :class:`~helpdesk_kit.desk.kb.KnowledgeBase` (``desk.kb``)
stores these records and keeps the search index in step with published articles.
"""

from __future__ import annotations

from helpdesk_kit.kb.backend import SearchDocument
from helpdesk_kit.kb.documents import ArticleDocument
from helpdesk_kit.kb.html2md import convert_page, html_to_markdown
from helpdesk_kit.kb.model import (
    ARTICLE_TRANSITIONS,
    Article,
    ArticleFilter,
    ArticleHit,
    ArticleStats,
    ArticleStatus,
    ArticleVersion,
    ArticleVote,
    Category,
    CategoryNode,
    UnansweredQuery,
)
from helpdesk_kit.kb.sanitize import sanitize_html, sanitize_markdown
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
    "ARTICLE_TRANSITIONS",
    "MAX_QUERY_CHARS",
    "MAX_QUERY_TOKENS",
    "Article",
    "ArticleDocument",
    "ArticleFilter",
    "ArticleHit",
    "ArticleStats",
    "ArticleStatus",
    "ArticleVersion",
    "ArticleVote",
    "Category",
    "CategoryNode",
    "FieldWeights",
    "IndexStats",
    "SearchBackend",
    "SearchDocument",
    "SearchHit",
    "SearchIndex",
    "StarterFaq",
    "UnansweredQueries",
    "UnansweredQuery",
    "convert_page",
    "html_to_markdown",
    "index_starter_faqs",
    "load_starter_faqs",
    "normalize_query",
    "sanitize_html",
    "sanitize_markdown",
]
