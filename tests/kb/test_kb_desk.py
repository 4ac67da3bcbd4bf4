"""The desk's knowledge base: lifecycle, versions, categories, feedback, search, suggestions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from helpdesk_kit import Helpdesk
from helpdesk_kit.clock import FrozenClock
from helpdesk_kit.errors import (
    ConcurrencyConflict,
    ConfigurationError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TransitionNotAllowed,
)
from helpdesk_kit.kb import SearchIndex
from helpdesk_kit.kb.model import ArticleStatus
from helpdesk_kit.plugins import hookimpl
from helpdesk_kit.tickets.model import Actor

ALL_STORAGES = pytest.mark.parametrize(
    "helpdesk_storage", ["memory", "sqlite", "postgresql"], indirect=True
)


def _ids(hits: list[Any]) -> list[str]:
    return [h.article_id for h in hits]


@ALL_STORAGES
def test_article_lifecycle_keeps_search_in_step(helpdesk: Helpdesk) -> None:
    kb = helpdesk.kb
    draft = kb.create_article(
        "When will I get my refund?",
        "Refunds take 3-7 working days after we check the parcel.",
        questions=["How long does a refund take?"],
        tags=["refund"],
    )
    assert draft.status is ArticleStatus.DRAFT
    assert draft.key == "when-will-i-get-my-refund"
    assert helpdesk.search_articles("refund") == []  # drafts are not searchable

    published = kb.publish_article(draft)
    assert published.status is ArticleStatus.PUBLISHED
    assert published.published_at == helpdesk.now()
    hits = helpdesk.search_articles("refund take")
    assert _ids(hits) == [draft.id]
    assert hits[0].title == "When will I get my refund?"

    edited = kb.edit_article(published, body="Refunds reach your card within 5 days.")
    assert edited.version == published.version + 1
    assert _ids(helpdesk.search_articles("card")) == [draft.id]
    assert helpdesk.search_articles("parcel") == []

    unpublished = kb.unpublish_article(edited)
    assert helpdesk.search_articles("card") == []
    archived = kb.archive_article(unpublished)
    assert archived.status is ArticleStatus.ARCHIVED
    restored = kb.restore_article(archived)
    assert restored.status is ArticleStatus.DRAFT
    kb.publish_article(restored)
    assert _ids(helpdesk.search_articles("card")) == [draft.id]

    versions = kb.versions(draft)
    assert [v.number for v in versions] == list(range(1, 8))
    assert [v.note for v in versions] == [
        "created",
        "publish",
        "edited",
        "unpublish",
        "archive",
        "restore",
        "publish",
    ]
    assert versions[2].editor == "system"
    diff = kb.diff(draft, 2, 3)
    assert "-Refunds take 3-7 working days after we check the parcel." in diff
    assert "+Refunds reach your card within 5 days." in diff
    assert kb.diff(draft, 1, 2).count("\n+status: published") == 1

    reverted = kb.revert_article(draft, 1)
    assert reverted.body == "Refunds take 3-7 working days after we check the parcel."
    assert reverted.status is ArticleStatus.PUBLISHED
    assert kb.versions(draft)[-1].note == "reverted to version 1"
    assert _ids(helpdesk.search_articles("parcel")) == [draft.id]
    assert kb.diff(draft, 1).count("\n-") == 1  # only the status line differs from v1


@ALL_STORAGES
def test_transitions_permissions_and_concurrency(
    helpdesk: Helpdesk, make_agent: Any, make_customer: Any
) -> None:
    kb = helpdesk.kb
    ann = make_agent("Ann")
    lead = make_agent("Lu", role="supervisor")
    article = kb.create_article("Coupons", "How coupons work.", actor=ann)
    with pytest.raises(PermissionDenied):
        kb.publish_article(article, actor=ann)
    with pytest.raises(PermissionDenied):
        kb.create_article("Nope", actor=make_customer())
    submitted = kb.submit_article(article, actor=ann)
    assert submitted.status is ArticleStatus.IN_REVIEW
    with pytest.raises(TransitionNotAllowed) as info:
        kb.submit_article(article, actor=ann)
    assert info.value.allowed == ["reject", "publish", "archive"]
    published = kb.publish_article(article, actor=lead)
    with pytest.raises(PermissionDenied):
        kb.edit_article(published, title="Coupons and vouchers", actor=ann)
    with pytest.raises(InvalidInput, match="unknown article action"):
        kb.transition_article(article, "explode")
    with pytest.raises(ConcurrencyConflict):
        kb.edit_article(published, title="Vouchers", expected_version=1, actor=lead)
    same = kb.edit_article(published, title="Coupons", actor=lead)  # no change: no version
    assert same.version == published.version
    with pytest.raises(InvalidInput, match="allowed"):
        kb.edit_article(published, status="draft", actor=lead)
    with pytest.raises(NotFound):
        kb.get_article("missing")


@ALL_STORAGES
def test_categories_tree(helpdesk: Helpdesk) -> None:
    kb = helpdesk.kb
    orders = kb.add_category("orders", "Orders", position=1, names={"zh-CN": "订单"})
    returns = kb.add_category("returns", "Returns", position=2)
    refunds = kb.add_category("refunds", "Refunds", parent=returns)
    kb.add_category("exchanges", "Exchanges", parent="returns", position=-1)
    tree = kb.category_tree()
    assert [n.category.key for n in tree] == ["orders", "returns"]
    assert [n.category.key for n in tree[1].children] == ["exchanges", "refunds"]
    assert [(d, c.key) for d, c in tree[1].walk()] == [
        (0, "returns"),
        (1, "exchanges"),
        (1, "refunds"),
    ]
    assert kb.get_category("orders").name_for("zh") == "订单"
    with pytest.raises(InvalidInput, match="under itself"):
        kb.update_category(returns, parent=refunds)
    moved = kb.update_category(refunds, parent=orders, name="Refunds & money back")
    assert moved.parent_id == orders.id
    kb.create_article("Refund time", category="refunds")
    with pytest.raises(InvalidInput, match="still holds"):
        kb.delete_category(refunds)
    kb.delete_category("exchanges")
    assert [c.key for c in kb.categories()] == ["refunds", "orders", "returns"]
    with pytest.raises(InvalidInput):
        kb.update_category(orders, colour="red")


@ALL_STORAGES
def test_translations_and_related_articles(helpdesk: Helpdesk) -> None:
    kb = helpdesk.kb
    policy = kb.create_article("Return policy", "7 days.", key="return-policy")
    policy_zh = kb.add_translation(policy, "zh-CN", "退货政策", "7天无理由退货。")
    refund = kb.create_article(
        "Refund time", "3-7 days.", key="refund-time", related=["return-policy"], tags=["money"]
    )
    refund_zh = kb.add_translation(refund, "zh_cn", "退款时间", "3-7天。")
    assert refund_zh.key == "refund-time"
    assert refund_zh.locale == "zh-CN"
    assert refund_zh.related == ("return-policy",)
    assert refund_zh.tags == {"money"}
    assert [a.locale for a in kb.translations(refund)] == ["en", "zh-CN"]
    for article in (policy, policy_zh, refund, refund_zh):
        kb.publish_article(article)
    assert [a.id for a in kb.related_articles(refund_zh)] == [policy_zh.id]
    assert [a.id for a in kb.related_articles(refund)] == [policy.id]
    kb.unpublish_article(policy_zh)
    assert [a.id for a in kb.related_articles(refund_zh)] == [policy.id]
    assert kb.find_article("refund-time", "ZH-cn") == kb.get_article(refund_zh)
    with pytest.raises(InvalidInput, match="itself"):
        kb.edit_article(refund, related=["refund-time"])


@ALL_STORAGES
def test_votes_views_and_stats(helpdesk: Helpdesk) -> None:
    kb = helpdesk.kb
    article = kb.create_article("Invoices", "Download them from your orders.")
    kb.vote(article, True, voter="cust-1")
    kb.vote(article, False, reason="  The button is missing  ")
    kb.vote(article, False, reason="Wrong link", voter="cust-1")  # changed their mind
    assert kb.record_view(article) == 1
    assert kb.record_view(article, 2) == 3
    stats = kb.stats(article)
    assert (stats.views, stats.helpful, stats.not_helpful) == (3, 0, 2)
    assert stats.helpful_ratio == 0.0
    assert [v.reason for v in kb.votes(article)] == ["Wrong link", "The button is missing"]
    with pytest.raises(InvalidInput):
        kb.vote(article, "yes")  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        kb.record_view("missing")


@ALL_STORAGES
def test_review_dates_and_the_review_sweep(helpdesk: Helpdesk, helpdesk_clock: FrozenClock) -> None:
    kb = helpdesk.kb
    today = helpdesk_clock.now().date()
    due = kb.create_article("Old prices", review_by=today - timedelta(days=1))
    kb.create_article("Fresh", review_by=today + timedelta(days=30))
    archived = kb.archive_article(kb.create_article("Gone", review_by=today))
    assert [a.id for a in kb.due_for_review()] == [due.id]
    assert archived.id not in [a.id for a in kb.due_for_review(today + timedelta(days=31))]
    assert "kb_review" not in helpdesk.sweep().results
    kb.configure(review_sweep=True)
    kb.configure(review_sweep=True)  # installed once
    assert [a.id for a in helpdesk.sweep().results["kb_review"]] == [due.id]
    later = helpdesk.sweep(helpdesk_clock.now() + timedelta(days=31)).results["kb_review"]
    assert len(later) == 2
    with pytest.raises(InvalidInput):
        kb.edit_article(due, review_by=datetime(2026, 1, 1, tzinfo=UTC))


def test_index_is_built_from_storage_and_synced_across_desks(
    tmp_path: Path, helpdesk_clock: FrozenClock
) -> None:
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    one = Helpdesk.from_url(url, clock=helpdesk_clock, load_entrypoints=False)
    two = Helpdesk.from_url(url, clock=helpdesk_clock, load_entrypoints=False)
    try:
        article = one.kb.publish_article(one.kb.create_article("Gift wrapping", "¥5 a parcel."))
        assert _ids(two.search_articles("gift wrapping")) == [article.id]  # built on first use
        two.kb.configure(sync_interval=0)
        other = one.kb.publish_article(one.kb.create_article("Gift cards", "From ¥50."))
        assert set(_ids(two.search_articles("gift"))) == {article.id, other.id}
        one.kb.archive_article(other)
        assert _ids(two.search_articles("gift")) == [article.id]
        assert two.search_articles("能开专票吗") == []
        assert one.search_articles("能开专票吗") == []
        report = one.unanswered_queries()
        assert [(q.query, q.count) for q in report] == [("能开专票吗", 2)]
    finally:
        one.close()
        two.close()


@ALL_STORAGES
def test_search_records_unanswered_queries(helpdesk: Helpdesk, helpdesk_clock: FrozenClock) -> None:
    helpdesk.kb.import_starter()
    assert helpdesk.search_articles("退款多久到账", locale="zh")[0].key == "refund-time"
    for query in ["火星", "火星！", "Quantum teleportation?", "", "?!", "🙂", "the"]:
        helpdesk.search_articles(query)
    helpdesk_clock.advance(days=2)
    helpdesk.search_articles("quantum  TELEPORTATION", locale="en")
    report = helpdesk.unanswered_queries()
    assert [(q.query, q.locale, q.count) for q in report] == [
        ("火星", None, 2),
        ("quantum teleportation", "en", 1),
        ("quantum teleportation", None, 1),
    ]
    recent = helpdesk.unanswered_queries(since=helpdesk_clock.now().date())
    assert [q.query for q in recent] == ["quantum teleportation"]
    assert helpdesk.search_articles("Do you ship to Mars?")  # stray matches score below 4
    assert "do you ship to mars" not in [q.query for q in helpdesk.unanswered_queries()]
    helpdesk.kb.configure(min_score=4.0)
    helpdesk.search_articles("Do you ship to Mars?")  # found, but not good enough
    assert "do you ship to mars" in [q.query for q in helpdesk.unanswered_queries()]
    with pytest.raises(InvalidInput):
        helpdesk.unanswered_queries(since=datetime(2026, 1, 1))


@ALL_STORAGES
def test_ticket_suggestions_and_search_as_you_type(helpdesk: Helpdesk, make_ticket: Any) -> None:
    helpdesk.kb.import_starter()
    ticket = make_ticket("退款还没到账", "我上周退货了，钱什么时候退回来？", language="zh")
    suggestions = helpdesk.suggest_articles(ticket, limit=3)
    assert suggestions[0].key == "refund-time"
    assert suggestions[0].locale == "zh-CN"
    assert all(s.score > 0 for s in suggestions)
    english = make_ticket("Password", "I forgot my password and cannot log in")
    assert helpdesk.suggest_articles(english)[0].key == "reset-password"
    assert helpdesk.suggest_as_you_type("passw")[0].key == "reset-password"
    typed = helpdesk.suggest_as_you_type("退", "zh")
    assert typed
    assert {h.key for h in typed} & {"refund-time", "return-policy"}
    assert all(h.locale == "zh-CN" for h in typed)
    assert helpdesk.suggest_as_you_type("") == []
    assert helpdesk.unanswered_queries() == []  # suggestions are never recorded


class CountingPlugin:
    """A search backend that counts what the knowledge base asks of it."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        plugin = self

        class Counting(SearchIndex):
            def add(self, doc_id: str, *args: Any, **kwargs: Any) -> None:
                plugin.calls.append("add")
                super().add(doc_id, *args, **kwargs)

            def remove(self, doc_id: str, *, missing_ok: bool = False) -> None:
                plugin.calls.append("remove")
                super().remove(doc_id, missing_ok=missing_ok)

        self.backend = Counting

    @hookimpl
    def register_search_backends(self, register: Any) -> None:
        register("counting", lambda desk, **options: self.backend(**options))


