"""The knowledge base's storage contract as pytest tests (categories, articles, feedback, log).

Use it like :mod:`helpdesk_kit.testing.storage_suite`: star-import it into a test module
that defines a ``storage_factory`` fixture returning a callable that makes a new, *empty*
storage::

    from helpdesk_kit.testing.storage_suite_kb import *  # noqa: F403

The in-memory backend is the reference.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest

from helpdesk_kit.errors import AlreadyExists, ConcurrencyConflict, InvalidInput, NotFound
from helpdesk_kit.kb.model import (
    Article,
    ArticleFilter,
    ArticleStatus,
    ArticleVersion,
    ArticleVote,
    Category,
)
from helpdesk_kit.storage.base import Storage
from helpdesk_kit.tickets.model import AttachmentMeta

__all__ = [
    "kb_storage",
    "test_kb_article_changes_feed",
    "test_kb_article_filters_match_reference",
    "test_kb_article_round_trip",
    "test_kb_article_unique_key_locale_keeps_unit_usable",
    "test_kb_article_update_checks_version",
    "test_kb_articles_due_for_review",
    "test_kb_categories",
    "test_kb_rollback_forgets_everything",
    "test_kb_unanswered_counts_per_query_locale_day",
    "test_kb_versions",
    "test_kb_views_and_stats",
    "test_kb_votes",
]

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def kb_storage(storage_factory: Callable[[], Storage]) -> Iterator[Storage]:
    """A new, empty storage from the ``storage_factory`` fixture the user defines."""
    made = storage_factory()
    try:
        yield made
    finally:
        made.close()


def _article(key: str = "refund-time", locale: str = "en", **kw: Any) -> Article:
    kw.setdefault("title", f"Title of {key} ({locale})")
    kw.setdefault("created_at", T0)
    kw.setdefault("updated_at", T0)
    return Article(key=key, locale=locale, **kw)


def _stored(storage: Storage, *articles: Article) -> list[Article]:
    with storage.unit_of_work() as uow:
        for a in articles:
            uow.kb_articles.add(a)
        uow.commit()
    return list(articles)


# --------------------------------------------------------------------- categories


def test_kb_categories(kb_storage: Storage) -> None:
    """Categories round-trip, keys are unique, sections point at parents, list is ordered."""
    top = Category(key="returns", name="Returns", names={"zh-CN": "退货退款"}, position=2)
    other = Category(key="orders", name="Orders", position=1, description="All about orders")
    section = Category(key="refund-time", name="Refund time", parent_id=top.id)
    with kb_storage.unit_of_work() as uow:
        for c in (top, other, section):
            assert uow.kb_categories.add(c) == c
        with pytest.raises(AlreadyExists):
            uow.kb_categories.add(Category(key="orders", name="Again"))
        uow.commit()
    with kb_storage.unit_of_work() as uow:
        assert uow.kb_categories.get(top.id) == top
        assert uow.kb_categories.get(top.id).names == {"zh-CN": "退货退款"}
        assert uow.kb_categories.get_by_key("refund-time") == section
        assert uow.kb_categories.get_by_key("nope") is None
        assert [c.key for c in uow.kb_categories.list()] == ["refund-time", "orders", "returns"]
        renamed = attrs.evolve(other, key="orders-and-delivery", name="Orders & delivery")
        assert uow.kb_categories.update(renamed) == renamed
        with pytest.raises(AlreadyExists):
            uow.kb_categories.update(attrs.evolve(section, key="returns"))
        with pytest.raises(NotFound):
            uow.kb_categories.update(Category(key="ghost", name="Ghost"))
        uow.kb_categories.delete(section.id)
        with pytest.raises(NotFound):
            uow.kb_categories.delete(section.id)
        uow.commit()
    with kb_storage.unit_of_work() as uow:
        assert uow.kb_categories.get_by_key("orders") is None
        assert uow.kb_categories.get_by_key("orders-and-delivery") == renamed
        with pytest.raises(NotFound):
            uow.kb_categories.get(section.id)
        assert [c.key for c in uow.kb_categories.list()] == ["orders-and-delivery", "returns"]


# --------------------------------------------------------------------- articles


def test_kb_article_round_trip(kb_storage: Storage) -> None:
    """Every field comes back equal: unicode, dates, aware datetimes, attachments, html."""
    with kb_storage.unit_of_work() as uow:
        category = uow.kb_categories.add(Category(key="returns", name="Returns"))
        uow.commit()
    article = _article(
        "退款-时间",
        "zh-CN",
        title="退款多久能到账？",
        body="我们会在 **1–3 个工作日** 内退款。\n\n- 支付宝\n- 银行卡\n",
        html="<p>我们会在 <strong>1–3 个工作日</strong> 内退款。</p>",
        status=ArticleStatus.PUBLISHED,
        category_id=category.id,
        owner_id="agent-1",
        review_by=date(2026, 12, 31),
        tags={"退款", "refund"},
        questions=["钱什么时候退回来？", "退款进度在哪看？"],
        related=["return-policy"],
        attachments=[
            AttachmentMeta("退款单.pdf", "application/pdf", 48213, "https://cdn.example/r.pdf"),
            AttachmentMeta("a.png", "image/png", 10, None, "cid-1", True),
        ],
        version=3,
        created_at=datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=timezone(timedelta(hours=8))),
        updated_at=T0,
        published_at=T0 + timedelta(minutes=5),
    )
    _stored(kb_storage, article)
    with kb_storage.unit_of_work() as uow:
        got = uow.kb_articles.get(article.id)
        assert got == article
        assert got.created_at is not None
        assert got.created_at.utcoffset() is not None
        assert uow.kb_articles.find("退款-时间", "zh-CN") == article
        assert uow.kb_articles.find("退款-时间", "en") is None
        assert uow.kb_articles.get_many([article.id, "missing", article.id]) == {
            article.id: article
        }
        with pytest.raises(NotFound):
            uow.kb_articles.get("missing")


def test_kb_article_unique_key_locale_keeps_unit_usable(kb_storage: Storage) -> None:
    """A taken (key, locale) raises AlreadyExists; the unit of work goes on working."""
    first = _article("shipping-fees", "en")
    with kb_storage.unit_of_work() as uow:
        uow.kb_articles.add(first)
        with pytest.raises(AlreadyExists):
            uow.kb_articles.add(_article("shipping-fees", "en", title="Another"))
        with pytest.raises(AlreadyExists):
            uow.kb_articles.add(attrs.evolve(first, locale="zh-CN"))  # same id
        translation = uow.kb_articles.add(_article("shipping-fees", "zh-CN", title="运费"))
        uow.commit()
    with kb_storage.unit_of_work() as uow:
        assert uow.kb_articles.find("shipping-fees", "zh-CN") == translation
        assert uow.kb_articles.count(ArticleFilter()) == 2


def test_kb_article_update_checks_version(kb_storage: Storage) -> None:
    """Updates need the version the caller saw; the new version is one higher."""
    (a,) = _stored(kb_storage, _article())
    with kb_storage.unit_of_work() as uow:
        edited = attrs.evolve(a, title="New title", version=2)
        assert uow.kb_articles.update(edited, expected_version=1) == edited
        with pytest.raises(ConcurrencyConflict):
            uow.kb_articles.update(attrs.evolve(a, version=2), expected_version=1)
        with pytest.raises(InvalidInput):
            uow.kb_articles.update(attrs.evolve(edited, version=5), expected_version=2)
        with pytest.raises(NotFound):
            uow.kb_articles.update(_article("ghost", version=2), expected_version=1)
        other = uow.kb_articles.add(_article("other"))
        with pytest.raises(AlreadyExists):
            uow.kb_articles.update(
                attrs.evolve(other, key="refund-time", version=2), expected_version=1
            )
        moved = attrs.evolve(other, key="moved", version=2)
        uow.kb_articles.update(moved, expected_version=1)
        uow.commit()
    with kb_storage.unit_of_work() as uow:
        assert uow.kb_articles.get(a.id).title == "New title"
        assert uow.kb_articles.find("other", "en") is None
        assert uow.kb_articles.find("moved", "en") == moved


def test_kb_article_filters_match_reference(kb_storage: Storage) -> None:
    """list() and count() select what ArticleFilter.matches selects, in id order, paged."""
    rng = random.Random(7)
    with kb_storage.unit_of_work() as uow:
        cats = [uow.kb_categories.add(Category(key=f"c{i}", name=f"C{i}")) for i in range(3)]
        uow.commit()
    locales = ["en", "en-GB", "zh-CN", "zh-TW", "ja"]
    tags = ["refund", "order", "退款", "vip"]
    articles = [
        _article(
            f"k{i}",
            rng.choice(locales),
            status=rng.choice(list(ArticleStatus)),
            category_id=rng.choice([None, *(c.id for c in cats)]),
            owner_id=rng.choice([None, "ann", "bob"]),
            tags=rng.sample(tags, rng.randint(0, 2)),
        )
        for i in range(40)
    ]
    _stored(kb_storage, *articles)
    filters = [
        ArticleFilter(),
        ArticleFilter(status="published"),
        ArticleFilter(status=["draft", "in_review"]),
        ArticleFilter(locale="zh"),
        ArticleFilter(locale="EN"),
        ArticleFilter(locale="zh_cn"),
        ArticleFilter(category_id=cats[1].id),
        ArticleFilter(key="k3"),
        ArticleFilter(tag="退款"),
        ArticleFilter(tag="vip", status="published"),
        ArticleFilter(owner_id="ann", locale="en"),
    ]
    with kb_storage.unit_of_work() as uow:
        for flt in filters:
            expected = sorted((a for a in articles if flt.matches(a)), key=lambda a: a.id)
            assert uow.kb_articles.list(flt, limit=1000) == expected, flt
            assert uow.kb_articles.count(flt) == len(expected), flt
            walked: list[Article] = []
            after: str | None = None
            while True:
                page = uow.kb_articles.list(flt, limit=7, after=after)
                walked += page
                if len(page) < 7:
                    break
                after = page[-1].id
            assert walked == expected, flt
        with pytest.raises(InvalidInput):
            uow.kb_articles.list(ArticleFilter(), limit=0)


def test_kb_articles_due_for_review(kb_storage: Storage) -> None:
    """Articles due on or before a day, archived ones left out, earliest first."""
    due_early = _article("a", review_by=date(2026, 11, 1), status="published")
    due_today = _article("b", review_by=date(2026, 11, 2))
    later = _article("c", review_by=date(2026, 11, 3))
    archived = _article("d", review_by=date(2026, 10, 1), status="archived")
    never = _article("e")
    _stored(kb_storage, later, due_today, archived, never, due_early)
    with kb_storage.unit_of_work() as uow:
        assert uow.kb_articles.due_for_review(date(2026, 11, 2)) == [due_early, due_today]
        assert uow.kb_articles.due_for_review(date(2026, 11, 2), limit=1) == [due_early]
        assert uow.kb_articles.due_for_review(date(2026, 10, 31)) == []


def test_kb_article_changes_feed(kb_storage: Storage) -> None:
    """Every add and update takes the next change number; changed_since lists the latest."""
    with kb_storage.unit_of_work() as uow:
        assert uow.kb_articles.last_change() == 0
        assert uow.kb_articles.changed_since(0) == []
    a, b = _stored(kb_storage, _article("a"), _article("b"))
    with kb_storage.unit_of_work() as uow:
        start = uow.kb_articles.last_change()
        assert start >= 2
        changes = uow.kb_articles.changed_since(start - 2)
        assert [x.id for _, x in changes] == [a.id, b.id]
        assert changes[1][0] == start
        assert changes[0][0] < start
        a2 = uow.kb_articles.update(attrs.evolve(a, title="A2", version=2), expected_version=1)
        uow.commit()
    with kb_storage.unit_of_work() as uow:
        latest = uow.kb_articles.last_change()
        assert latest > start
        assert uow.kb_articles.changed_since(start) == [(latest, a2)]
        assert [x.id for _, x in uow.kb_articles.changed_since(0)] == [b.id, a.id]
        assert [x.id for _, x in uow.kb_articles.changed_since(0, limit=1)] == [b.id]
        uow.kb_articles.add(_article("c"))  # rolled back: not a change anyone sees
    with kb_storage.unit_of_work() as uow:
        assert uow.kb_articles.last_change() == latest
        assert uow.kb_articles.changed_since(latest) == []


def test_kb_versions(kb_storage: Storage) -> None:
    """Versions are kept per article in number order; numbers are unique per article."""
    (a,) = _stored(kb_storage, _article(body="v1"))
    v1 = ArticleVersion.of(a, editor="agent:ann", at=T0, note="created")
    a2 = attrs.evolve(a, body="v2 <b>bold</b>", version=2, html="<p>x</p>")
    v2 = ArticleVersion.of(a2, editor="system", at=T0 + timedelta(hours=1))
    with kb_storage.unit_of_work() as uow:
        assert uow.kb_articles.add_version(v2) == v2
        assert uow.kb_articles.add_version(v1) == v1
        with pytest.raises(AlreadyExists):
            uow.kb_articles.add_version(v1)
        with pytest.raises(InvalidInput):
            uow.kb_articles.add_version(attrs.evolve(v1, article_id="missing"))
        uow.commit()
    with kb_storage.unit_of_work() as uow:
        assert uow.kb_articles.versions(a.id) == [v1, v2]
        assert uow.kb_articles.get_version(a.id, 2) == v2
        assert uow.kb_articles.versions("missing") == []
        with pytest.raises(NotFound):
            uow.kb_articles.get_version(a.id, 3)


# --------------------------------------------------------------------- feedback


def test_kb_votes(kb_storage: Storage) -> None:
    """Votes are kept newest first; a known voter's new vote replaces the earlier one."""
    a, b = _stored(kb_storage, _article("a"), _article("b"))
    with kb_storage.unit_of_work() as uow:
        v1 = uow.kb_feedback.add_vote(ArticleVote(a.id, True, T0, voter="c1"))
        v2 = uow.kb_feedback.add_vote(ArticleVote(a.id, False, T0 + timedelta(1), "没用 ✗"))
        v3 = uow.kb_feedback.add_vote(ArticleVote(a.id, False, T0 + timedelta(2), voter="c1"))
        uow.kb_feedback.add_vote(ArticleVote(b.id, True, T0))
        with pytest.raises(InvalidInput):
            uow.kb_feedback.add_vote(ArticleVote("missing", True, T0))
        uow.commit()
    with kb_storage.unit_of_work() as uow:
        assert uow.kb_feedback.votes(a.id) == [v3, v2]
        assert uow.kb_feedback.votes(a.id, limit=1) == [v3]
        assert v1 not in uow.kb_feedback.votes(a.id)
        stats = uow.kb_feedback.stats([a.id, b.id])
        assert (stats[a.id].helpful, stats[a.id].not_helpful) == (0, 2)
        assert (stats[b.id].helpful, stats[b.id].not_helpful) == (1, 0)


