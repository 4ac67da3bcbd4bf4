"""The knowledge-base repositories of the in-memory backend (the reference semantics)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from helpdesk_kit.clock import to_utc
from helpdesk_kit.errors import AlreadyExists, ConcurrencyConflict, InvalidInput, NotFound
from helpdesk_kit.kb.model import (
    Article,
    ArticleFilter,
    ArticleStats,
    ArticleStatus,
    ArticleVersion,
    ArticleVote,
    Category,
    UnansweredQuery,
)
from helpdesk_kit.kb.unanswered import normalize_query
from helpdesk_kit.storage.kb import MAX_QUERY_LENGTH

__all__ = ["MemoryKbArticles", "MemoryKbCategories", "MemoryKbFeedback", "MemoryKbSearchLog"]


def _check_limit(limit: int) -> None:
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise InvalidInput(f"limit must be an int >= 1, got {limit!r}")


def category_order(c: Category) -> tuple[int, str, str]:
    """The order of category lists: position, name, id."""
    return (c.position, c.name, c.id)


class _KbTables:
    """The committed knowledge-base tables of one memory storage."""

    def __init__(self) -> None:
        self.categories: dict[str, Category] = {}
        self.category_keys: dict[str, str] = {}
        self.articles: dict[str, Article] = {}
        self.article_keys: dict[tuple[str, str], str] = {}
        self.changes: dict[str, int] = {}  # article id -> its latest change number
        self.counter: dict[str, int] = {"change": 0}
        self.versions: dict[str, list[ArticleVersion]] = {}
        self.votes: dict[str, ArticleVote] = {}
        self.voter_votes: dict[tuple[str, str], str] = {}
        self.views: dict[str, int] = {}
        # (query, locale or "", UTC day) -> (count, last seen)
        self.unanswered: dict[tuple[str, str, date], tuple[int, datetime]] = {}


class _KbRepo:
    """Shares the committed tables (kept in ``data.extra``) and the unit's undo log."""

    def __init__(self, data: Any, undo: Any) -> None:
        self._u = undo
        tables = data.extra.get("kb")
        if tables is None:
            tables = data.extra["kb"] = _KbTables()
        t: _KbTables = tables
        self._categories = t.categories
        self._category_keys = t.category_keys
        self._articles = t.articles
        self._article_keys = t.article_keys
        self._changes = t.changes
        self._counter = t.counter
        self._versions = t.versions
        self._votes = t.votes
        self._voter_votes = t.voter_votes
        self._views = t.views
        self._unanswered = t.unanswered


class MemoryKbCategories(_KbRepo):
    """Categories in memory."""

    def add(self, category: Category) -> Category:
        """Store a new category."""
        if category.id in self._categories:
            raise AlreadyExists("category", category.id, category.id)
        if category.key in self._category_keys:
            raise AlreadyExists("category", category.key, self._category_keys[category.key])
        self._u.set(self._categories, category.id, category)
        self._u.set(self._category_keys, category.key, category.id)
        return category

    def get(self, category_id: str) -> Category:
        """The category."""
        try:
            return self._categories[category_id]
        except KeyError:
            raise NotFound("category", category_id) from None

    def get_by_key(self, key: str) -> Category | None:
        """The category with this key, or None."""
        found = self._category_keys.get(key)
        return None if found is None else self._categories[found]

    def update(self, category: Category) -> Category:
        """Replace the stored category."""
        old = self.get(category.id)
        owner = self._category_keys.get(category.key)
        if owner is not None and owner != category.id:
            raise AlreadyExists("category", category.key, owner)
        if old.key != category.key:
            self._u.delete(self._category_keys, old.key)
            self._u.set(self._category_keys, category.key, category.id)
        self._u.set(self._categories, category.id, category)
        return category

    def delete(self, category_id: str) -> None:
        """Remove the category."""
        old = self.get(category_id)
        self._u.delete(self._categories, category_id)
        self._u.delete(self._category_keys, old.key)

    def list(self) -> list[Category]:
        """Every category by (position, name, id)."""
        return sorted(self._categories.values(), key=category_order)