def test_one_article_change_does_not_rebuild_the_index(
    helpdesk_storage: Any, helpdesk_clock: FrozenClock
) -> None:
    plugin = CountingPlugin()
    desk = Helpdesk(helpdesk_storage, helpdesk_clock, plugins=[plugin], load_entrypoints=False)
    desk.kb.configure(search_backend="counting")
    assert "counting" in desk.kb.search_backends
    desk.kb.import_starter()
    desk.search_articles("refund")  # built now (from the 52 starter articles)
    plugin.calls.clear()
    article = desk.kb.publish_article(desk.kb.create_article("Gift wrapping", "¥5."))
    assert plugin.calls == ["add"]
    desk.kb.edit_article(article, body="¥6.")
    desk.kb.archive_article(article)
    assert plugin.calls == ["add", "add", "remove"]


def test_search_backends_are_chosen_by_name(tmp_path: Path, helpdesk_clock: FrozenClock) -> None:
    desk = Helpdesk.from_url(
        f"sqlite:///{tmp_path / 'kb.db'}", clock=helpdesk_clock, load_entrypoints=False
    )
    try:
        assert {"bm25", "sqlite-fts5", "postgresql-fts"} <= set(desk.kb.search_backends)
        assert desk.kb.search_backend == "bm25"
        desk.kb.import_starter()
        desk.kb.configure(search_backend="sqlite-fts5")
        assert desk.search_articles("退款多久到账", locale="zh")[0].key == "refund-time"
        assert desk.suggest_as_you_type("passw")[0].key == "reset-password"
        assert len(desk.kb.index) == 52
        with pytest.raises(ConfigurationError, match="unknown search backend"):
            desk.kb.configure(search_backend="lucene")
        desk.kb.configure(search_backend="postgresql-fts")
        with pytest.raises(ConfigurationError, match="PostgreSQL"):
            desk.search_articles("refund")
        desk.kb.configure(search_backend="bm25", search_options={"k1": -1})
        with pytest.raises(InvalidInput, match="k1"):
            desk.search_articles("refund")
        desk.kb.configure(search_backend="bm25", search_options={"colour": "red"})
        with pytest.raises(ConfigurationError, match="rejected its options"):
            desk.search_articles("refund")
    finally:
        desk.close()


