"""What every knowledge-base search backend shares: the document shape and input checks.

:class:`~helpdesk_kit.kb.search.SearchIndex` (in memory, BM25F) is the reference backend;
others (SQLite FTS5, PostgreSQL full text) are plugins registered through the
``register_search_backends`` hook and pass the same contract tests
(:mod:`helpdesk_kit.testing.search_suite`). They all take text, tokenize it with
:data:`~helpdesk_kit.kb.search.DEFAULT_TOKENIZER` and return
:class:`~helpdesk_kit.kb.search.SearchHit` lists, best first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.kb.search import SearchBackend

__all__ = [
    "SearchDocument",
    "add_documents",
    "check_document",
    "check_limit",
    "check_locale",
    "check_query",
    "normalize_locale",
]


def _as_tuple(values: Iterable[str]) -> tuple[str, ...]:
    if isinstance(values, str):
        raise InvalidInput("questions must be a sequence of str (a list), not a single str")
    return tuple(values)


@attrs.frozen
class SearchDocument:
    """One document for a search backend: what ``add`` takes, as a value."""

    doc_id: str
    title: str
    body: str = ""
    locale: str | None = None
    questions: tuple[str, ...] = attrs.field(default=(), converter=_as_tuple)


def normalize_locale(locale: str) -> str:
    """The form locales are compared in: trimmed, ``_`` as ``-``, case-folded."""
    return locale.strip().replace("_", "-").casefold()


def check_document(
    doc_id: Any, title: Any, body: Any, locale: Any, questions: Any
) -> tuple[str, ...]:
    """Raise InvalidInput for what ``SearchIndex.add`` refuses; return the questions as a tuple."""
    if not isinstance(doc_id, str) or not doc_id:
        raise InvalidInput(f"doc_id must be a non-empty str, not {doc_id!r}")
    for name, value in (("title", title), ("body", body)):
        if not isinstance(value, str):
            raise InvalidInput(f"{name} must be a str, not {type(value).__name__}")
    if locale is not None and (not isinstance(locale, str) or not locale.strip()):
        raise InvalidInput(f"locale must be None or a non-empty str, not {locale!r}")
    if isinstance(questions, str) or not isinstance(questions, Sequence):
        raise InvalidInput("questions must be a sequence of str (a list), not a single str")
    for question in questions:
        if not isinstance(question, str):
            raise InvalidInput(f"every question must be a str, not {type(question).__name__}")
    return tuple(questions)


def check_query(query: Any, name: str = "query") -> str:
    """Raise InvalidInput unless ``query`` is a str."""
    if not isinstance(query, str):
        raise InvalidInput(f"{name} must be a str, not {type(query).__name__}")
    return query


def check_limit(limit: Any) -> int:
    """Raise InvalidInput unless ``limit`` is an int >= 1."""
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise InvalidInput(f"limit must be an int >= 1, not {limit!r}")
    return limit


def check_locale(locale: Any) -> str | None:
    """Return the normalized locale filter (None for none); raise InvalidInput when bad."""
    if locale is None:
        return None
    if not isinstance(locale, str) or not locale.strip():
        raise InvalidInput(f"locale must be None or a non-empty str, not {locale!r}")
    return normalize_locale(locale)


def add_documents(backend: SearchBackend, documents: Iterable[SearchDocument]) -> int:
    """Add many documents: through the backend's ``add_many`` when it has one (one
    transaction for a SQL backend), else one ``add`` each. Return how many."""
    bulk = getattr(backend, "add_many", None)
    if bulk is not None:
        return int(bulk(documents))
    count = 0
    for doc in documents:
        backend.add(doc.doc_id, doc.title, doc.body, locale=doc.locale, questions=doc.questions)
        count += 1
    return count
