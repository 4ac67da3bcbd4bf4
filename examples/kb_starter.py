"""A knowledge base in a few lines: the starter FAQ pack, search, suggestions, the gap report.

Run from the repository root:

    PYTHONPATH=src python examples/kb_starter.py

It keeps everything in memory; pass a URL to ``Helpdesk.from_url`` (for example
``sqlite:///helpdesk.db``) to keep the articles, or run
``helpdesk-kit kb import-starter --url sqlite:///helpdesk.db`` to do the import from the
command line.
"""

from __future__ import annotations

from datetime import UTC, datetime

from helpdesk_kit import FrozenClock, Helpdesk


def main() -> None:
    """Import the starter pack, write and publish an article, search, suggest, report."""
    clock = FrozenClock(datetime(2026, 11, 26, 1, 0, tzinfo=UTC))
    desk = Helpdesk(clock=clock, load_entrypoints=False)
    report = desk.kb.import_starter()  # 26 FAQs x (en, zh-CN), published, in 11 categories
    print(f"starter pack: {report}")

    # The help centre's tree
    for node in desk.kb.category_tree()[:3]:
        print("category:", node.category.name, "/", node.category.name_for("zh-CN"))

    # A new article: written as a draft, reviewed, published; every change is a version
    lead = desk.add_agent("Lu", role="supervisor", email="lu@shop.example")
    writer = desk.add_agent("Ann", email="ann@shop.example")
    draft = desk.kb.create_article(
        "Do you offer gift wrapping?",
        "Yes: choose *gift wrap* at checkout, ¥5 per parcel.",
        questions=["Can you wrap my present?"],
        category="orders",
        key="gift-wrap",
        tags=["gift"],
        actor=writer,
    )
    desk.kb.submit_article(draft, actor=writer)
    desk.kb.publish_article(draft, actor=lead)
    edited = desk.kb.edit_article(
        draft, body="Yes: choose *gift wrap* at checkout, ¥6 per parcel.", actor=lead
    )
    print(f"gift wrapping: version {edited.version}, {edited.status.value}")
    print(desk.kb.diff(draft, 3).splitlines()[-1])

    # Customers search the help centre (Chinese, English, mixed, typos, as they type)
    for query in ["退款多久到账", "pasword reset", "invoice 发票", "wrap my present"]:
        best = desk.search_articles(query, limit=1)[0]
        print(f"search {query!r}: {best.key} ({best.locale})")
    print("as you type '退货':", [h.key for h in desk.suggest_as_you_type("退货", "zh", limit=2)])
    print("as you type 'passw':", [h.key for h in desk.suggest_as_you_type("passw", limit=1)])

    # Agents get suggestions for a new ticket
    customer = desk.add_customer("王芳", email="wang@example.cn")
    ticket = desk.open_ticket(
        customer, "还没收到退款", "退货一周了，钱什么时候退回来？", language="zh"
    )
    print("suggested for", ticket.ref, ":", [s.key for s in desk.suggest_articles(ticket, limit=2)])

    # Readers vote; searches without a good answer show which article to write next
    desk.kb.vote(edited, True, voter=customer.id)
    desk.kb.record_view(edited)
    stats = desk.kb.stats(edited)
    print(f"gift wrapping: {stats.views} view(s), {stats.helpful} helpful vote(s)")
    desk.kb.configure(min_score=4.0)  # on the starter pack, stray matches score below 4
    for query in ["Can I pay with bitcoin?", "can I pay with Bitcoin", "quantum teleportation"]:
        desk.search_articles(query)
    for gap in desk.unanswered_queries(limit=3):
        print(f"unanswered: {gap.query} x{gap.count}")


if __name__ == "__main__":
    main()