class MemoryKbArticles(_KbRepo):
    """Articles and versions in memory."""

    def _next_change(self, article_id: str) -> None:
        number = self._counter["change"] + 1
        self._u.set(self._counter, "change", number)
        self._u.set(self._changes, article_id, number)

    def add(self, article: Article) -> Article:
        """Store a new article."""
        if article.id in self._articles:
            raise AlreadyExists("article", article.id, article.id)
        pair = (article.key, article.locale)
        if pair in self._article_keys:
            raise AlreadyExists(
                "article", f"{article.key} ({article.locale})", self._article_keys[pair]
            )
        self._u.set(self._articles, article.id, article)
        self._u.set(self._article_keys, pair, article.id)
        self._next_change(article.id)
        return article

    def get(self, article_id: str) -> Article:
        """The article."""
        try:
            return self._articles[article_id]
        except KeyError:
            raise NotFound("article", article_id) from None

    def get_many(self, article_ids: Sequence[str]) -> dict[str, Article]:
        """The stored ones of ``article_ids``."""
        return {i: self._articles[i] for i in article_ids if i in self._articles}

    def find(self, key: str, locale: str) -> Article | None:
        """The article of ``key`` in ``locale``, or None."""
        found = self._article_keys.get((key, locale))
        return None if found is None else self._articles[found]

    def update(self, article: Article, *, expected_version: int) -> Article:
        """Store ``article`` if the stored version is ``expected_version``."""
        current = self.get(article.id)
        if current.version != expected_version:
            raise ConcurrencyConflict("article", article.id, expected_version, current.version)
        if article.version != expected_version + 1:
            raise InvalidInput(
                f"article {article.id}: new version must be {expected_version + 1}, "
                f"got {article.version}"
            )
        pair = (article.key, article.locale)
        owner = self._article_keys.get(pair)
        if owner is not None and owner != article.id:
            raise AlreadyExists("article", f"{article.key} ({article.locale})", owner)
        old_pair = (current.key, current.locale)
        if old_pair != pair:
            self._u.delete(self._article_keys, old_pair)
            self._u.set(self._article_keys, pair, article.id)
        self._u.set(self._articles, article.id, article)
        self._next_change(article.id)
        return article

    def count(self, filter: ArticleFilter) -> int:
        """How many match."""
        return sum(1 for a in self._articles.values() if filter.matches(a))

    def due_for_review(self, on: date, *, limit: int = 1000) -> list[Article]:
        """Not archived, ``review_by`` on or before ``on``."""
        _check_limit(limit)
        due = [
            a
            for a in self._articles.values()
            if a.review_by is not None
            and a.review_by <= on
            and a.status is not ArticleStatus.ARCHIVED
        ]
        due.sort(key=lambda a: (a.review_by, a.id))
        return due[:limit]

    def last_change(self) -> int:
        """The latest change number."""
        return self._counter["change"]

    def changed_since(self, change: int, *, limit: int = 1000) -> list[tuple[int, Article]]:
        """Articles changed after ``change``."""
        _check_limit(limit)
        found = sorted((n, i) for i, n in self._changes.items() if n > change)[:limit]
        return [(n, self._articles[i]) for n, i in found]

    def add_version(self, version: ArticleVersion) -> ArticleVersion:
        """Store a version."""
        trail = self._versions.get(version.article_id)
        if trail is not None and any(v.number == version.number for v in trail):
            raise AlreadyExists(
                "article version", f"{version.article_id} #{version.number}", version.article_id
            )
        if version.article_id not in self._articles:
            raise InvalidInput(
                f"version refers to article {version.article_id!r}, which does not exist"
            )
        if trail is None:
            self._u.replace_list(self._versions, version.article_id, [version])
        else:
            self._u.append(trail, version)
        return version

    def versions(self, article_id: str) -> list[ArticleVersion]:
        """Versions, oldest first."""
        return sorted(self._versions.get(article_id, []), key=lambda v: v.number)

    def get_version(self, article_id: str, number: int) -> ArticleVersion:
        """One version."""
        for version in self._versions.get(article_id, []):
            if version.number == number:
                return version
        raise NotFound("article version", f"{article_id} #{number}")

    def list(
        self, filter: ArticleFilter, *, limit: int = 100, after: str | None = None
    ) -> list[Article]:
        """Matching articles by id."""
        _check_limit(limit)
        found = sorted(
            (
                a
                for a in self._articles.values()
                if filter.matches(a) and (after is None or a.id > after)
            ),
            key=lambda a: a.id,
        )
        return found[:limit]


