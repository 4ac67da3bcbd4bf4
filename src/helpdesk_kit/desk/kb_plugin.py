"""The knowledge base's built-in plugin: search backends and article suggestions for tickets.

Registered by every desk (as ``helpdesk_kit.kb``; block it with
``HELPDESK_KIT_DISABLE_PLUGINS=helpdesk_kit.kb`` to replace both):

- ``register_search_backends``: ``bm25`` (the in-memory :class:`~helpdesk_kit.kb.SearchIndex`,
  the default), ``sqlite-fts5`` and ``postgresql-fts`` (in the desk's own database unless a
  ``url`` option names another one);
- ``suggest_articles``: the best published articles for a ticket's subject and message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from helpdesk_kit.errors import ConfigurationError
from helpdesk_kit.kb.search import SearchIndex
from helpdesk_kit.plugins import hookimpl
from helpdesk_kit.tickets.model import Ticket

if TYPE_CHECKING:
    from helpdesk_kit.desk.service import Helpdesk

__all__ = [
    "bm25_backend",
    "fts5_backend",
    "postgres_backend",
    "register_search_backends",
    "suggest_articles",
]


def bm25_backend(desk: Helpdesk, **options: Any) -> SearchIndex:
    """``bm25``: the in-memory BM25F index (options: tokenizer, k1, b, weights, fuzzy)."""
    return SearchIndex(**options)


def _storage_engine(desk: Helpdesk, dialect: str) -> Any:
    storage = desk.storage
    if getattr(storage, "dialect", None) == dialect:
        return getattr(storage, "engine", None)
    return None


def fts5_backend(desk: Helpdesk, *, url: str | None = None, table: str = "kb_search") -> Any:
    """``sqlite-fts5``: FTS5 tables in ``url``, else in the desk's SQLite database, else in a
    private in-memory SQLite database."""
    from helpdesk_kit.storage.sql.search import Fts5SearchIndex

    target = url or _storage_engine(desk, "sqlite") or "sqlite://"
    return Fts5SearchIndex(target, table=table)


def postgres_backend(desk: Helpdesk, *, url: str | None = None, table: str = "kb_search") -> Any:
    """``postgresql-fts``: a tsvector table in ``url``, else in the desk's PostgreSQL database."""
    from helpdesk_kit.storage.sql.search import PostgresSearchIndex

    target = url or _storage_engine(desk, "postgresql")
    if target is None:
        raise ConfigurationError(
            "the postgresql-fts search backend needs a PostgreSQL desk or the option "
            "url='postgresql+psycopg://...'"
        )
    return PostgresSearchIndex(target, table=table)


@hookimpl(trylast=True)
def register_search_backends(register: Callable[[str, Callable[..., Any]], None]) -> None:
    """Register ``bm25``, ``sqlite-fts5`` and ``postgresql-fts``."""
    register("bm25", bm25_backend)
    register("sqlite-fts5", fts5_backend)
    register("postgresql-fts", postgres_backend)


@hookimpl
def suggest_articles(desk: Helpdesk, ticket: Ticket, text: str, limit: int) -> Sequence[Any]:
    """The desk's own published articles for the ticket (in its language when possible)."""
    return desk.kb.suggest_for_text(text, locale=ticket.language, limit=limit)
