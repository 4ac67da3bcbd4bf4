"""Articles as files: Markdown with front matter (import and export) and exported HTML pages.

The format is the starter pack's::

    ---
    key: refund-time
    locale: en
    title: When will I get my refund?
    status: published
    category: returns
    tags:
      - refund
    questions:
      - How long does a refund take?
    related:
      - return-policy
    review_by: 2026-12-31
    owner: ann@shop.example
    attachments:
      - refund-form.pdf | application/pdf | 48213 | https://cdn.example/refund-form.pdf
    ---
    We check returned items within 1–3 working days ...

Only ``title`` is required. Without front matter, the first ``# heading`` is the title
(Notion's Markdown export). The key and locale not given in the file come from the caller
(file name, folder), else the key is made from the title and the locale detected from the
text. HTML pages (Confluence, Notion exports) become Markdown through
:func:`~helpdesk_kit.kb.html2md.convert_page`. Everything here is pure: reading folders is
the desk's job (:mod:`helpdesk_kit.desk.kb_files`).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import attrs

from helpdesk_kit.errors import InvalidDefinition, InvalidInput
from helpdesk_kit.kb.frontmatter import FrontMatterValue, format_front_matter, parse_front_matter
from helpdesk_kit.kb.html2md import convert_page
from helpdesk_kit.kb.model import (
    MAX_KEY_CHARS,
    ArticleStatus,
    canonical_locale,
    check_key,
    slugify,
)
from helpdesk_kit.kb.sanitize import sanitize_markdown
from helpdesk_kit.tickets.model import AttachmentMeta

__all__ = [
    "ArticleDocument",
    "detect_locale",
    "document_from_html",
    "key_from_filename",
    "parse_article_document",
    "render_article_document",
]

_KNOWN = (
    "key",
    "locale",
    "title",
    "status",
    "category",
    "tags",
    "questions",
    "related",
    "review_by",
    "owner",
    "attachments",
)
_LIST_KEYS = frozenset({"tags", "questions", "related", "attachments"})
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_NOTION_ID = re.compile(r"[\s_-]+[0-9a-f]{32}$")  # "Refund policy 0f3c...9a1b.md"
_CONFLUENCE_ID = re.compile(r"_\d{3,}$")  # "Refund-policy_98765.html"
_HEADING = re.compile(r"^#[ \t]+(.+?)[ \t#]*$")


@attrs.frozen
class ArticleDocument:
    """An article as a file holds it: content and metadata, with names instead of ids.

    ``category`` is a category key, ``owner`` an agent's e-mail or id, ``related`` article
    keys; ``status`` None means "the importer decides".
    """

    key: str = attrs.field(converter=check_key)
    locale: str = attrs.field(converter=canonical_locale)
    title: str
    body: str = ""
    status: ArticleStatus | None = None
    category: str | None = None
    tags: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    review_by: date | None = None
    owner: str | None = None
    attachments: tuple[AttachmentMeta, ...] = ()
    html: str | None = None


def detect_locale(text: str) -> str:
    """Return ``"zh-CN"`` for mostly-Chinese text, else ``"en"`` (a guess for imports)."""
    han = len(_HAN.findall(text[:20_000]))
    latin = len(_LATIN.findall(text[:20_000]))
    return "zh-CN" if han and han * 3 >= latin else "en"


def key_from_filename(name: str) -> str:
    """Return an article key from a file name: no extension, no Notion or Confluence page id,
    slugified: ``"Refund policy 0f3c...9a1b.md"`` and ``"Refund-policy_98765.html"`` ->
    ``"refund-policy"``.
    """
    stem = re.sub(r"\.(md|markdown|html?|txt)$", "", name, flags=re.I)
    stem = _CONFLUENCE_ID.sub("", _NOTION_ID.sub("", stem))
    return slugify(stem)


def _list(meta: dict[str, FrontMatterValue], name: str, problems: list[str]) -> tuple[str, ...]:
    value = meta.get(name, [])
    if isinstance(value, str):
        problems.append(f"{name} must be a list (one '- item' per line)")
        return ()
    return tuple(v.strip() for v in value if v.strip())


def _attachment(text: str, problems: list[str]) -> AttachmentMeta | None:
    parts = [p.strip() for p in text.split(" | ")]
    if not parts[0]:
        problems.append(f"attachment {text!r} has no file name")
        return None
    size = 0
    if len(parts) > 2 and parts[2]:
        if not parts[2].isdigit():
            problems.append(f"attachment {text!r}: size {parts[2]!r} is not a number")
            return None
        size = int(parts[2])
    return AttachmentMeta(
        filename=parts[0],
        content_type=parts[1] if len(parts) > 1 and parts[1] else "application/octet-stream",
        size=size,
        url=parts[3] if len(parts) > 3 and parts[3] else None,
    )


def parse_article_document(
    text: str,
    *,
    source: str = "article",
    key: str | None = None,
    locale: str | None = None,
) -> ArticleDocument:
    """Read an article from Markdown (front matter optional); problems raise InvalidDefinition.

    ``key`` and ``locale`` are used when the front matter has none.
    """
    if not isinstance(text, str):
        raise InvalidInput(f"article text must be a str, not {type(text).__name__}")
    meta, body = parse_front_matter(text, source=source)
    problems = [
        f"unknown key {name!r} (known: {', '.join(_KNOWN)})" for name in meta if name not in _KNOWN
    ]
    scalars: dict[str, str] = {}
    for name in _KNOWN:
        value = meta.get(name)
        if name in _LIST_KEYS or value is None:
            continue
        if isinstance(value, list):
            problems.append(f"{name} must be a single value, not a list")
        else:
            scalars[name] = value.strip()
    title = scalars.get("title", "")
    if not title:
        lines = body.lstrip("\n").split("\n", 1)
        heading = _HEADING.match(lines[0]) if lines else None
        if heading:
            title = heading.group(1).strip()
            body = lines[1].lstrip("\n") if len(lines) > 1 else ""
    if not title:
        problems.append("no title (give 'title:' in the front matter or start with '# Title')")
    status: ArticleStatus | None = None
    if scalars.get("status"):
        try:
            status = ArticleStatus(scalars["status"])
        except ValueError:
            known = ", ".join(s.value for s in ArticleStatus)
            problems.append(f"status {scalars['status']!r} is not one of {known}")
    review_by: date | None = None
    if scalars.get("review_by"):
        try:
            review_by = date.fromisoformat(scalars["review_by"])
        except ValueError:
            problems.append(f"review_by {scalars['review_by']!r} is not a YYYY-MM-DD date")
    attachments = tuple(
        a
        for a in (_attachment(t, problems) for t in _list(meta, "attachments", problems))
        if a is not None
    )
    fields: dict[str, Any] = {
        "tags": _list(meta, "tags", problems),
        "questions": _list(meta, "questions", problems),
        "related": _list(meta, "related", problems),
    }
    chosen_key = scalars.get("key") or key or (slugify(title)[:MAX_KEY_CHARS] if title else "")
    chosen_locale = scalars.get("locale") or locale or detect_locale(title + "\n" + body)
    if problems:
        raise InvalidDefinition(source, problems)
    try:
        return ArticleDocument(
            key=chosen_key,
            locale=chosen_locale,
            title=title,
            body=sanitize_markdown(body),
            status=status,
            category=scalars.get("category") or None,
            review_by=review_by,
            owner=scalars.get("owner") or None,
            attachments=attachments,
            **fields,
        )
    except InvalidInput as exc:
        raise InvalidDefinition(source, [str(exc)]) from None


def document_from_html(
    html: str,
    *,
    source: str = "page",
    key: str | None = None,
    locale: str | None = None,
) -> ArticleDocument:
    """Read an article from an HTML page (a Confluence or Notion export): clean Markdown.

    The sanitized HTML is kept in ``html``; the title comes from the page (see
    :func:`~helpdesk_kit.kb.html2md.convert_page`), else from ``key``.
    """
    page = convert_page(html)
    title = page.title or (key.replace("-", " ").capitalize() if key else "")
    if not title:
        raise InvalidDefinition(source, ["the page has no title (no <title> and no <h1>)"])
    try:
        return ArticleDocument(
            key=key or slugify(title),
            locale=locale or detect_locale(title + "\n" + page.markdown),
            title=title,
            body=page.markdown,
            html=page.html,
        )
    except InvalidInput as exc:
        raise InvalidDefinition(source, [str(exc)]) from None


def render_article_document(doc: ArticleDocument) -> str:
    """Return the Markdown file for ``doc`` (``parse_article_document`` reads it back equal)."""
    meta: dict[str, FrontMatterValue] = {"key": doc.key, "locale": doc.locale, "title": doc.title}
    if doc.status is not None:
        meta["status"] = doc.status.value
    if doc.category:
        meta["category"] = doc.category
    for name in ("tags", "questions", "related"):
        values: tuple[str, ...] = getattr(doc, name)
        if values:
            meta[name] = list(values)
    if doc.review_by is not None:
        meta["review_by"] = doc.review_by.isoformat()
    if doc.owner:
        meta["owner"] = doc.owner
    if doc.attachments:
        meta["attachments"] = [
            " | ".join([a.filename, a.content_type, str(a.size), a.url or ""]).rstrip(" |")
            for a in doc.attachments
        ]
    body = doc.body.strip("\n")
    return format_front_matter(meta, body + "\n" if body else "")