class MemoryKbFeedback(_KbRepo):
    """Votes and views in memory."""

    def add_vote(self, vote: ArticleVote) -> ArticleVote:
        """Store a vote (replacing the voter's earlier one)."""
        if vote.article_id not in self._articles:
            raise InvalidInput(f"vote refers to article {vote.article_id!r}, which does not exist")
        if vote.voter is not None:
            earlier = self._voter_votes.get((vote.article_id, vote.voter))
            if earlier is not None:
                self._u.delete(self._votes, earlier)
            self._u.set(self._voter_votes, (vote.article_id, vote.voter), vote.id)
        self._u.set(self._votes, vote.id, vote)
        return vote

    def votes(self, article_id: str, *, limit: int = 100) -> list[ArticleVote]:
        """Newest first."""
        _check_limit(limit)
        found = [v for v in self._votes.values() if v.article_id == article_id]
        found.sort(key=lambda v: (v.at, v.id), reverse=True)
        return found[:limit]

    def add_views(self, article_id: str, count: int = 1) -> int:
        """Count views."""
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise InvalidInput(f"count must be an int >= 1, got {count!r}")
        if article_id not in self._articles:
            raise NotFound("article", article_id)
        total = self._views.get(article_id, 0) + count
        self._u.set(self._views, article_id, total)
        return total

    def stats(self, article_ids: Sequence[str]) -> dict[str, ArticleStats]:
        """Views and votes."""
        wanted = set(article_ids)
        yes: dict[str, int] = dict.fromkeys(wanted, 0)
        no: dict[str, int] = dict.fromkeys(wanted, 0)
        for vote in self._votes.values():
            if vote.article_id in wanted:
                (yes if vote.helpful else no)[vote.article_id] += 1
        return {
            i: ArticleStats(i, views=self._views.get(i, 0), helpful=yes[i], not_helpful=no[i])
            for i in article_ids
        }


class MemoryKbSearchLog(_KbRepo):
    """Unanswered searches in memory."""

    def record_unanswered(self, query: str, locale: str | None, at: datetime) -> None:
        """Count one more."""
        text = normalize_query(query)[:MAX_QUERY_LENGTH].strip()
        if not text:
            return
        utc = to_utc(at)
        bucket = (text, locale or "", utc.date())
        count, last = self._unanswered.get(bucket, (0, utc))
        self._u.set(self._unanswered, bucket, (count + 1, max(last, utc)))

    def unanswered(
        self, *, since: datetime | None = None, limit: int = 20
    ) -> list[UnansweredQuery]:
        """The most frequent (query, locale) pairs."""
        _check_limit(limit)
        first = None if since is None else to_utc(since).date()
        totals: dict[tuple[str, str], tuple[int, datetime]] = {}
        for (text, locale, day), (count, last) in self._unanswered.items():
            if first is not None and day < first:
                continue
            have = totals.get((text, locale))
            totals[(text, locale)] = (
                (count, last) if have is None else (have[0] + count, max(have[1], last))
            )
        rows = [
            UnansweredQuery(text, count, last, locale or None)
            for (text, locale), (count, last) in totals.items()
        ]
        rows.sort(key=lambda r: (-r.count, -r.last_seen.timestamp(), r.query, r.locale or ""))
        return rows[:limit]