@ALL_STORAGES
def test_bad_input_never_crashes(helpdesk: Helpdesk) -> None:
    kb = helpdesk.kb
    article = kb.create_article(
        "Payments",
        html='<p onclick="steal()">Pay <b>safely</b><script>alert(1)</script>'
        '<a href="javascript:alert(2)">here</a><img src=x onerror=alert(3)></p>',
    )
    assert "script" not in (article.html or "")
    assert "onclick" not in (article.html or "")
    assert "javascript" not in (article.html or "")
    assert article.body == "Pay **safely**here![](x)\n"
    stored = kb.get_article(article)
    assert stored.html == article.html
    kb.publish_article(article)
    for query in ["", "   ", "?!。", "🙂🙃", "退款" * 5000, "x" * 10_000]:
        assert isinstance(helpdesk.search_articles(query), list)
        assert isinstance(helpdesk.suggest_as_you_type(query), list)
    with pytest.raises(InvalidInput):
        helpdesk.search_articles(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        helpdesk.search_articles("pay", limit=0)
    with pytest.raises(InvalidInput):
        kb.create_article("")
    with pytest.raises(InvalidInput):
        kb.create_article("x" * 501)
    with pytest.raises(InvalidInput):
        kb.create_article("Bad locale", locale="english please")
    with pytest.raises(InvalidInput):
        kb.create_article("Bad key", key="../etc/passwd")
    with pytest.raises(InvalidInput):
        kb.articles(colour="red")
    body = kb.edit_article(
        article, body="See [this](javascript:alert(1)) <script>x()</script>ok", actor=Actor.system()
    ).body
    assert body == "See [this](#) ok"


@ALL_STORAGES
def test_import_starter_is_idempotent(helpdesk: Helpdesk) -> None:
    first = helpdesk.kb.import_starter()
    assert len(first.created) == 52
    assert len(first.categories) == 11
    assert helpdesk.kb.count_articles(status="published") == 52
    assert helpdesk.kb.get_category("returns").name_for("zh-CN") == "退货退款"
    again = helpdesk.kb.import_starter()
    assert (len(again.created), len(again.updated), len(again.unchanged)) == (0, 0, 52)
    assert helpdesk.kb.count_articles(locale="zh") == 26
    refund = helpdesk.kb.find_article("refund-time", "en")
    assert refund is not None
    assert refund.review_by == date(2026, 12, 31)
    assert [v.note for v in helpdesk.kb.versions(refund)] == ["imported", "imported"]


def test_without_the_builtin_kb_plugin(helpdesk_clock: FrozenClock) -> None:
    desk = Helpdesk(
        clock=helpdesk_clock, load_entrypoints=False, disable_plugins=["helpdesk_kit.kb"]
    )
    assert desk.kb.search_backends == []
    desk.kb.create_article("Refunds")  # articles work without search
    with pytest.raises(ConfigurationError, match="not registered"):
        desk.search_articles("refund")
    plugin = CountingPlugin()
    desk = Helpdesk(
        clock=helpdesk_clock,
        plugins=[plugin],
        load_entrypoints=False,
        disable_plugins=["helpdesk_kit.kb"],
    )
    desk.kb.configure(search_backend="counting")
    customer = desk.add_customer("x", email="x@example.com")
    ticket = desk.open_ticket(customer, "refund", "refund please")
    assert desk.suggest_articles(ticket) == []  # no built-in suggestions either
