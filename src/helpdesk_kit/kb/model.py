"""The knowledge base's records: categories, articles, versions, votes, and their rules.

Everything here is pure (attrs values and functions, no I/O, no clock): the desk's
knowledge-base service loads, changes and stores them.

- A :class:`Category` is a node of the help centre's tree: top-level categories hold
  sections (categories with a ``parent_id``), which may hold sections of their own.
- An :class:`Article` is one locale of one answer. Translations share a ``key`` (the
  translation group): ``("refund-time", "en")`` and ``("refund-time", "zh-CN")``.
- Every change of an article is kept as an :class:`ArticleVersion` (a snapshot), so edits
  can be compared (:func:`~helpdesk_kit.kb.versions.diff_versions`) and reverted.
- An article's ``status`` moves along :data:`ARTICLE_TRANSITIONS`; only published articles
  are searchable by customers.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import attrs

from helpdesk_kit.clock import ensure_aware
from helpdesk_kit.errors import InvalidInput, TransitionNotAllowed
from helpdesk_kit.ids import new_id
from helpdesk_kit.kb.sanitize import sanitize_html, sanitize_markdown
from helpdesk_kit.tickets.model import AttachmentMeta

__all__ = [
    "ARTICLE_TRANSITIONS",
    "MAX_BODY_CHARS",
    "MAX_QUESTIONS",
    "MAX_TITLE_CHARS",
    "Article",
    "ArticleFilter",
    "ArticleHit",
    "ArticleStats",
    "ArticleStatus",
    "ArticleVersion",
    "ArticleVote",
    "Category",
    "CategoryNode",
    "UnansweredQuery",
    "allowed_actions",
    "build_category_tree",
    "canonical_locale",
    "check_category_parent",
    "check_key",
    "locale_matches",
    "markdown_to_text",
    "slugify",
    "transition_article",
]

MAX_TITLE_CHARS = 500
MAX_BODY_CHARS = 500_000
MAX_QUESTIONS = 50
MAX_TAG_CHARS = 64
MAX_KEY_CHARS = 120
MAX_REASON_CHARS = 2000

_KEY = re.compile(r"^[^\W_][\w.\-]*$")
_LOCALE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")
_SLUG_JUNK = re.compile(r"[^\w.]+|_+")


class ArticleStatus(enum.StrEnum):
    """Where an article is in its lifecycle."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    ARCHIVED = "archived"


_S = ArticleStatus
#: action -> (statuses it may start from, status it leads to)
ARTICLE_TRANSITIONS: Mapping[str, tuple[frozenset[ArticleStatus], ArticleStatus]] = {
    "submit": (frozenset({_S.DRAFT}), _S.IN_REVIEW),
    "reject": (frozenset({_S.IN_REVIEW}), _S.DRAFT),
    "publish": (frozenset({_S.DRAFT, _S.IN_REVIEW}), _S.PUBLISHED),
    "unpublish": (frozenset({_S.PUBLISHED}), _S.DRAFT),
    "archive": (frozenset({_S.DRAFT, _S.IN_REVIEW, _S.PUBLISHED}), _S.ARCHIVED),
    "restore": (frozenset({_S.ARCHIVED}), _S.DRAFT),
}


def allowed_actions(status: ArticleStatus | str) -> list[str]:
    """Return the actions allowed from ``status``, in the order of ARTICLE_TRANSITIONS."""
    current = ArticleStatus(status)
    return [name for name, (sources, _) in ARTICLE_TRANSITIONS.items() if current in sources]


# ------------------------------------------------------------------------- value checks


def canonical_locale(value: str) -> str:
    """Return a locale tag in its usual spelling: ``"zh_cn"`` -> ``"zh-CN"``, ``"EN"`` -> ``"en"``.

    Language lower case, a 4-letter script title case, a region upper case.
    """
    if not isinstance(value, str) or not _LOCALE.match(value.strip()):
        raise InvalidInput(f"not a locale tag: {value!r} (use e.g. 'en', 'zh-CN')")
    parts = value.strip().replace("_", "-").split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif (len(part) == 2 and part.isalpha()) or (len(part) == 3 and part.isdigit()):
            out.append(part.upper())
        else:
            out.append(part.lower())
    return "-".join(out)