def test_kb_views_and_stats(kb_storage: Storage) -> None:
    """View counts add up; stats give zeros for articles without any."""
    a, b = _stored(kb_storage, _article("a"), _article("b"))
    with kb_storage.unit_of_work() as uow:
        assert uow.kb_feedback.add_views(a.id) == 1
        assert uow.kb_feedback.add_views(a.id, 4) == 5
        with pytest.raises(NotFound):
            uow.kb_feedback.add_views("missing")
        with pytest.raises(InvalidInput):
            uow.kb_feedback.add_views(a.id, 0)
        uow.commit()
    with kb_storage.unit_of_work() as uow:
        stats = uow.kb_feedback.stats([b.id, a.id, "missing"])
        assert list(stats) == [b.id, a.id, "missing"]
        assert stats[a.id].views == 5
        assert stats[b.id].views == 0
        assert stats[b.id].helpful_ratio is None
        assert stats["missing"].votes == 0


def test_kb_unanswered_counts_per_query_locale_day(kb_storage: Storage) -> None:
    """Queries are normalized, counted per locale, filtered by day, most frequent first."""
    day2 = T0 + timedelta(days=1)
    with kb_storage.unit_of_work() as uow:
        log = uow.kb_searches
        log.record_unanswered("Where is my ORDER??", "en", T0)
        log.record_unanswered("  where is my order ", "en", T0 + timedelta(hours=2))
        log.record_unanswered("where is my order", "en", day2)
        log.record_unanswered("能开专票吗", "zh-CN", day2 + timedelta(hours=1))
        log.record_unanswered("能开专票吗", None, day2)
        log.record_unanswered("能开专票吗", "zh-CN", day2 + timedelta(hours=3))
        log.record_unanswered("?!", "en", T0)  # nothing left after normalizing: ignored
        log.record_unanswered("x" * 5000, None, T0)
        uow.commit()
    with kb_storage.unit_of_work() as uow:
        rows = uow.kb_searches.unanswered()
        assert [(r.query, r.locale, r.count) for r in rows[:3]] == [
            ("where is my order", "en", 3),
            ("能开专票吗", "zh-CN", 2),
            ("能开专票吗", None, 1),
        ]
        assert rows[0].last_seen == day2
        assert rows[1].last_seen == day2 + timedelta(hours=3)
        assert rows[3].query == "x" * 200
        assert len(rows) == 4
        since = uow.kb_searches.unanswered(since=day2 + timedelta(hours=5), limit=2)
        assert [(r.query, r.count) for r in since] == [("能开专票吗", 2), ("where is my order", 1)]
        assert uow.kb_searches.unanswered(since=day2 + timedelta(days=1)) == []


def test_kb_rollback_forgets_everything(kb_storage: Storage) -> None:
    """Nothing a rolled-back unit of work did to the knowledge base stays."""
    (a,) = _stored(kb_storage, _article())
    with kb_storage.unit_of_work() as uow:
        uow.kb_categories.add(Category(key="gone", name="Gone"))
        uow.kb_articles.add(_article("gone"))
        uow.kb_articles.update(attrs.evolve(a, title="Gone", version=2), expected_version=1)
        uow.kb_articles.add_version(ArticleVersion.of(a, editor="system", at=T0))
        uow.kb_feedback.add_vote(ArticleVote(a.id, True, T0))
        uow.kb_feedback.add_views(a.id)
        uow.kb_searches.record_unanswered("gone", None, T0)
    with kb_storage.unit_of_work() as uow:
        assert uow.kb_categories.list() == []
        assert uow.kb_articles.list(ArticleFilter()) == [a]
        assert uow.kb_articles.versions(a.id) == []
        assert uow.kb_feedback.votes(a.id) == []
        assert uow.kb_feedback.stats([a.id])[a.id].views == 0
        assert uow.kb_searches.unanswered() == []
