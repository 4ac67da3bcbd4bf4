"""Importing and exporting the knowledge base as a folder of Markdown files.

Export layout (what :func:`export_directory` writes and :func:`import_directory` reads
back unchanged)::

    DIR/categories.json          the category tree (parents by key)
    DIR/en/refund-time.md        one article: front matter + Markdown body
    DIR/zh-CN/refund-time.md     its translation

Import also takes folders exported from Confluence (HTML pages) or Notion (Markdown or
HTML, file names ending in a 32-digit id): every ``*.md``, ``*.markdown``, ``*.html`` and
``*.htm`` below the folder is read; files and folders starting with ``.`` or ``_`` are
skipped. An article's key is its front matter's ``key``, else the file name; its locale
the front matter's ``locale``, else the ``locale`` argument, else the name of a first-level
folder that looks like a locale (``en``, ``zh-CN``), else a guess from the text. Every
file is read and checked before anything is stored: problems in any file raise one
:class:`~helpdesk_kit.errors.InvalidDefinition` listing them all.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from helpdesk_kit.errors import HelpdeskError, InvalidDefinition, InvalidInput
from helpdesk_kit.kb.documents import (
    ArticleDocument,
    document_from_html,
    key_from_filename,
    parse_article_document,
    render_article_document,
)
from helpdesk_kit.kb.model import ArticleFilter, ArticleStatus, canonical_locale

if TYPE_CHECKING:
    from helpdesk_kit.desk.kb import ActorLike, ImportReport
    from helpdesk_kit.desk.service import Helpdesk

__all__ = ["MAX_FILE_BYTES", "export_directory", "import_directory", "read_directory"]

#: Files larger than this are refused (an article, not a data dump).
MAX_FILE_BYTES = 5_000_000
CATEGORIES_FILE = "categories.json"
_MARKDOWN = (".md", ".markdown")
_HTML = (".html", ".htm")
_LOCALE_FOLDER = re.compile(r"^[A-Za-z]{2}(?:[-_][A-Za-z0-9]{2,8})*$")


def _folder_locale(root: Path, path: Path) -> str | None:
    parts = path.relative_to(root).parts
    if len(parts) >= 2 and _LOCALE_FOLDER.match(parts[0]):
        return canonical_locale(parts[0])
    return None


def _skipped(root: Path, path: Path) -> bool:
    return any(part.startswith((".", "_")) for part in path.relative_to(root).parts)


def read_directory(
    path: str | Path, *, locale: str | None = None
) -> tuple[list[ArticleDocument], str | None]:
    """Read every article file below ``path``; return the documents and the categories JSON
    (None without ``categories.json``). Raises InvalidDefinition listing every problem."""
    root = Path(path)
    if not root.is_dir():
        raise InvalidInput(f"{str(root)!r} is not a folder")
    wanted = canonical_locale(locale) if locale is not None else None
    documents: list[ArticleDocument] = []
    problems: list[str] = []
    seen: dict[tuple[str, str], str] = {}
    for file in sorted(root.rglob("*")):
        if not file.is_file() or _skipped(root, file):
            continue
        suffix = file.suffix.lower()
        if suffix not in _MARKDOWN + _HTML:
            continue
        name = str(file.relative_to(root))
        if file.stat().st_size > MAX_FILE_BYTES:
            problems.append(f"{name}: larger than {MAX_FILE_BYTES:,} bytes")
            continue
        try:
            text = file.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            problems.append(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})")
            continue
        chosen = wanted or _folder_locale(root, file)
        key = key_from_filename(file.name)
        try:
            if suffix in _MARKDOWN:
                doc = parse_article_document(text, source=name, key=key, locale=chosen)
            else:
                doc = document_from_html(text, source=name, key=key, locale=chosen)
        except InvalidDefinition as exc:
            problems += [f"{name}: {p}" for p in exc.problems]
            continue
        except HelpdeskError as exc:
            problems.append(f"{name}: {exc}")
            continue
        pair = (doc.key, doc.locale)
        if pair in seen:
            problems.append(f"{name}: key {doc.key!r} in {doc.locale} is also in {seen[pair]}")
            continue
        seen[pair] = name
        documents.append(doc)
    categories_file = root / CATEGORIES_FILE
    categories = categories_file.read_text("utf-8") if categories_file.is_file() else None
    if problems:
        raise InvalidDefinition(f"the articles in {str(root)!r}", problems)
    return documents, categories


def import_directory(
    desk: Helpdesk,
    path: str | Path,
    *,
    status: ArticleStatus | str = ArticleStatus.DRAFT,
    locale: str | None = None,
    actor: ActorLike = None,
) -> ImportReport:
    """Import a folder of articles (see the module doc); articles without a ``status`` in
    their front matter get ``status``. Nothing is stored when any file has a problem."""
    documents, categories = read_directory(path, locale=locale)
    created: list[str] = []
    if categories is not None:
        created = desk.kb.import_categories(categories, actor=actor)
    report = desk.kb.import_documents(documents, status=status, actor=actor)
    report.categories[:0] = created
    return report


def export_directory(
    desk: Helpdesk, path: str | Path, *, filter: ArticleFilter | None = None
) -> int:
    """Write every article (matching ``filter``) and the categories to ``path``; return the
    number of articles written. Existing files of the same names are replaced."""
    root = Path(path)
    root.mkdir(parents=True, exist_ok=True)
    (root / CATEGORIES_FILE).write_text(desk.kb.export_categories(), "utf-8")
    count = 0
    for doc in desk.kb.export_documents(filter):
        folder = root / doc.locale
        folder.mkdir(exist_ok=True)
        (folder / f"{doc.key}.md").write_text(render_article_document(doc), "utf-8")
        count += 1
    return count
