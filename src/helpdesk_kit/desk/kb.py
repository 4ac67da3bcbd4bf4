"""The desk's knowledge base: articles and their lifecycle, categories, search, feedback.

Every desk owns one :class:`KnowledgeBase` at ``desk.kb``. It is an object of its own rather
than a mixin of ``Helpdesk`` methods because it has state — the search index, the backend
it was built with, the last change it has seen, its settings — and about thirty commands
whose names (``vote``, ``categories``, ``publish``) would crowd the desk's namespace. The
three entry points the rest of the desk and the help centre call are also on the desk
(:class:`KnowledgeBaseCommands`): ``desk.search_articles``, ``desk.suggest_as_you_type``
and ``desk.unanswered_queries``.

The search index holds the PUBLISHED articles. It is built from storage on first use, then
kept in step: a command that publishes, unpublishes, archives, edits or reverts an article
updates the index for that one article after its unit of work commits. Other processes'
changes are picked up through the storage's change feed (every article change is numbered),
at most every ``sync_interval`` seconds before a search.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import attrs

from helpdesk_kit.clock import UTC, ensure_aware, to_utc
from helpdesk_kit.desk.work import Work
from helpdesk_kit.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    ConfigurationError,
    HelpdeskError,
    InvalidDefinition,
    InvalidInput,
    PermissionDenied,
)
from helpdesk_kit.kb.backend import SearchDocument, add_documents, check_limit
from helpdesk_kit.kb.documents import ArticleDocument
from helpdesk_kit.kb.html2md import html_to_markdown
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
    build_category_tree,
    canonical_locale,
    check_category_parent,
    locale_matches,
    slugify,
    transition_article,
)
from helpdesk_kit.kb.search import SearchBackend
from helpdesk_kit.kb.starter import STARTER_CATEGORIES, starter_documents
from helpdesk_kit.kb.versions import diff_versions
from helpdesk_kit.plugins import collect_named
from helpdesk_kit.text import Tokenizer
from helpdesk_kit.tickets.model import Actor, Agent, AttachmentMeta, Customer

if TYPE_CHECKING:
    from helpdesk_kit.desk.service import Helpdesk

__all__ = ["DEFAULT_SEARCH_BACKEND", "ImportReport", "KnowledgeBase", "KnowledgeBaseCommands"]

log = logging.getLogger("helpdesk_kit.kb")

#: The search backend a knowledge base uses unless configured otherwise.
DEFAULT_SEARCH_BACKEND = "bm25"
ArticleRef = Article | str
CategoryRef = Category | str
ActorLike = Actor | Agent | Customer | None

_EDITABLE = (
    "title",
    "body",
    "html",
    "questions",
    "tags",
    "category",
    "related",
    "attachments",
    "owner",
    "review_by",
)
_CONTENT = ("title", "body", "html", "questions", "tags")
_EDITORS = frozenset({"agent", "supervisor", "admin", "system"})
_PUBLISHERS = frozenset({"supervisor", "admin", "system"})
_PAGE = 500
_STATUS_PATH: dict[ArticleStatus, tuple[str, ...]] = {
    ArticleStatus.DRAFT: (),
    ArticleStatus.IN_REVIEW: ("submit",),
    ArticleStatus.PUBLISHED: ("publish",),
    ArticleStatus.ARCHIVED: ("archive",),
}


@attrs.frozen
class ImportReport:
    """What an import did: ``key (locale)`` of each article created, updated or unchanged,
    categories created, and problems that did not stop the import (an unknown owner)."""

    created: list[str] = attrs.field(factory=list)
    updated: list[str] = attrs.field(factory=list)
    unchanged: list[str] = attrs.field(factory=list)
    categories: list[str] = attrs.field(factory=list)
    problems: list[str] = attrs.field(factory=list)

    def __str__(self) -> str:
        text = (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.categories)} categories created"
        )
        return text + (f", {len(self.problems)} problem(s)" if self.problems else "")


class KnowledgeBase:
    """The knowledge base of one desk (``desk.kb``): commands, queries and the search index."""

    def __init__(self, desk: Helpdesk) -> None:
        """Collect the search backends plugins register; nothing is loaded until first use."""
        self._desk = desk
        self._factories: dict[str, Any] = collect_named(
            desk.hook.register_search_backends, "search backend", replace=True
        )
        self._backend_name = DEFAULT_SEARCH_BACKEND
        self._backend_options: dict[str, Any] = {}
        self._index: SearchBackend | None = None
        self._seen_change = 0
        self._last_sync = 0.0
        self._lock = threading.RLock()
        self.min_score = 0.0
        self.sync_interval: float | None = 1.0
        self._review_sweep = False

    # ------------------------------------------------------------------ configuration

    @property
    def search_backends(self) -> list[str]:
        """Names of the registered search backends."""
        return sorted(self._factories)

    @property
    def search_backend(self) -> str:
        """The name of the backend in use."""
        return self._backend_name

    def configure(
        self,
        *,
        search_backend: str | None = None,
        search_options: Mapping[str, Any] | None = None,
        min_score: float | None = None,
        sync_interval: float | str | None = "keep",
        review_sweep: bool | None = None,
    ) -> None:
        """Choose the search backend (by name) and how searches and sweeps behave.

        ``search_options`` go to the backend's factory (``bm25``: ``k1``, ``b``,
        ``weights``, ``fuzzy``, ``tokenizer``; ``sqlite-fts5`` and ``postgresql-fts``:
        ``url``, ``table``). A new backend is built from storage on next use.
        ``min_score``: a search whose best hit scores lower counts as unanswered.
        ``sync_interval``: seconds between checks for other processes' article changes
        (0: before every search, None: never). ``review_sweep=True`` installs the
        ``kb_review`` sweeper, which lists articles due for review on every desk sweep.
        """
        if search_backend is not None or search_options is not None:
            name = search_backend or self._backend_name
            if name not in self._factories:
                raise ConfigurationError(
                    f"unknown search backend {name!r} "
                    f"(registered: {', '.join(self.search_backends)})"
                )
            with self._lock:
                self._close_index()
                self._backend_name = name
                self._backend_options = dict(search_options or {})
        if min_score is not None:
            if not isinstance(min_score, int | float) or isinstance(min_score, bool):
                raise InvalidInput(f"min_score must be a number, not {min_score!r}")
            self.min_score = float(min_score)
        if sync_interval != "keep":
            if sync_interval is not None and (
                not isinstance(sync_interval, int | float)
                or isinstance(sync_interval, bool)
                or sync_interval < 0
            ):
                raise InvalidInput(f"sync_interval must be None or >= 0, not {sync_interval!r}")
            self.sync_interval = None if sync_interval is None else float(sync_interval)
        if review_sweep and not self._review_sweep:
            self._desk.add_sweeper("kb_review", _review_sweeper)
            self._review_sweep = True

    # ------------------------------------------------------------------ the index

    @property
    def index(self) -> SearchBackend:
        """The search index of published articles (built from storage on first use)."""
        with self._lock:
            if self._index is None:
                self.rebuild_index()
            assert self._index is not None
            return self._index

    def _close_index(self) -> None:
        if self._index is not None:
            close = getattr(self._index, "close", None)
            if close is not None:
                close()
        self._index = None
        self._seen_change = 0

    def _make_backend(self) -> SearchBackend:
        factory = self._factories.get(self._backend_name)
        if factory is None:  # the plugin that registers it is blocked or missing
            raise ConfigurationError(
                f"search backend {self._backend_name!r} is not registered (registered: "
                f"{', '.join(self.search_backends) or 'none'}); is the plugin "
                "helpdesk_kit.kb disabled?"
            )
        try:
            backend: SearchBackend = factory(self._desk, **self._backend_options)
        except TypeError as exc:
            raise ConfigurationError(
                f"search backend {self._backend_name!r} rejected its options: {exc}"
            ) from None
        return backend

    def rebuild_index(self) -> int:
        """Fill the index with every published article from storage; return how many."""
        with self._lock:
            backend = self._index if self._index is not None else self._make_backend()
            with self._desk.storage.unit_of_work() as uow:
                # the change number first: a change committed while we read is seen again
                last = uow.kb_articles.last_change()
                published = self._all(uow, ArticleFilter(status=ArticleStatus.PUBLISHED))
            clear = getattr(backend, "clear", None)
            if clear is not None:
                clear()
            else:
                for doc_id in list(getattr(backend, "doc_ids", list)()):
                    backend.remove(doc_id, missing_ok=True)
            count = add_documents(backend, (_document(a) for a in published))
            self._index = backend
            self._seen_change = last
            self._last_sync = time.monotonic()
            return count

    def refresh_index(self) -> int:
        """Apply article changes made since the index last looked (by any process).

        Return how many articles were re-indexed or dropped.
        """
        with self._lock:
            if self._index is None:
                return self.rebuild_index()
            applied = 0
            while True:
                with self._desk.storage.unit_of_work() as uow:
                    changes = uow.kb_articles.changed_since(self._seen_change, limit=_PAGE)
                for number, article in changes:
                    self._apply(article)
                    self._seen_change = max(self._seen_change, number)
                applied += len(changes)
                if len(changes) < _PAGE:
                    break
            self._last_sync = time.monotonic()
            return applied

    def _maybe_refresh(self) -> None:
        if self._index is None or self.sync_interval is None:
            return
        if time.monotonic() - self._last_sync >= self.sync_interval:
            self.refresh_index()

    def _apply(self, article: Article) -> None:
        """Put one article into the index or take it out (the caller holds the lock)."""
        index = self._index
        if index is None:
            return  # built from storage on first use
        if article.is_published:
            doc = _document(article)
            index.add(doc.doc_id, doc.title, doc.body, locale=doc.locale, questions=doc.questions)
        else:
            index.remove(article.id, missing_ok=True)

    def _changed(self, article: Article) -> Article:
        with self._lock:
            self._apply(article)
        return article

    # ------------------------------------------------------------------ plumbing

    def _actor(self, actor: ActorLike) -> Actor:
        return self._desk._actor(actor)

    @staticmethod
    def _require(actor: Actor, roles: frozenset[str], what: str) -> None:
        if not (actor.roles & roles):
            who = "a supervisor, an admin or the system" if "agent" not in roles else "staff"
            raise PermissionDenied(f"{what} needs {who}; {actor} may not")

    @staticmethod
    def _article_id(ref: ArticleRef) -> str:
        if isinstance(ref, Article):
            return ref.id
        if isinstance(ref, str) and ref:
            return ref
        raise InvalidInput(f"not an article reference: {ref!r} (use an Article or its id)")

    @staticmethod
    def _all(uow: Any, flt: ArticleFilter) -> list[Article]:
        found: list[Article] = []
        after: str | None = None
        while True:
            page = uow.kb_articles.list(flt, limit=_PAGE, after=after)
            found += page
            if len(page) < _PAGE:
                return found
            after = page[-1].id

    def _category_id(self, work: Work, ref: CategoryRef | None) -> str | None:
        if ref is None:
            return None
        if isinstance(ref, Category):
            return work.uow.kb_categories.get(ref.id).id
        if not isinstance(ref, str) or not ref:
            raise InvalidInput(f"not a category reference: {ref!r}")
        by_key = work.uow.kb_categories.get_by_key(ref)
        return by_key.id if by_key is not None else work.uow.kb_categories.get(ref).id

    @staticmethod
    def _owner_id(ref: Agent | str | None) -> str | None:
        if ref is None or isinstance(ref, str):
            return ref or None
        if isinstance(ref, Agent):
            return ref.id
        raise InvalidInput(f"owner must be an Agent or an agent id, not {ref!r}")

    def _save(
        self,
        work: Work,
        old: Article,
        new: Article,
        actor: Actor,
        note: str,
        expected_version: int | None,
    ) -> Article:
        if expected_version is not None and expected_version != old.version:
            raise ConcurrencyConflict("article", old.id, expected_version, old.version)
        new = attrs.evolve(new, version=old.version + 1, updated_at=work.now)
        stored = work.uow.kb_articles.update(new, expected_version=old.version)
        work.uow.kb_articles.add_version(
            ArticleVersion.of(stored, editor=str(actor), at=work.now, note=note)
        )
        return stored

    # ------------------------------------------------------------------ categories

    def add_category(
        self,
        key: str,
        name: str,
        *,
        parent: CategoryRef | None = None,
        description: str = "",
        position: int = 0,
        names: Mapping[str, str] | None = None,
        actor: ActorLike = None,
    ) -> Category:
        """Create a category (a section when ``parent`` is given); keys are unique."""
        who = self._actor(actor)
        self._require(who, _EDITORS, "changing the help centre's categories")
        with self._desk._work() as work:
            category = Category(
                key=key,
                name=name,
                parent_id=self._category_id(work, parent),
                description=description,
                position=position,
                names=dict(names or {}),
            )
            return work.uow.kb_categories.add(category)

    def update_category(
        self, category: CategoryRef, *, actor: ActorLike = None, **changes: Any
    ) -> Category:
        """Change a category's ``key``, ``name``, ``parent``, ``description``, ``position``
        or ``names``; a parent may not be the category itself or one of its sections."""
        who = self._actor(actor)
        self._require(who, _EDITORS, "changing the help centre's categories")
        allowed = {"key", "name", "parent", "description", "position", "names"}
        unknown = sorted(set(changes) - allowed)
        if unknown:
            raise InvalidInput(
                f"cannot change {unknown} of a category (allowed: {sorted(allowed)})"
            )
        with self._desk._work() as work:
            current = work.uow.kb_categories.get(self._category_ref_id(work, category))
            fields = dict(changes)
            if "parent" in fields:
                parent_id = self._category_id(work, fields.pop("parent"))
                check_category_parent(work.uow.kb_categories.list(), current.id, parent_id)
                fields["parent_id"] = parent_id
            return work.uow.kb_categories.update(attrs.evolve(current, **fields))

    def _category_ref_id(self, work: Work, ref: CategoryRef) -> str:
        found = self._category_id(work, ref)
        assert found is not None
        return found

    def delete_category(self, category: CategoryRef, *, actor: ActorLike = None) -> None:
        """Delete an empty category (no sections, no articles)."""
        who = self._actor(actor)
        self._require(who, _EDITORS, "changing the help centre's categories")
        with self._desk._work() as work:
            current = work.uow.kb_categories.get(self._category_ref_id(work, category))
            sections = [c.key for c in work.uow.kb_categories.list() if c.parent_id == current.id]
            articles = work.uow.kb_articles.count(ArticleFilter(category_id=current.id))
            if sections or articles:
                raise InvalidInput(
                    f"category {current.key!r} still holds {len(sections)} section(s) and "
                    f"{articles} article(s); move or delete them first"
                )
            work.uow.kb_categories.delete(current.id)

    def get_category(self, ref: CategoryRef) -> Category:
        """A category by object, id or key."""
        with self._desk._work() as work:
            return work.uow.kb_categories.get(self._category_ref_id(work, ref))

    def categories(self) -> list[Category]:
        """Every category, by position and name."""
        with self._desk.storage.unit_of_work() as uow:
            return uow.kb_categories.list()

    def category_tree(self) -> list[CategoryNode]:
        """The categories as a tree: top-level categories with their sections."""
        return build_category_tree(self.categories())

    # ------------------------------------------------------------------ articles

    def create_article(
        self,
        title: str,
        body: str | None = None,
        *,
        locale: str = "en",
        key: str | None = None,
        html: str | None = None,
        category: CategoryRef | None = None,
        tags: Iterable[str] = (),
        questions: Sequence[str] = (),
        related: Sequence[str] = (),
        attachments: Sequence[AttachmentMeta] = (),
        owner: Agent | str | None = None,
        review_by: date | None = None,
        note: str = "created",
        actor: ActorLike = None,
    ) -> Article:
        """Write a new article (a draft). ``body`` is Markdown; from ``html`` alone the body
        is converted to Markdown (the sanitized HTML is kept too). ``key`` (the translation
        group) defaults to a slug of the title; give an existing key and another ``locale``
        to add a translation."""
        who = self._actor(actor)
        self._require(who, _EDITORS, "writing articles")
        if body is None:
            body = html_to_markdown(html) if html is not None else ""
        with self._desk._work() as work:
            article = Article(
                key=key if key is not None else slugify(title if isinstance(title, str) else ""),
                locale=locale,
                title=title,
                body=body,
                html=html,
                category_id=self._category_id(work, category),
                owner_id=self._owner_id(owner),
                review_by=review_by,
                tags=tags,
                questions=questions,
                related=related,
                attachments=attachments,
                created_at=work.now,
                updated_at=work.now,
            )
            stored = work.uow.kb_articles.add(article)
            work.uow.kb_articles.add_version(
                ArticleVersion.of(stored, editor=str(who), at=work.now, note=note)
            )
            return stored

    def add_translation(
        self,
        article: ArticleRef,
        locale: str,
        title: str,
        body: str | None = None,
        *,
        actor: ActorLike = None,
        **fields: Any,
    ) -> Article:
        """Write ``article`` in another locale: same key; category, tags, related articles,
        owner and review date are copied unless given in ``fields``."""
        source = self.get_article(article)
        for name, value in (
            ("category", source.category_id),
            ("tags", source.tags),
            ("related", source.related),
            ("owner", source.owner_id),
            ("review_by", source.review_by),
        ):
            fields.setdefault(name, value)
        return self.create_article(
            title, body, locale=locale, key=source.key, actor=actor, **fields
        )

    def edit_article(
        self,
        article: ArticleRef,
        *,
        note: str = "edited",
        expected_version: int | None = None,
        actor: ActorLike = None,
        **changes: Any,
    ) -> Article:
        """Change an article's fields (see ``_EDITABLE``: title, body, html, questions, tags,
        category, related, attachments, owner, review_by); every edit is kept as a version.

        ``html`` without ``body`` replaces the body with its Markdown. Editing what
        customers see (a published article) needs a supervisor, an admin or the system.
        Changing nothing stores nothing.
        """
        who = self._actor(actor)
        self._require(who, _EDITORS, "editing articles")
        unknown = sorted(set(changes) - set(_EDITABLE))
        if unknown:
            raise InvalidInput(
                f"cannot change {unknown} of an article (allowed: {', '.join(_EDITABLE)})"
            )
        if "html" in changes and changes["html"] is not None and "body" not in changes:
            changes["body"] = html_to_markdown(changes["html"])
        with self._desk._work() as work:
            current = work.uow.kb_articles.get(self._article_id(article))
            fields = dict(changes)
            if "category" in fields:
                fields["category_id"] = self._category_id(work, fields.pop("category"))
            if "owner" in fields:
                fields["owner_id"] = self._owner_id(fields.pop("owner"))
            updated = attrs.evolve(current, **fields)
            if updated == current:
                return current
            if current.is_published:
                self._require(who, _PUBLISHERS, "editing a published article")
            stored = self._save(work, current, updated, who, note, expected_version)
        return self._changed(stored)

    def transition_article(
        self,
        article: ArticleRef,
        action: str,
        *,
        note: str | None = None,
        expected_version: int | None = None,
        actor: ActorLike = None,
    ) -> Article:
        """Move an article along its lifecycle: ``submit``, ``reject``, ``publish``,
        ``unpublish``, ``archive`` or ``restore`` (see ``ARTICLE_TRANSITIONS``).

        Anyone on staff may submit; the others need a supervisor, an admin or the system.
        """
        who = self._actor(actor)
        if action not in ARTICLE_TRANSITIONS:
            raise InvalidInput(
                f"unknown article action {action!r} (use {', '.join(ARTICLE_TRANSITIONS)})"
            )
        roles = _EDITORS if action == "submit" else _PUBLISHERS
        self._require(who, roles, f"the article action {action!r}")
        with self._desk._work() as work:
            current = work.uow.kb_articles.get(self._article_id(article))
            moved = transition_article(current, action, work.now)
            stored = self._save(work, current, moved, who, note or action, expected_version)
        return self._changed(stored)

    def submit_article(self, article: ArticleRef, *, actor: ActorLike = None) -> Article:
        """Send a draft for review."""
        return self.transition_article(article, "submit", actor=actor)

    def publish_article(self, article: ArticleRef, *, actor: ActorLike = None) -> Article:
        """Publish a draft or an article in review: customers can find it."""
        return self.transition_article(article, "publish", actor=actor)

    def unpublish_article(self, article: ArticleRef, *, actor: ActorLike = None) -> Article:
        """Take a published article back to draft."""
        return self.transition_article(article, "unpublish", actor=actor)

    def archive_article(self, article: ArticleRef, *, actor: ActorLike = None) -> Article:
        """Archive an article (kept, never shown)."""
        return self.transition_article(article, "archive", actor=actor)

    def restore_article(self, article: ArticleRef, *, actor: ActorLike = None) -> Article:
        """Bring an archived article back as a draft."""
        return self.transition_article(article, "restore", actor=actor)

    def revert_article(
        self,
        article: ArticleRef,
        version: int,
        *,
        note: str | None = None,
        expected_version: int | None = None,
        actor: ActorLike = None,
    ) -> Article:
        """Make the content (title, body, HTML, questions, tags) of ``version`` current again,
        as a new version; the status stays."""
        who = self._actor(actor)
        self._require(who, _EDITORS, "reverting articles")
        with self._desk._work() as work:
            current = work.uow.kb_articles.get(self._article_id(article))
            old = work.uow.kb_articles.get_version(current.id, version)
            if current.is_published:
                self._require(who, _PUBLISHERS, "reverting a published article")
            reverted = attrs.evolve(
                current,
                title=old.title,
                body=old.body,
                html=old.html,
                questions=old.questions,
                tags=old.tags,
            )
            text = note or f"reverted to version {version}"
            stored = self._save(work, current, reverted, who, text, expected_version)
        return self._changed(stored)

    # ------------------------------------------------------------------ article queries

    def get_article(self, ref: ArticleRef) -> Article:
        """An article by object or id."""
        with self._desk.storage.unit_of_work() as uow:
            return uow.kb_articles.get(self._article_id(ref))

    def find_article(self, key: str, locale: str) -> Article | None:
        """The article of translation group ``key`` in ``locale``, or None."""
        with self._desk.storage.unit_of_work() as uow:
            return uow.kb_articles.find(key, canonical_locale(locale))

    def articles(
        self,
        filter: ArticleFilter | None = None,
        *,
        limit: int = 100,
        after: str | None = None,
        **criteria: Any,
    ) -> list[Article]:
        """Articles matching a filter or keyword criteria (``status=``, ``locale=``,
        ``category_id=``, ``key=``, ``tag=``, ``owner_id=``), ordered by id, paged by
        ``after`` (the last id of the previous page)."""
        flt = _article_filter(filter, criteria)
        with self._desk.storage.unit_of_work() as uow:
            return uow.kb_articles.list(flt, limit=limit, after=after)

    def count_articles(self, filter: ArticleFilter | None = None, **criteria: Any) -> int:
        """How many articles match."""
        flt = _article_filter(filter, criteria)
        with self._desk.storage.unit_of_work() as uow:
            return uow.kb_articles.count(flt)

    def translations(self, article: ArticleRef) -> list[Article]:
        """Every locale of the article's translation group (itself included), by locale."""
        source = self.get_article(article)
        found = self.articles(key=source.key, limit=1000)
        return sorted(found, key=lambda a: a.locale)

    def related_articles(
        self, article: ArticleRef, *, published_only: bool = True
    ) -> list[Article]:
        """The related articles, each in the article's locale when written in it, else in its
        language, else any locale."""
        source = self.get_article(article)
        out: list[Article] = []
        for key in source.related:
            group = [
                a
                for a in self.articles(key=key, limit=1000)
                if a.is_published or not published_only
            ]
            if not group:
                continue
            language = source.locale.split("-")[0]
            group.sort(
                key=lambda a: (
                    a.locale != source.locale,
                    not locale_matches(a.locale, language),
                    a.locale,
                )
            )
            out.append(group[0])
        return out

    def versions(self, article: ArticleRef) -> list[ArticleVersion]:
        """Every version of the article, oldest first."""
        with self._desk.storage.unit_of_work() as uow:
            return uow.kb_articles.versions(self._article_id(article))

    def version(self, article: ArticleRef, number: int) -> ArticleVersion:
        """One version of the article."""
        with self._desk.storage.unit_of_work() as uow:
            return uow.kb_articles.get_version(self._article_id(article), number)

    def diff(self, article: ArticleRef, old: int, new: int | None = None) -> str:
        """The unified diff between two versions (``new`` defaults to the current one)."""
        with self._desk.storage.unit_of_work() as uow:
            article_id = self._article_id(article)
            newest = new if new is not None else uow.kb_articles.get(article_id).version
            return diff_versions(
                uow.kb_articles.get_version(article_id, old),
                uow.kb_articles.get_version(article_id, newest),
            )

    def due_for_review(self, on: date | None = None, *, limit: int = 1000) -> list[Article]:
        """Articles (not archived) whose review date is on or before ``on`` (default: today
        in the desk's time zone), earliest first."""
        day = on if on is not None else self._today()
        if isinstance(day, datetime) or not isinstance(day, date):
            raise InvalidInput(f"on must be a date, not {day!r}")
        with self._desk.storage.unit_of_work() as uow:
            return uow.kb_articles.due_for_review(day, limit=limit)

    def _today(self, now: datetime | None = None) -> date:
        at = now if now is not None else self._desk.now()
        try:
            zone = ZoneInfo(self._desk.settings.timezone)
        except (KeyError, ValueError):
            return to_utc(at).date()
        return at.astimezone(zone).date()

    # ------------------------------------------------------------------ feedback

    def vote(
        self,
        article: ArticleRef,
        helpful: bool,
        *,
        reason: str | None = None,
        voter: str | None = None,
    ) -> ArticleVote:
        """Record "was this helpful?" (with an optional reason); a known ``voter`` (customer
        id, session) changing their mind replaces their earlier vote."""
        with self._desk._work() as work:
            article_id = work.uow.kb_articles.get(self._article_id(article)).id
            vote = ArticleVote(article_id, helpful, work.now, reason=reason, voter=voter)
            return work.uow.kb_feedback.add_vote(vote)

    def record_view(self, article: ArticleRef, count: int = 1) -> int:
        """Count views of an article; return its total."""
        with self._desk._work() as work:
            return work.uow.kb_feedback.add_views(self._article_id(article), count)

    def votes(self, article: ArticleRef, *, limit: int = 100) -> list[ArticleVote]:
        """The article's votes, newest first (reasons included)."""
        with self._desk.storage.unit_of_work() as uow:
            return uow.kb_feedback.votes(self._article_id(article), limit=limit)

    def stats(self, article: ArticleRef) -> ArticleStats:
        """Views and votes of one article."""
        article_id = self._article_id(article)
        return self.stats_many([article_id])[article_id]

    def stats_many(self, articles: Iterable[ArticleRef]) -> dict[str, ArticleStats]:
        """Views and votes of several articles, by id."""
        ids = [self._article_id(a) for a in articles]
        with self._desk.storage.unit_of_work() as uow:
            return uow.kb_feedback.stats(ids)

    # ------------------------------------------------------------------ search

    def _hits(self, found: Sequence[Any]) -> list[ArticleHit]:
        if not found:
            return []
        with self._desk.storage.unit_of_work() as uow:
            articles = uow.kb_articles.get_many([h.doc_id for h in found])
        hits = []
        for hit in found:
            article = articles.get(hit.doc_id)
            if article is not None and article.is_published:  # another process may lag
                hits.append(ArticleHit(article, float(hit.score)))
        return hits

    def search(
        self,
        query: str,
        *,
        locale: str | None = None,
        limit: int = 10,
        record_unanswered: bool = True,
    ) -> list[ArticleHit]:
        """Published articles best matching ``query``, best first.

        A query with words but no hit (or a best hit below ``min_score``) is recorded as
        unanswered. Empty, punctuation-only and emoji-only queries return [] and are not
        recorded; non-str queries and bad limits raise InvalidInput.
        """
        check_limit(limit)
        with self._lock:
            index = self.index
            self._maybe_refresh()
            found = index.search(query, limit=limit, locale=locale)
        hits = self._hits(found)
        if record_unanswered and (not hits or hits[0].score < self.min_score):
            self._record_unanswered(query, locale)
        return hits

    def _record_unanswered(self, query: str, locale: str | None) -> None:
        from helpdesk_kit.kb.unanswered import normalize_query

        if not normalize_query(query) or not self._tokenizer().tokens(query[:1000]):
            return
        try:
            with self._desk._work() as work:
                work.uow.kb_searches.record_unanswered(query, locale, work.now)
        except HelpdeskError:  # the search itself worked; a full disk must not hide it
            log.exception("could not record an unanswered search")

    def _tokenizer(self) -> Tokenizer:
        tokenizer = getattr(self._index, "tokenizer", None)
        if isinstance(tokenizer, Tokenizer):
            return tokenizer
        from helpdesk_kit.kb.search import DEFAULT_TOKENIZER

        return DEFAULT_TOKENIZER

    def suggest(
        self, prefix: str, *, locale: str | None = None, limit: int = 5
    ) -> list[ArticleHit]:
        """Search as you type: the unfinished last word matches the words it starts
        (``"退"`` → 退货, 退款; ``"passw"`` → password) and, from four letters, words one
        typo away. Never recorded as unanswered."""
        check_limit(limit)
        with self._lock:
            index = self.index
            self._maybe_refresh()
            suggest = getattr(index, "suggest", None)
            if suggest is not None:
                found = suggest(prefix, limit=limit, locale=locale)
            else:
                found = index.search(prefix, limit=limit, locale=locale)
        return self._hits(found)

    def suggest_for_text(
        self, text: str, *, locale: str | None = None, limit: int = 5
    ) -> list[ArticleHit]:
        """The best published articles for a ticket's subject and message (in ``locale``'s
        language when any article matches there, else in any)."""
        if not isinstance(text, str):
            raise InvalidInput(f"text must be a str, not {type(text).__name__}")
        wanted = locale.split("-")[0] if isinstance(locale, str) and locale.strip() else None
        hits = self.search(text, locale=wanted, limit=limit, record_unanswered=False)
        if not hits and wanted is not None:
            hits = self.search(text, limit=limit, record_unanswered=False)
        return hits

    def unanswered_queries(
        self, *, since: datetime | date | None = None, limit: int = 20
    ) -> list[UnansweredQuery]:
        """The most frequent searches without a good answer (counted per UTC day, so
        ``since`` counts from the start of its day), most frequent first."""
        start: datetime | None = None
        if isinstance(since, datetime):
            start = ensure_aware(since, "since")
        elif isinstance(since, date):
            start = datetime(since.year, since.month, since.day, tzinfo=UTC)
        elif since is not None:
            raise InvalidInput(f"since must be a date or an aware datetime, not {since!r}")
        with self._desk.storage.unit_of_work() as uow:
            return uow.kb_searches.unanswered(since=start, limit=limit)

    # ------------------------------------------------------------------ import and export

    def import_documents(
        self,
        documents: Iterable[ArticleDocument],
        *,
        status: ArticleStatus | str = ArticleStatus.DRAFT,
        category_names: Mapping[str, tuple[str, Mapping[str, str]]] | None = None,
        actor: ActorLike = None,
    ) -> ImportReport:
        """Create or update articles from documents (matched by key and locale).

        A document without a status gets ``status``. Missing categories are created
        (named from ``category_names``: key -> (name, {locale: name}), else from the key).
        Owners are matched by agent e-mail or id; an unknown owner is reported in
        ``problems`` and left out. Unchanged articles are left alone (no new version).
        """
        who = self._actor(actor)
        default = ArticleStatus(status)
        documents = list(documents)
        _check_documents(documents)  # all or nothing: no half-done import
        report = ImportReport()
        staff = self._desk.agents()
        agents = {a.email.casefold(): a.id for a in staff if a.email}
        agent_ids = {a.id for a in staff}
        for doc in documents:
            label = f"{doc.key} ({doc.locale})"
            category_id = None
            if doc.category:
                category_id = self._import_category(doc.category, category_names, report, who)
            owner = None
            if doc.owner:
                owner = agents.get(doc.owner.casefold()) or (
                    doc.owner if doc.owner in agent_ids else None
                )
                if owner is None:
                    report.problems.append(f"{label}: unknown owner {doc.owner!r} left out")
            fields: dict[str, Any] = {
                "title": doc.title,
                "body": doc.body,
                "html": doc.html,
                "questions": doc.questions,
                "tags": doc.tags,
                "category": category_id,
                "related": doc.related,
                "attachments": doc.attachments,
                "owner": owner,
                "review_by": doc.review_by,
            }
            target = doc.status or default
            existing = self.find_article(doc.key, doc.locale)
            if existing is None:
                created = self.create_article(
                    key=doc.key, locale=doc.locale, note="imported", actor=who, **fields
                )
                for action in _STATUS_PATH[target]:
                    self.transition_article(created, action, note="imported", actor=who)
                report.created.append(label)
                continue
            changed = self.edit_article(existing, note="imported", actor=who, **fields)
            moved = changed
            if doc.status is not None and changed.status is not doc.status:
                moved = self._move_to(changed, doc.status, who)
            (report.updated if moved != existing else report.unchanged).append(label)
        return report

    def _move_to(self, article: Article, target: ArticleStatus, who: Actor) -> Article:
        path: list[str] = []
        if article.status is ArticleStatus.ARCHIVED:
            path.append("restore")
        elif article.status is ArticleStatus.PUBLISHED and target is not ArticleStatus.ARCHIVED:
            path.append("unpublish")
        elif article.status is ArticleStatus.IN_REVIEW and target is ArticleStatus.DRAFT:
            path.append("reject")
        path += list(_STATUS_PATH[target])
        for action in path:
            article = self.transition_article(article, action, note="imported", actor=who)
        return article

    def _import_category(
        self,
        key: str,
        names: Mapping[str, tuple[str, Mapping[str, str]]] | None,
        report: ImportReport,
        who: Actor,
    ) -> str:
        with self._desk.storage.unit_of_work() as uow:
            found = uow.kb_categories.get_by_key(key)
        if found is not None:
            return found.id
        name, translations = (names or {}).get(key, (key.replace("-", " ").capitalize(), {}))
        try:
            created = self.add_category(key, name, names=translations, actor=who)
        except AlreadyExists:  # another import made it meanwhile
            return self.get_category(key).id
        report.categories.append(key)
        return created.id

    def import_starter(
        self, *, status: ArticleStatus | str = ArticleStatus.PUBLISHED, actor: ActorLike = None
    ) -> ImportReport:
        """Import the starter FAQ pack (26 FAQs in English and Chinese) with its categories;
        published by default. Running it again changes nothing."""
        names = {key: (en, {"zh-CN": zh}) for key, (en, zh) in STARTER_CATEGORIES.items()}
        return self.import_documents(
            starter_documents(), status=status, category_names=names, actor=actor
        )

    def export_documents(self, filter: ArticleFilter | None = None) -> list[ArticleDocument]:
        """Every article (matching ``filter``) as a document, by key and locale."""
        with self._desk.storage.unit_of_work() as uow:
            articles = self._all(uow, filter or ArticleFilter())
            categories = {c.id: c.key for c in uow.kb_categories.list()}
        emails = {a.id: a.email for a in self._desk.agents() if a.email}
        docs = [
            ArticleDocument(
                key=a.key,
                locale=a.locale,
                title=a.title,
                body=a.body,
                status=a.status,
                category=categories.get(a.category_id) if a.category_id else None,
                tags=tuple(sorted(a.tags)),
                questions=a.questions,
                related=a.related,
                review_by=a.review_by,
                owner=emails.get(a.owner_id, a.owner_id) if a.owner_id else None,
                attachments=a.attachments,
            )
            for a in articles
        ]
        return sorted(docs, key=lambda d: (d.key, d.locale))

    def export_categories(self) -> str:
        """The categories as JSON (parents by key), for :meth:`import_categories`."""
        categories = self.categories()
        keys = {c.id: c.key for c in categories}
        rows = [
            {
                "key": c.key,
                "name": c.name,
                "parent": keys.get(c.parent_id) if c.parent_id else None,
                "description": c.description,
                "position": c.position,
                "names": c.names,
            }
            for c in categories
        ]
        return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"

    def import_categories(self, text: str, *, actor: ActorLike = None) -> list[str]:
        """Create or update categories from :meth:`export_categories` JSON; return the keys
        created."""
        try:
            rows = json.loads(text)
        except ValueError as exc:
            raise InvalidInput(f"categories file is not JSON: {exc}") from None
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise InvalidInput("categories file must be a JSON list of objects")
        created: list[str] = []
        pending = list(rows)
        while pending:  # parents first, whatever the order in the file
            progress = False
            for row in list(pending):
                parent = row.get("parent")
                if parent and self._category_or_none(parent) is None:
                    continue
                fields = {
                    "name": row.get("name") or row.get("key"),
                    "parent": parent or None,
                    "description": row.get("description") or "",
                    "position": int(row.get("position") or 0),
                    "names": row.get("names") or {},
                }
                existing = self._category_or_none(str(row.get("key")))
                if existing is None:
                    self.add_category(str(row.get("key")), actor=actor, **fields)
                    created.append(str(row.get("key")))
                else:
                    self.update_category(existing, actor=actor, **fields)
                pending.remove(row)
                progress = True
            if not progress:
                keys = ", ".join(str(r.get("key")) for r in pending)
                raise InvalidInput(f"categories with unknown parents (or a cycle): {keys}")
        return created

    def _category_or_none(self, key: str) -> Category | None:
        with self._desk.storage.unit_of_work() as uow:
            return uow.kb_categories.get_by_key(key)


