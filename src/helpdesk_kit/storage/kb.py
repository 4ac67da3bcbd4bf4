"""The knowledge base's part of the storage port: its repositories.

Four repositories, one attribute each on the unit of work:

- ``uow.kb_categories``: the help centre's category tree;
- ``uow.kb_articles``: articles and their versions, with a change feed (every add or
  update of an article takes the next number of a counter, so a process can catch up with
  what others changed: :meth:`KbArticleRepository.changed_since`);
- ``uow.kb_feedback``: helpfulness votes and view counts;
- ``uow.kb_searches``: searches that found no good answer, counted per query, locale and
  UTC day (the "unanswered questions" report).

:mod:`helpdesk_kit.testing.storage_suite_kb` holds the contract tests every backend passes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from helpdesk_kit.kb.model import (
    Article,
    ArticleFilter,
    ArticleStats,
    ArticleVersion,
    ArticleVote,
    Category,
    UnansweredQuery,
)

__all__ = [
    "MAX_QUERY_LENGTH",
    "KbArticleRepository",
    "KbCategoryRepository",
    "KbFeedbackRepository",
    "KbSearchLogRepository",
]

#: Unanswered queries are stored cut to this many characters.
MAX_QUERY_LENGTH = 200


class KbCategoryRepository(Protocol):
    """Categories and sections; ``key`` is unique."""

    def add(self, category: Category) -> Category:
        """Store a new category; ``AlreadyExists`` if its id or key is taken."""
        ...

    def get(self, category_id: str) -> Category:
        """Return the category; ``NotFound`` if there is none."""
        ...

    def get_by_key(self, key: str) -> Category | None:
        """Return the category with this key, or None."""
        ...

    def update(self, category: Category) -> Category:
        """Replace the stored category; ``NotFound``, or ``AlreadyExists`` on a taken key."""
        ...

    def delete(self, category_id: str) -> None:
        """Remove the category; ``NotFound`` if there is none."""
        ...

    def list(self) -> list[Category]:
        """Every category, ordered by (position, name, id)."""
        ...


class KbArticleRepository(Protocol):
    """Articles (``(key, locale)`` is unique) and their versions."""

    def add(self, article: Article) -> Article:
        """Store a new article; ``AlreadyExists`` if its id or (key, locale) is taken."""
        ...

    def get(self, article_id: str) -> Article:
        """Return the article; ``NotFound`` if there is none."""
        ...

    def get_many(self, article_ids: Sequence[str]) -> dict[str, Article]:
        """Return the stored ones of ``article_ids`` by id (one query)."""
        ...

    def find(self, key: str, locale: str) -> Article | None:
        """Return the article of translation group ``key`` in ``locale``, or None."""
        ...

    def update(self, article: Article, *, expected_version: int) -> Article:
        """Store ``article`` if the stored version is ``expected_version``.

        ``article.version`` must be ``expected_version + 1``; a different stored version
        raises ``ConcurrencyConflict``; a taken (key, locale) ``AlreadyExists``.
        """
        ...

    def count(self, filter: ArticleFilter) -> int:
        """How many articles match ``filter``."""
        ...

    def due_for_review(self, on: date, *, limit: int = 1000) -> list[Article]:
        """Articles not archived whose ``review_by`` is on or before ``on``, earliest first."""
        ...

    def last_change(self) -> int:
        """The number of the latest change of any article (0 when there was none)."""
        ...

    def changed_since(self, change: int, *, limit: int = 1000) -> list[tuple[int, Article]]:
        """Articles changed after change number ``change``: (their change number, article).

        Ordered by change number; each article appears once, with its latest change.
        """
        ...

    def add_version(self, version: ArticleVersion) -> ArticleVersion:
        """Store a version; ``AlreadyExists`` if the article has one with that number."""
        ...

    def versions(self, article_id: str) -> list[ArticleVersion]:
        """An article's versions, oldest first."""
        ...

    def get_version(self, article_id: str, number: int) -> ArticleVersion:
        """One version; ``NotFound`` if there is none."""
        ...

    def list(
        self, filter: ArticleFilter, *, limit: int = 100, after: str | None = None
    ) -> list[Article]:
        """Articles matching ``filter`` ordered by id, from the one after the id ``after``."""
        ...


class KbFeedbackRepository(Protocol):
    """Helpfulness votes and view counts."""

    def add_vote(self, vote: ArticleVote) -> ArticleVote:
        """Store a vote; a vote by the same (non-None) voter on the article is replaced."""
        ...

    def votes(self, article_id: str, *, limit: int = 100) -> list[ArticleVote]:
        """An article's votes, newest first."""
        ...

    def add_views(self, article_id: str, count: int = 1) -> int:
        """Count ``count`` more views of an article; return its new total."""
        ...

    def stats(self, article_ids: Sequence[str]) -> dict[str, ArticleStats]:
        """Views and votes of each article (zeros for one without any)."""
        ...


class KbSearchLogRepository(Protocol):
    """Searches that found no good answer."""

    def record_unanswered(self, query: str, locale: str | None, at: datetime) -> None:
        """Count one more unanswered search of ``query`` (normalized) in ``locale`` at ``at``."""
        ...

    def unanswered(
        self, *, since: datetime | None = None, limit: int = 20
    ) -> list[UnansweredQuery]:
        """The most frequent (query, locale) pairs on the UTC days from ``since``'s day on.

        Ordered by count (highest first), then the time last seen (latest first), then
        query and locale.
        """
        ...
