"""The knowledge-base repositories on SQL (SQLite and PostgreSQL), with SQLAlchemy Core."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

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
from helpdesk_kit.storage.sql.tables import counters
from helpdesk_kit.storage.sql.tables_kb import (
    KB_CHANGE_COUNTER,
    kb_article_versions,
    kb_article_views,
    kb_articles,
    kb_categories,
    kb_unanswered,
    kb_votes,
)
from helpdesk_kit.tickets.model import AttachmentMeta

if TYPE_CHECKING:
    from helpdesk_kit.storage.sql.storage import SqlUnitOfWork

__all__ = ["SqlKbArticles", "SqlKbCategories", "SqlKbFeedback", "SqlKbSearchLog"]


def _check_limit(limit: int) -> None:
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise InvalidInput(f"limit must be an int >= 1, got {limit!r}")


class _Repo:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def _insert_new(self, table: Any, row: Mapping[str, Any], what: str) -> bool:
        """Insert unless a unique key is taken (the transaction stays usable); True if stored."""
        key = next(iter(table.primary_key.columns))
        insert = postgresql.insert if self._uow.dialect == "postgresql" else sqlite.insert
        stmt = insert(table).values(dict(row)).on_conflict_do_nothing().returning(key)
        return self._uow.execute(stmt, what=what).first() is not None

    def _upsert(self, table: Any) -> Any:
        insert = postgresql.insert if self._uow.dialect == "postgresql" else sqlite.insert
        return insert(table)


# ------------------------------------------------------------------------- rows


def category_row(c: Category) -> dict[str, Any]:
    """The ``kb_categories`` row of a category."""
    return {
        "id": c.id,
        "key": c.key,
        "name": c.name,
        "parent_id": c.parent_id,
        "description": c.description,
        "position": c.position,
        "names": dict(c.names),
    }


def category_from_row(row: Mapping[Any, Any]) -> Category:
    """A category from its row."""
    return Category(
        id=row["id"],
        key=row["key"],
        name=row["name"],
        parent_id=row["parent_id"],
        description=row["description"],
        position=row["position"],
        names=row["names"] or {},
    )


def _attachment_dict(a: AttachmentMeta) -> dict[str, Any]:
    return {
        "filename": a.filename,
        "content_type": a.content_type,
        "size": a.size,
        "url": a.url,
        "content_id": a.content_id,
        "inline": a.inline,
    }


def article_row(a: Article) -> dict[str, Any]:
    """The ``kb_articles`` row of an article (without ``change_seq``)."""
    return {
        "id": a.id,
        "key": a.key,
        "locale": a.locale,
        "title": a.title,
        "body": a.body,
        "html": a.html,
        "status": a.status.value,
        "category_id": a.category_id,
        "owner_id": a.owner_id,
        "review_by": a.review_by,
        "tags": sorted(a.tags),
        "questions": list(a.questions),
        "related": list(a.related),
        "attachments": [_attachment_dict(x) for x in a.attachments],
        "version": a.version,
        "created_at": a.created_at,
        "updated_at": a.updated_at,
        "published_at": a.published_at,
    }


def article_from_row(row: Mapping[Any, Any]) -> Article:
    """An article from its row."""
    return Article(
        id=row["id"],
        key=row["key"],
        locale=row["locale"],
        title=row["title"],
        body=row["body"],
        html=row["html"],
        status=row["status"],
        category_id=row["category_id"],
        owner_id=row["owner_id"],
        review_by=row["review_by"],
        tags=row["tags"] or (),
        questions=row["questions"] or (),
        related=row["related"] or (),
        attachments=[AttachmentMeta(**x) for x in row["attachments"] or ()],
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        published_at=row["published_at"],
    )


def version_row(v: ArticleVersion) -> dict[str, Any]:
    """The ``kb_article_versions`` row of a version."""
    return {
        "article_id": v.article_id,
        "number": v.number,
        "title": v.title,
        "body": v.body,
        "html": v.html,
        "status": v.status.value,
        "questions": list(v.questions),
        "tags": sorted(v.tags),
        "editor": v.editor,
        "created_at": v.created_at,
        "note": v.note,
    }


def version_from_row(row: Mapping[Any, Any]) -> ArticleVersion:
    """A version from its row."""
    return ArticleVersion(
        article_id=row["article_id"],
        number=row["number"],
        title=row["title"],
        body=row["body"],
        html=row["html"],
        status=row["status"],
        questions=row["questions"] or (),
        tags=row["tags"] or (),
        editor=row["editor"],
        created_at=row["created_at"],
        note=row["note"],
    )


def vote_from_row(row: Mapping[Any, Any]) -> ArticleVote:
    """A vote from its row."""
    return ArticleVote(
        id=row["id"],
        article_id=row["article_id"],
        helpful=bool(row["helpful"]),
        reason=row["reason"],
        voter=row["voter"],
        at=row["at"],
    )


# ------------------------------------------------------------------------- repositories


class SqlKbCategories(_Repo):
    """Categories."""

    def add(self, category: Category) -> Category:
        """Store a new category."""
        if not self._insert_new(kb_categories, category_row(category), "category"):
            taken = self.get_by_key(category.key)
            raise AlreadyExists(
                "category", category.key, taken.id if taken is not None else category.id
            )
        return category

    def get(self, category_id: str) -> Category:
        """The category."""
        q = select(kb_categories).where(kb_categories.c.id == category_id)
        row = self._uow.execute(q).mappings().first()
        if row is None:
            raise NotFound("category", category_id)
        return category_from_row(row)

    def get_by_key(self, key: str) -> Category | None:
        """The category with this key, or None."""
        q = select(kb_categories).where(kb_categories.c.key == key)
        row = self._uow.execute(q).mappings().first()
        return None if row is None else category_from_row(row)

    def update(self, category: Category) -> Category:
        """Replace the stored category."""
        taken = self.get_by_key(category.key)
        if taken is not None and taken.id != category.id:
            raise AlreadyExists("category", category.key, taken.id)
        values = {k: v for k, v in category_row(category).items() if k != "id"}
        result = self._uow.execute(
            update(kb_categories).where(kb_categories.c.id == category.id),
            values,
            what="category",
        )
        if result.rowcount == 0:
            raise NotFound("category", category.id)
        return category

    def delete(self, category_id: str) -> None:
        """Remove the category."""
        result = self._uow.execute(
            delete(kb_categories).where(kb_categories.c.id == category_id), what="category"
        )
        if result.rowcount == 0:
            raise NotFound("category", category_id)

    def list(self) -> list[Category]:
        """Every category by (position, name, id)."""
        c = kb_categories.c
        q = select(kb_categories).order_by(c.position, c.name, c.id)
        return [category_from_row(r) for r in self._uow.execute(q).mappings()]


class SqlKbArticles(_Repo):
    """Articles and their versions."""

    def _next_change(self) -> int:
        stmt = self._upsert(counters).values(name=KB_CHANGE_COUNTER, value=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=["name"], set_={"value": counters.c.value + 1}
        ).returning(counters.c.value)
        return int(self._uow.execute(stmt, what="article change counter").scalar_one())

    def add(self, article: Article) -> Article:
        """Store a new article."""
        row = article_row(article)
        taken = self.find(article.key, article.locale)
        if taken is not None:
            raise AlreadyExists("article", f"{article.key} ({article.locale})", taken.id)
        row["change_seq"] = self._next_change()
        if not self._insert_new(kb_articles, row, "article"):
            raise AlreadyExists("article", article.id, article.id)
        return article

    def get(self, article_id: str) -> Article:
        """The article."""
        q = select(kb_articles).where(kb_articles.c.id == article_id)
        row = self._uow.execute(q).mappings().first()
        if row is None:
            raise NotFound("article", article_id)
        return article_from_row(row)

    def get_many(self, article_ids: Sequence[str]) -> dict[str, Article]:
        """The stored ones of ``article_ids``."""
        wanted = builtins.list(dict.fromkeys(article_ids))
        found: dict[str, Article] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            q = select(kb_articles).where(kb_articles.c.id.in_(chunk))
            for row in self._uow.execute(q).mappings():
                article = article_from_row(row)
                found[article.id] = article
        return {i: found[i] for i in article_ids if i in found}

    def find(self, key: str, locale: str) -> Article | None:
        """The article of ``key`` in ``locale``, or None."""
        a = kb_articles.c
        q = select(kb_articles).where(a.key == key, a.locale == locale)
        row = self._uow.execute(q).mappings().first()
        return None if row is None else article_from_row(row)

    def update(self, article: Article, *, expected_version: int) -> Article:
        """Store ``article`` if the stored version is ``expected_version``."""
        if article.version != expected_version + 1:
            raise InvalidInput(
                f"article {article.id}: new version must be {expected_version + 1}, "
                f"got {article.version}"
            )
        taken = self.find(article.key, article.locale)
        if taken is not None and taken.id != article.id:
            raise AlreadyExists("article", f"{article.key} ({article.locale})", taken.id)
        values = {k: v for k, v in article_row(article).items() if k != "id"}
        values["change_seq"] = self._next_change()
        a = kb_articles.c
        result = self._uow.execute(
            update(kb_articles).where(a.id == article.id, a.version == expected_version),
            values,
            what="article",
        )
        if result.rowcount == 0:
            current = self._uow.execute(select(a.version).where(a.id == article.id)).first()
            if current is None:
                raise NotFound("article", article.id)
            raise ConcurrencyConflict("article", article.id, expected_version, current[0])
        return article

    def _where(self, f: ArticleFilter) -> list[ColumnElement[bool]]:
        a = kb_articles.c
        w: builtins.list[ColumnElement[bool]] = []
        if f.status is not None:
            w.append(a.status.in_([s.value for s in f.status]))
        if f.locale is not None:
            want = f.locale.casefold().replace("_", "-")
            pattern = want.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "-%"
            lowered = func.lower(a.locale)
            w.append(or_(lowered == want, lowered.like(pattern, escape="\\")))
        if f.category_id is not None:
            w.append(a.category_id == f.category_id)
        if f.key is not None:
            w.append(a.key == f.key)
        if f.owner_id is not None:
            w.append(a.owner_id == f.owner_id)
        if f.tag is not None:
            if self._uow.dialect == "postgresql":
                w.append(a.tags.op("@>")(func.jsonb_build_array(f.tag)))
            else:
                each = func.json_each(a.tags).table_valued("value")
                w.append(exists().select_from(each).where(each.c.value == f.tag))
        return w

    def count(self, filter: ArticleFilter) -> int:
        """How many match."""
        q = select(func.count()).select_from(kb_articles).where(and_(True, *self._where(filter)))
        return int(self._uow.execute(q).scalar_one())

    def due_for_review(self, on: date, *, limit: int = 1000) -> builtins.list[Article]:
        """Not archived, ``review_by`` on or before ``on``."""
        _check_limit(limit)
        a = kb_articles.c
        q = (
            select(kb_articles)
            .where(
                a.review_by.is_not(None),
                a.review_by <= on,
                a.status != ArticleStatus.ARCHIVED.value,
            )
            .order_by(a.review_by, a.id)
            .limit(limit)
        )
        return [article_from_row(r) for r in self._uow.execute(q).mappings()]

    def last_change(self) -> int:
        """The latest change number."""
        q = select(counters.c.value).where(counters.c.name == KB_CHANGE_COUNTER)
        found = self._uow.execute(q).scalar()
        return int(found or 0)

    def changed_since(
        self, change: int, *, limit: int = 1000
    ) -> builtins.list[tuple[int, Article]]:
        """Articles changed after ``change``."""
        _check_limit(limit)
        a = kb_articles.c
        q = select(kb_articles).where(a.change_seq > change).order_by(a.change_seq).limit(limit)
        return [
            (int(r["change_seq"]), article_from_row(r)) for r in self._uow.execute(q).mappings()
        ]

    def add_version(self, version: ArticleVersion) -> ArticleVersion:
        """Store a version."""
        exists_q = select(kb_articles.c.id).where(kb_articles.c.id == version.article_id)
        if self._uow.execute(exists_q).first() is None:
            raise InvalidInput(
                f"version refers to article {version.article_id!r}, which does not exist"
            )
        if not self._insert_new(kb_article_versions, version_row(version), "article version"):
            raise AlreadyExists(
                "article version", f"{version.article_id} #{version.number}", version.article_id
            )
        return version

    def versions(self, article_id: str) -> builtins.list[ArticleVersion]:
        """Versions, oldest first."""
        v = kb_article_versions.c
        q = select(kb_article_versions).where(v.article_id == article_id).order_by(v.number)
        return [version_from_row(r) for r in self._uow.execute(q).mappings()]

    def get_version(self, article_id: str, number: int) -> ArticleVersion:
        """One version."""
        v = kb_article_versions.c
        q = select(kb_article_versions).where(v.article_id == article_id, v.number == number)
        row = self._uow.execute(q).mappings().first()
        if row is None:
            raise NotFound("article version", f"{article_id} #{number}")
        return version_from_row(row)

    def list(
        self, filter: ArticleFilter, *, limit: int = 100, after: str | None = None
    ) -> builtins.list[Article]:
        """Matching articles by id."""
        _check_limit(limit)
        w = self._where(filter)
        if after is not None:
            w.append(kb_articles.c.id > after)
        q = select(kb_articles).where(and_(True, *w)).order_by(kb_articles.c.id).limit(limit)
        return [article_from_row(r) for r in self._uow.execute(q).mappings()]


class SqlKbFeedback(_Repo):
    """Votes and views."""

    def add_vote(self, vote: ArticleVote) -> ArticleVote:
        """Store a vote (replacing the voter's earlier one)."""
        found = select(kb_articles.c.id).where(kb_articles.c.id == vote.article_id)
        if self._uow.execute(found).first() is None:
            raise InvalidInput(f"vote refers to article {vote.article_id!r}, which does not exist")
        v = kb_votes.c
        if vote.voter is not None:
            self._uow.execute(
                delete(kb_votes).where(v.article_id == vote.article_id, v.voter == vote.voter)
            )
        row = {
            "id": vote.id,
            "article_id": vote.article_id,
            "helpful": vote.helpful,
            "reason": vote.reason,
            "voter": vote.voter,
            "at": vote.at,
        }
        if not self._insert_new(kb_votes, row, "vote"):
            raise AlreadyExists("vote", vote.id, vote.id)
        return vote

    def votes(self, article_id: str, *, limit: int = 100) -> list[ArticleVote]:
        """Newest first."""
        _check_limit(limit)
        v = kb_votes.c
        q = (
            select(kb_votes)
            .where(v.article_id == article_id)
            .order_by(v.at.desc(), v.id.desc())
            .limit(limit)
        )
        return [vote_from_row(r) for r in self._uow.execute(q).mappings()]

    def add_views(self, article_id: str, count: int = 1) -> int:
        """Count views."""
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise InvalidInput(f"count must be an int >= 1, got {count!r}")
        found = select(kb_articles.c.id).where(kb_articles.c.id == article_id)
        if self._uow.execute(found).first() is None:
            raise NotFound("article", article_id)
        stmt = self._upsert(kb_article_views).values(article_id=article_id, views=count)
        stmt = stmt.on_conflict_do_update(
            index_elements=["article_id"],
            set_={"views": kb_article_views.c.views + stmt.excluded.views},
        ).returning(kb_article_views.c.views)
        return int(self._uow.execute(stmt, what="article views").scalar_one())

    def stats(self, article_ids: Sequence[str]) -> dict[str, ArticleStats]:
        """Views and votes."""
        wanted = list(dict.fromkeys(article_ids))
        views: dict[str, int] = {}
        yes: dict[str, int] = {}
        no: dict[str, int] = {}
        v = kb_votes.c
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            q = select(kb_article_views).where(kb_article_views.c.article_id.in_(chunk))
            for row in self._uow.execute(q):
                views[row.article_id] = int(row.views)
            q2 = (
                select(v.article_id, v.helpful, func.count())
                .where(v.article_id.in_(chunk))
                .group_by(v.article_id, v.helpful)
            )
            for row in self._uow.execute(q2):
                article_id, helpful, n = tuple(row)
                (yes if helpful else no)[article_id] = int(n)
        return {
            i: ArticleStats(
                i, views=views.get(i, 0), helpful=yes.get(i, 0), not_helpful=no.get(i, 0)
            )
            for i in article_ids
        }


class SqlKbSearchLog(_Repo):
    """Unanswered searches, counted per (query, locale, UTC day)."""

    def record_unanswered(self, query: str, locale: str | None, at: datetime) -> None:
        """Count one more (an upsert)."""
        text = normalize_query(query)[:MAX_QUERY_LENGTH].strip()
        if not text:
            return
        utc = to_utc(at)
        u = kb_unanswered.c
        stmt = self._upsert(kb_unanswered).values(
            query=text, locale=locale or "", day=utc.date(), count=1, last_at=utc
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["query", "locale", "day"],
            set_={
                "count": u.count + 1,
                "last_at": case(
                    (stmt.excluded.last_at > u.last_at, stmt.excluded.last_at), else_=u.last_at
                ),
            },
        )
        self._uow.execute(stmt, what="unanswered query")

    def unanswered(
        self, *, since: datetime | None = None, limit: int = 20
    ) -> list[UnansweredQuery]:
        """The most frequent (query, locale) pairs."""
        _check_limit(limit)
        u = kb_unanswered.c
        total = func.sum(u.count).label("total")
        last = func.max(u.last_at).label("last")
        q = select(u.query, u.locale, total, last).group_by(u.query, u.locale)
        if since is not None:
            q = q.where(u.day >= to_utc(since).date())
        q = q.order_by(total.desc(), last.desc(), u.query, u.locale).limit(limit)
        return [
            UnansweredQuery(row.query, int(row.total), row.last, row.locale or None)
            for row in self._uow.execute(q)
        ]