def locale_matches(locale: str | None, wanted: str | None) -> bool:
    """True when ``locale`` is ``wanted`` or a variant of it (``"zh-CN"`` matches ``"zh"``)."""
    if wanted is None:
        return True
    if locale is None:
        return False
    have, want = locale.casefold(), wanted.casefold().replace("_", "-")
    return have == want or have.startswith(want + "-")


def check_key(value: str, what: str = "key") -> str:
    """Return ``value`` if it is a valid article or category key, else raise InvalidInput.

    Keys are letters (any script), digits, ``.``, ``-`` and ``_``, starting with a letter
    or digit, at most 120 characters: they name files on export.
    """
    if not isinstance(value, str) or not _KEY.match(value) or len(value) > MAX_KEY_CHARS:
        raise InvalidInput(
            f"{what} must be letters, digits, '.', '-' or '_' (starting with a letter or "
            f"digit, at most {MAX_KEY_CHARS} characters), not {value!r}"
        )
    return value


def slugify(text: str) -> str:
    """Return a key made from ``text``: normalized, lower case, runs of other characters as '-'.

    Chinese and other scripts are kept (``"退款 政策"`` -> ``"退款-政策"``); an empty result
    falls back to ``"article"``.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    slug = _SLUG_JUNK.sub("-", folded).strip("-.")[:MAX_KEY_CHARS].strip("-.")
    return slug or "article"


def _text(name: str, limit: int, *, empty: bool = False) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if not isinstance(value, str):
            raise InvalidInput(f"{name} must be a str, not {type(value).__name__}")
        text: str = value.strip() if name in ("title", "name") else value
        if not empty and not text.strip():
            raise InvalidInput(f"{name} must not be empty")
        if len(text) > limit:
            raise InvalidInput(f"{name} is {len(text):,} characters; the limit is {limit:,}")
        return text

    return convert


def _strings(name: str, limit: int, *, count: int = 1000) -> Callable[[Any], tuple[str, ...]]:
    def convert(values: Any) -> tuple[str, ...]:
        if values is None:
            return ()
        if isinstance(values, str) or not isinstance(values, Iterable):
            kind = type(values).__name__
            raise InvalidInput(f"{name} must be a list of str, not a single {kind}")
        out: list[str] = []
        for value in values:
            if not isinstance(value, str):
                raise InvalidInput(f"every one of {name} must be a str, not {value!r}")
            value = " ".join(value.split())
            if not value:
                continue
            if len(value) > limit:
                raise InvalidInput(f"one of {name} is longer than {limit} characters")
            if value not in out:
                out.append(value)
        if len(out) > count:
            raise InvalidInput(f"at most {count} {name}, got {len(out)}")
        return tuple(out)

    return convert


def _title(value: Any) -> str:
    return _text("title", MAX_TITLE_CHARS)(value)


def _name(value: Any) -> str:
    return _text("name", 200)(value)


def _description(value: Any) -> str:
    return _text("description", 5000, empty=True)(value)


def _questions(values: Any) -> tuple[str, ...]:
    return _strings("questions", MAX_TITLE_CHARS, count=MAX_QUESTIONS)(values)


def _str_tuple(values: Any) -> tuple[str, ...]:
    return tuple(values)


def _str_frozenset(values: Any) -> frozenset[str]:
    return frozenset(values)


def _tags(values: Any) -> frozenset[str]:
    return frozenset(_strings("tags", MAX_TAG_CHARS, count=100)(values))


def _keys(values: Any) -> tuple[str, ...]:
    return tuple(check_key(v, "related key") for v in _strings("related", MAX_KEY_CHARS)(values))


def _attachments(values: Any) -> tuple[AttachmentMeta, ...]:
    if values is None:
        return ()
    out = tuple(values)
    for value in out:
        if not isinstance(value, AttachmentMeta):
            raise InvalidInput(f"attachments must be AttachmentMeta objects, not {value!r}")
    return out


def _html(value: Any) -> str | None:
    return None if value is None else sanitize_html(value)


def _body(value: Any) -> str:
    text: str = _text("body", MAX_BODY_CHARS, empty=True)(value)
    return sanitize_markdown(text)


def _review_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidInput(f"review_by must be a date (not a datetime), got {value!r}")
    return value


def _aware(_inst: object, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    if value is not None:
        ensure_aware(value, attribute.name)


def _opt_id(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"ids must be non-empty strings, got {value!r}")
    return value


def _positive(_inst: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidInput(f"{attribute.name} must be an int >= 1, got {value!r}")


# ------------------------------------------------------------------------- categories


def _names(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInput("names must be a mapping of locale to name")
    out: dict[str, str] = {}
    for locale, name in value.items():
        out[canonical_locale(locale)] = _name(name)
    return out


@attrs.frozen
class Category:
    """A category of the help centre, or a section when it has a parent.

    ``key`` is unique among categories (a slug such as ``"returns"``); ``names`` holds the
    name in other locales (``{"zh-CN": "退货退款"}``); siblings are ordered by ``position``.
    """

    key: str = attrs.field(converter=check_key)
    name: str = attrs.field(converter=_name)
    parent_id: str | None = attrs.field(default=None, converter=_opt_id)
    description: str = attrs.field(default="", converter=_description)
    position: int = 0
    names: dict[str, str] = attrs.field(factory=dict, converter=_names, hash=False)
    id: str = attrs.field(factory=new_id)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.position, int) or isinstance(self.position, bool):
            raise InvalidInput(f"position must be an int, got {self.position!r}")
        if self.parent_id == self.id:
            raise InvalidInput(f"category {self.key!r} cannot be its own parent")

    def name_for(self, locale: str | None) -> str:
        """Return the name in ``locale`` (or its language), else the default name."""
        if locale:
            for have, name in self.names.items():
                if locale_matches(have, locale) or locale_matches(locale, have):
                    return name
        return self.name


@attrs.frozen
class CategoryNode:
    """A category with its sections, for showing the tree."""

    category: Category
    children: tuple[CategoryNode, ...] = ()

    def walk(self, depth: int = 0) -> Iterable[tuple[int, Category]]:
        """Yield ``(depth, category)`` for this node and every node below it, in order."""
        yield depth, self.category
        for child in self.children:
            yield from child.walk(depth + 1)


def _sibling_order(c: Category) -> tuple[int, str, str]:
    return (c.position, c.name.casefold(), c.id)


def build_category_tree(categories: Sequence[Category]) -> list[CategoryNode]:
    """Return the top-level categories with their sections, siblings ordered by position.

    A category whose parent is missing is shown at the top level.
    """
    by_id = {c.id: c for c in categories}
    children: dict[str | None, list[Category]] = {}
    for c in categories:
        parent = c.parent_id if c.parent_id in by_id else None
        children.setdefault(parent, []).append(c)

    def node(c: Category, seen: frozenset[str]) -> CategoryNode:
        kids = sorted(children.get(c.id, []), key=_sibling_order)
        return CategoryNode(c, tuple(node(k, seen | {k.id}) for k in kids if k.id not in seen))

    return [node(c, frozenset({c.id})) for c in sorted(children.get(None, []), key=_sibling_order)]


def check_category_parent(
    categories: Sequence[Category], category_id: str, parent_id: str | None
) -> None:
    """Raise InvalidInput when ``parent_id`` is unknown or would put the category under itself."""
    if parent_id is None:
        return
    by_id = {c.id: c for c in categories}
    if parent_id not in by_id:
        raise InvalidInput(f"parent category {parent_id!r} does not exist")
    current: str | None = parent_id
    seen: set[str] = set()
    while current is not None and current not in seen:
        if current == category_id:
            raise InvalidInput("a category cannot be moved under itself or one of its sections")
        seen.add(current)
        parent = by_id.get(current)
        current = parent.parent_id if parent is not None else None


# ------------------------------------------------------------------------- articles


@attrs.frozen
class Article:
    """One locale of one knowledge-base answer.

    ``key`` links translations (unique together with ``locale``); ``body`` is Markdown;
    ``html`` the sanitized HTML an article was imported from, if any (``html`` and raw HTML
    in ``body`` are sanitized whenever an article is made: stored HTML is always clean).
    ``questions`` are other ways customers ask the same thing; they weigh as much as the
    title in search. ``related`` holds keys of related articles. ``version`` counts the
    article's changes (every change is kept as an :class:`ArticleVersion`).
    """

    key: str = attrs.field(converter=check_key)
    locale: str = attrs.field(converter=canonical_locale)
    title: str = attrs.field(converter=_title)
    body: str = attrs.field(default="", converter=_body)
    status: ArticleStatus = attrs.field(default=ArticleStatus.DRAFT, converter=ArticleStatus)
    category_id: str | None = attrs.field(default=None, converter=_opt_id)
    owner_id: str | None = attrs.field(default=None, converter=_opt_id)
    review_by: date | None = attrs.field(default=None, converter=_review_date)
    tags: frozenset[str] = attrs.field(factory=frozenset, converter=_tags)
    questions: tuple[str, ...] = attrs.field(default=(), converter=_questions)
    related: tuple[str, ...] = attrs.field(default=(), converter=_keys)
    attachments: tuple[AttachmentMeta, ...] = attrs.field(default=(), converter=_attachments)
    html: str | None = attrs.field(default=None, converter=_html)
    id: str = attrs.field(factory=new_id)
    version: int = attrs.field(default=1, validator=_positive)
    created_at: datetime | None = attrs.field(default=None, validator=_aware)
    updated_at: datetime | None = attrs.field(default=None, validator=_aware)
    published_at: datetime | None = attrs.field(default=None, validator=_aware)

    def __attrs_post_init__(self) -> None:
        if self.key in self.related:
            raise InvalidInput(f"article {self.key!r} cannot be related to itself")

    @property
    def is_published(self) -> bool:
        """True when customers can find it."""
        return self.status is ArticleStatus.PUBLISHED

    def search_text(self) -> str:
        """The body as plain words for the search index: Markdown marks, link targets removed."""
        tags = "\n" + " ".join(sorted(self.tags)) if self.tags else ""
        return markdown_to_text(self.body) + tags


_MD_IMAGE_OR_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_MARKS = re.compile(r"(^|\n)\s{0,3}(?:#{1,6}|>|[-*+]|\d+[.)])\s+|[*_~`|\\]+")
_MD_TAG = re.compile(r"<[^>]{0,300}>")
_URL = re.compile(r"https?://\S+")


def markdown_to_text(markdown: str) -> str:
    """Return the readable words of Markdown (link text without targets, no markup)."""
    text = _MD_IMAGE_OR_LINK.sub(r"\1", markdown)
    text = _MD_TAG.sub(" ", text)
    text = _URL.sub(" ", text)
    return _MD_MARKS.sub(r"\1", text)


def transition_article(article: Article, action: str, now: datetime) -> Article:
    """Return ``article`` after ``action`` (one of ARTICLE_TRANSITIONS) at ``now``.

    Raises TransitionNotAllowed when the action is unknown or not allowed from the
    article's status (the message lists the allowed ones). Publishing sets
    ``published_at``; the version number is the caller's to increase.
    """
    allowed = allowed_actions(article.status)
    rule = ARTICLE_TRANSITIONS.get(action)
    if rule is None or article.status not in rule[0]:
        raise TransitionNotAllowed(action, article.status.value, allowed, "article")
    target = rule[1]
    changes: dict[str, Any] = {"status": target, "updated_at": now}
    if target is ArticleStatus.PUBLISHED:
        changes["published_at"] = now
    return attrs.evolve(article, **changes)


@attrs.frozen
class ArticleVersion:
    """A snapshot of an article after one change: content, status, who and why.

    ``number`` is the article's ``version`` after the change (1 for the first draft).
    """

    article_id: str
    number: int = attrs.field(validator=_positive)
    title: str
    body: str
    status: ArticleStatus = attrs.field(converter=ArticleStatus)
    editor: str
    created_at: datetime = attrs.field(validator=_aware)
    questions: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    tags: frozenset[str] = attrs.field(factory=frozenset, converter=_str_frozenset)
    html: str | None = None
    note: str = ""

    @classmethod
    def of(cls, article: Article, *, editor: str, at: datetime, note: str = "") -> ArticleVersion:
        """Snapshot ``article`` as its current version."""
        return cls(
            article_id=article.id,
            number=article.version,
            title=article.title,
            body=article.body,
            status=article.status,
            editor=editor,
            created_at=at,
            questions=article.questions,
            tags=article.tags,
            html=article.html,
            note=note,
        )


def _statuses(value: Any) -> tuple[ArticleStatus, ...] | None:
    if value is None:
        return None
    values = [value] if isinstance(value, str) else list(value)
    try:
        return tuple(ArticleStatus(v) for v in values)
    except ValueError:
        known = ", ".join(s.value for s in ArticleStatus)
        raise InvalidInput(f"unknown article status in {values!r} (use {known})") from None


@attrs.frozen
class ArticleFilter:
    """What to select in article lists; fields left None match everything.

    ``status`` takes one status or several; ``locale="zh"`` matches ``zh-CN`` too.
    """

    status: tuple[ArticleStatus, ...] | None = attrs.field(default=None, converter=_statuses)
    locale: str | None = None
    category_id: str | None = None
    key: str | None = None
    tag: str | None = None
    owner_id: str | None = None

    def matches(self, a: Article) -> bool:
        """True when ``a`` is selected (the reference semantics every backend follows)."""
        return (
            (self.status is None or a.status in self.status)
            and locale_matches(a.locale, self.locale)
            and (self.category_id is None or a.category_id == self.category_id)
            and (self.key is None or a.key == self.key)
            and (self.tag is None or self.tag in a.tags)
            and (self.owner_id is None or a.owner_id == self.owner_id)
        )


# ------------------------------------------------------------------------- feedback


def _reason(value: Any) -> str | None:
    if value is None:
        return None
    text: str = _text("reason", MAX_REASON_CHARS, empty=True)(value).strip()
    return text or None


@attrs.frozen
class ArticleVote:
    """A reader's answer to "was this helpful?", with an optional reason.

    ``voter`` (a customer id or a browser session) makes a reader's later vote replace the
    earlier one; anonymous votes (None) all count.
    """

    article_id: str
    helpful: bool
    at: datetime = attrs.field(validator=_aware)
    reason: str | None = attrs.field(default=None, converter=_reason)
    voter: str | None = attrs.field(default=None, converter=_opt_id)
    id: str = attrs.field(factory=new_id)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.helpful, bool):
            raise InvalidInput(f"helpful must be True or False, got {self.helpful!r}")


@attrs.frozen
class ArticleStats:
    """How often an article was read and how readers voted."""

    article_id: str
    views: int = 0
    helpful: int = 0
    not_helpful: int = 0

    @property
    def votes(self) -> int:
        """All votes."""
        return self.helpful + self.not_helpful

    @property
    def helpful_ratio(self) -> float | None:
        """The share of "yes" votes, or None without votes."""
        return self.helpful / self.votes if self.votes else None


@attrs.frozen
class UnansweredQuery:
    """A search the knowledge base had no good answer for, counted over a period."""

    query: str
    count: int
    last_seen: datetime
    locale: str | None = None


@attrs.frozen
class ArticleHit:
    """A search result or suggestion: the article and its score (higher is better)."""

    article: Article
    score: float

    @property
    def article_id(self) -> str:
        """The article's id."""
        return self.article.id

    @property
    def title(self) -> str:
        """The article's title."""
        return self.article.title

    @property
    def locale(self) -> str:
        """The article's locale."""
        return self.article.locale

    @property
    def key(self) -> str:
        """The article's translation-group key."""
        return self.article.key