def _check_documents(documents: Sequence[ArticleDocument]) -> None:
    """Raise InvalidDefinition listing every document that would not make a valid article."""
    problems: list[str] = []
    for doc in documents:
        try:
            Article(
                key=doc.key,
                locale=doc.locale,
                title=doc.title,
                body=doc.body,
                html=doc.html,
                tags=doc.tags,
                questions=doc.questions,
                related=doc.related,
                attachments=doc.attachments,
                review_by=doc.review_by,
            )
        except HelpdeskError as exc:
            problems.append(f"{doc.key} ({doc.locale}): {exc}")
    if problems:
        raise InvalidDefinition("the articles to import", problems)


def _document(article: Article) -> SearchDocument:
    return SearchDocument(
        doc_id=article.id,
        title=article.title,
        body=article.search_text(),
        locale=article.locale,
        questions=article.questions,
    )


def _article_filter(filter: ArticleFilter | None, criteria: Mapping[str, Any]) -> ArticleFilter:
    if filter is not None and criteria:
        raise InvalidInput("give an ArticleFilter or keyword criteria, not both")
    if filter is not None:
        return filter
    try:
        return ArticleFilter(**criteria)
    except TypeError as exc:
        raise InvalidInput(f"unknown article filter: {exc}") from None


def _review_sweeper(desk: Helpdesk, now: datetime) -> list[Article]:
    """The ``kb_review`` sweeper: articles due for review on the sweep's day."""
    return desk.kb.due_for_review(desk.kb._today(now))


class KnowledgeBaseCommands:
    """The knowledge base's entry points on the desk itself (``desk.search_articles``, ...)."""

    kb: KnowledgeBase

    def search_articles(
        self, query: str, *, locale: str | None = None, limit: int = 10
    ) -> list[ArticleHit]:
        """Search published articles (see :meth:`KnowledgeBase.search`); searches without a
        good answer are recorded for :meth:`unanswered_queries`."""
        return self.kb.search(query, locale=locale, limit=limit)

    def suggest_as_you_type(
        self, prefix: str, locale: str | None = None, *, limit: int = 5
    ) -> list[ArticleHit]:
        """Help-centre suggestions for text still being typed (:meth:`KnowledgeBase.suggest`)."""
        return self.kb.suggest(prefix, locale=locale, limit=limit)

    def unanswered_queries(
        self, *, since: datetime | date | None = None, limit: int = 20
    ) -> list[UnansweredQuery]:
        """The most frequent searches the knowledge base had no good answer for."""
        return self.kb.unanswered_queries(since=since, limit=limit)
