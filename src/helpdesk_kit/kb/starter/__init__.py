"""The starter FAQ pack: core web-shop FAQs in Chinese and English, shipped as Markdown.

Each FAQ exists once per locale (``en/<key>.md`` and ``zh/<key>.md``), linked by ``key``.
The facts in them (service hours Monday–Friday 9:00–18:00, e-mail answered within 24 hours,
7-day returns, ...) are sensible defaults for a new shop: edit them to match yours.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache
from importlib import resources

import attrs

from helpdesk_kit.errors import InvalidDefinition, InvalidInput
from helpdesk_kit.kb.documents import ArticleDocument
from helpdesk_kit.kb.frontmatter import FrontMatterValue, parse_front_matter
from helpdesk_kit.kb.search import SearchBackend

__all__ = [
    "STARTER_CATEGORIES",
    "StarterFaq",
    "index_starter_faqs",
    "load_starter_faqs",
    "starter_documents",
]

_FOLDERS = ("en", "zh")
_REQUIRED = ("key", "locale", "title", "category")
_KNOWN = frozenset((*_REQUIRED, "tags", "questions", "review_by"))


@attrs.frozen
class StarterFaq:
    """One FAQ of the starter pack in one locale."""

    key: str
    locale: str
    title: str
    body: str
    category: str
    tags: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()
    review_by: dt.date | None = None

    @property
    def doc_id(self) -> str:
        """The id to index it under: ``"<key>:<locale>"``, unique across locales."""
        return f"{self.key}:{self.locale}"


def _as_list(meta: dict[str, FrontMatterValue], name: str, problems: list[str]) -> tuple[str, ...]:
    value = meta.get(name, [])
    if isinstance(value, str):
        problems.append(f"{name} must be a list")
        return ()
    return tuple(v for v in value if v)


def _faq_from_text(text: str, source: str) -> StarterFaq:
    meta, body = parse_front_matter(text, source=source)
    problems = [f"missing key {name!r}" for name in _REQUIRED if not meta.get(name)]
    problems += [f"unknown key {name!r}" for name in meta if name not in _KNOWN]
    scalars: dict[str, str] = {}
    for name in (*_REQUIRED, "review_by"):
        value = meta.get(name, "")
        if isinstance(value, list):
            problems.append(f"{name} must be a single value, not a list")
        else:
            scalars[name] = value
    tags = _as_list(meta, "tags", problems)
    questions = _as_list(meta, "questions", problems)
    review_by: dt.date | None = None
    if scalars.get("review_by"):
        try:
            review_by = dt.date.fromisoformat(scalars["review_by"])
        except ValueError:
            problems.append(f"review_by {scalars['review_by']!r} is not a YYYY-MM-DD date")
    if not body.strip():
        problems.append("the body is empty")
    if problems:
        raise InvalidDefinition(source, problems)
    return StarterFaq(
        key=scalars["key"],
        locale=scalars["locale"],
        title=scalars["title"],
        body=body,
        category=scalars["category"],
        tags=tags,
        questions=questions,
        review_by=review_by,
    )


@cache
def _load_all() -> tuple[StarterFaq, ...]:
    root = resources.files(__name__)
    faqs: list[StarterFaq] = []
    for folder in _FOLDERS:
        for entry in sorted(root.joinpath(folder).iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".md"):
                source = f"starter FAQ {folder}/{entry.name}"
                faqs.append(_faq_from_text(entry.read_text(encoding="utf-8"), source))
    by_key: dict[str, set[str]] = {}
    for faq in faqs:
        by_key.setdefault(faq.key, set()).add(faq.locale.split("-")[0])
    problems = [
        f"FAQ {key!r} has locales {sorted(langs)}, expected en and zh"
        for key, langs in sorted(by_key.items())
        if langs != {"en", "zh"}
    ]
    if problems:
        raise InvalidDefinition("starter FAQ pack", problems)
    return tuple(sorted(faqs, key=lambda f: (f.key, f.locale)))


def load_starter_faqs(locale: str | None = None) -> list[StarterFaq]:
    """Return the starter FAQs (every locale, or those whose locale starts with ``locale``).

    ``locale="zh"`` returns the "zh-CN" FAQs, ``"en"`` the English ones.
    """
    faqs = _load_all()
    if locale is None:
        return list(faqs)
    if not isinstance(locale, str) or not locale.strip():
        raise InvalidInput(f"locale must be None or a non-empty str, not {locale!r}")
    wanted = locale.strip().casefold()
    return [
        f
        for f in faqs
        if f.locale.casefold() == wanted or f.locale.casefold().startswith(wanted + "-")
    ]


def index_starter_faqs(index: SearchBackend, faqs: Sequence[StarterFaq] | None = None) -> int:
    """Add FAQs (default: the whole starter pack) to a search index; return how many."""
    chosen = load_starter_faqs() if faqs is None else faqs
    for faq in chosen:
        index.add(faq.doc_id, faq.title, faq.body, locale=faq.locale, questions=faq.questions)
    return len(chosen)


#: The starter pack's categories: key -> (English name, Chinese name).
STARTER_CATEGORIES: dict[str, tuple[str, str]] = {
    "orders": ("Orders & delivery", "订单与配送"),
    "returns": ("Returns & refunds", "退货退款"),
    "payment": ("Payment", "支付"),
    "account": ("Account & password", "账户与密码"),
    "invoices": ("Invoices", "发票"),
    "coupons": ("Coupons", "优惠券"),
    "membership": ("Membership & points", "会员与积分"),
    "privacy": ("Privacy", "隐私"),
    "contact": ("Contact & service hours", "联系我们与服务时间"),
    "after-sales": ("After-sales & warranty", "售后与保修"),
    "products": ("Products & stock", "商品与库存"),
}


def starter_documents(locale: str | None = None) -> list[ArticleDocument]:
    """Return the starter FAQs as article documents, ready for the knowledge base to import."""
    return [
        ArticleDocument(
            key=faq.key,
            locale=faq.locale,
            title=faq.title,
            body=faq.body,
            category=faq.category,
            tags=faq.tags,
            questions=faq.questions,
            review_by=faq.review_by,
        )
        for faq in load_starter_faqs(locale)
    ]
