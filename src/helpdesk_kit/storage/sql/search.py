"""Knowledge-base search in the database: SQLite FTS5 and PostgreSQL full text.

Both index text tokenized by helpdesk_kit itself (:data:`~helpdesk_kit.kb.search.DEFAULT_TOKENIZER`:
Chinese as character unigrams and bigrams, English case-folded and stemmed, stop words
dropped), joined by spaces: neither database segments Chinese, so its own tokenizer only
splits the text at those spaces. Queries are tokenized the same way and any query token
matches (OR); ranking is BM25-like with title and alternative questions weighing three
times the body, as in :class:`~helpdesk_kit.kb.search.SearchIndex`.

- :class:`Fts5SearchIndex`: an FTS5 table (``unicode61`` with the characters our tokens may
  hold, ``. , @ % + - _``, as token characters) plus a table mapping document ids to FTS
  rows; ranked with FTS5's ``bm25()`` and column weights 3, 3, 1.
- :class:`PostgresSearchIndex`: one table with a ``tsvector`` column (GIN index), built with
  the ``simple`` configuration, title as weight A, questions B, body D; the score of a
  match is ``sum over query tokens of idf(token) * ts_rank(weights {D 0.34, B 1, A 1},
  doc, token, normalization 1)``, with ``idf = ln(1 + (N - df + 0.5) / (df + 0.5))``
  computed in the same statement (``ts_rank`` alone has no notion of rare words).

Their tables are derived data (the articles are the truth), so the backends create them
when first used (``CREATE ... IF NOT EXISTS``) instead of through a migration; by default
in the desk's own database, under the table name prefix ``kb_search``.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from helpdesk_kit.errors import ConfigurationError, NotFound
from helpdesk_kit.kb.backend import (
    SearchDocument,
    check_document,
    check_limit,
    check_locale,
    check_query,
    normalize_locale,
)
from helpdesk_kit.kb.search import (
    DEFAULT_TOKENIZER,
    MAX_QUERY_CHARS,
    MAX_QUERY_TOKENS,
    SearchHit,
)
from helpdesk_kit.storage.sql.engine import make_engine, translate_error
from helpdesk_kit.text import Tokenizer
from helpdesk_kit.text.stem import stem as stem_word
from helpdesk_kit.text.stopwords import STOP_WORDS

__all__ = ["Fts5SearchIndex", "PostgresSearchIndex"]

_TABLE = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")
_BACKOFF_CHARS = 3  # queries with more Chinese characters than this drop covered ones


def _is_han_char(term: str) -> bool:
    return len(term) == 1 and "\u3400" <= term <= "\U0003134f"


_WEIGHTS = (3.0, 3.0, 1.0)  # title, questions, body


def _check_table(name: str) -> str:
    if not isinstance(name, str) or not _TABLE.match(name):
        raise ConfigurationError(
            f"search table prefix must be lower-case letters, digits and '_' "
            f"(at most 41, starting with a letter), not {name!r}"
        )
    return name


def _like_prefix(locale: str) -> str:
    return locale.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "-%"


class _SqlIndex:
    """Input checks, tokenization and connection handling shared by the SQL backends."""

    dialect = ""

    def __init__(self, engine: Engine | str, *, table: str = "kb_search") -> None:
        self._owns_engine = isinstance(engine, str)
        if isinstance(engine, str):
            engine = make_engine(engine)
        if engine.dialect.name != self.dialect:
            if self._owns_engine:
                engine.dispose()
            raise ConfigurationError(
                f"{type(self).__name__} needs a {self.dialect} database, not {engine.dialect.name}"
            )
        self.engine = engine
        self.table = _check_table(table)
        self._tokenizer: Tokenizer = DEFAULT_TOKENIZER.resolved()
        self._raw = attrs.evolve(self._tokenizer, stem=False, drop_stopwords=False)
        self._lock = threading.Lock()
        self._ready = False

    def close(self) -> None:
        """Release the engine's connections if this index made the engine (from a URL)."""
        if self._owns_engine:
            self.engine.dispose()

    # -- plumbing

    def _write(self) -> Any:
        self._ensure_schema()
        return self.engine.begin()

    def _read(self) -> Any:
        self._ensure_schema()
        return self.engine.connect()

    def _ensure_schema(self) -> None:
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            try:
                with self.engine.begin() as conn:
                    self._create(conn)
            except DBAPIError as exc:
                raise translate_error(exc, "search index") from exc
            self._ready = True

    def _create(self, conn: Connection) -> None:
        raise NotImplementedError

    def _run(self, conn: Connection, sql: str, params: Any = None) -> Any:
        try:
            return conn.execute(text(sql), params or {})
        except DBAPIError as exc:
            raise translate_error(exc, "search index") from exc

    def _joined(self, value: str) -> str:
        return " ".join(self._tokenizer.tokens(value))

    def _query_tokens(self, query: str) -> list[str]:
        tokens = self._tokenizer.tokens(query[:MAX_QUERY_CHARS])
        if sum(map(_is_han_char, tokens)) > _BACKOFF_CHARS:
            tokens = self._unigram_backoff(tokens)
        return list(dict.fromkeys(tokens))[:MAX_QUERY_TOKENS]

    def _unigram_backoff(self, tokens: list[str]) -> list[str]:
        """Drop a Chinese character from a long query when a bigram holding it is indexed.

        As :class:`~helpdesk_kit.kb.search.SearchIndex` does: common characters match a
        large share of the articles, so ranking them costs much for little; a character
        that no indexed bigram covers stays ("券" in "券用不上" still finds "优惠券").
        """
        bigrams = {t for t in tokens if len(t) == 2 and _is_han_char(t[0]) and _is_han_char(t[1])}
        with self._read() as conn:
            known = self._indexed(conn, sorted(bigrams)) if bigrams else set()
        kept: list[str] = []
        last = len(tokens) - 1
        for i, token in enumerate(tokens):
            if _is_han_char(token):
                before = tokens[i - 1] if i > 0 else ""
                after = tokens[i + 1] if i < last else ""
                if (before in known and before[1] == token) or (
                    after in known and after[0] == token
                ):
                    continue
            kept.append(token)
        return kept

    def _indexed(self, conn: Connection, terms: list[str]) -> set[str]:
        """Which of ``terms`` some indexed document holds."""
        raise NotImplementedError

    def _prefix_tokens(self, prefix: str) -> tuple[list[str], str | None, str | None]:
        """Finished query tokens, and the unfinished last word (raw and stemmed), if any."""
        raw = self._raw.tokens(prefix[:MAX_QUERY_CHARS])
        if not raw:
            return [], None, None
        finished = not prefix.rstrip("\u200b")[-1:].isalnum()
        last = None if finished else raw.pop()
        done = [
            stem_word(t) if self._tokenizer.stem else t
            for t in raw
            if not (self._tokenizer.drop_stopwords and t in STOP_WORDS)
        ]
        tokens = list(dict.fromkeys(done))[: MAX_QUERY_TOKENS - 1]
        if last is None:
            return tokens, None, None
        stemmed = stem_word(last) if self._tokenizer.stem and last.isascii() else last
        return tokens, last, stemmed

    # -- the backend protocol

    def add(
        self,
        doc_id: str,
        title: str,
        body: str = "",
        *,
        locale: str | None = None,
        questions: Sequence[str] = (),
    ) -> None:
        """Index a document; a document with the same ``doc_id`` is replaced."""
        qs = check_document(doc_id, title, body, locale, questions)
        with self._write() as conn:
            self._put(conn, SearchDocument(doc_id, title, body, locale, qs))

    def add_many(self, documents: Iterable[SearchDocument]) -> int:
        """Index many documents in one transaction; return how many."""
        count = 0
        with self._write() as conn:
            for doc in documents:
                qs = check_document(doc.doc_id, doc.title, doc.body, doc.locale, doc.questions)
                self._put(conn, attrs.evolve(doc, questions=qs))
                count += 1
        return count

    def _put(self, conn: Connection, doc: SearchDocument) -> None:
        raise NotImplementedError

    def remove(self, doc_id: str, *, missing_ok: bool = False) -> None:
        """Drop a document; an unknown id raises NotFound unless ``missing_ok``."""
        if not isinstance(doc_id, str):
            if missing_ok:
                return
            raise NotFound("search document", doc_id)
        with self._write() as conn:
            removed = self._delete(conn, doc_id)
        if not removed and not missing_ok:
            raise NotFound("search document", doc_id)

    def _delete(self, conn: Connection, doc_id: str) -> bool:
        raise NotImplementedError

    def __len__(self) -> int:
        """Return the number of indexed documents."""
        with self._read() as conn:
            return int(self._run(conn, f"SELECT count(*) FROM {self.table}_docs").scalar_one())

    def __contains__(self, doc_id: object) -> bool:
        """Return True when a document with this id is indexed."""
        if not isinstance(doc_id, str):
            return False
        with self._read() as conn:
            sql = f"SELECT 1 FROM {self.table}_docs WHERE doc_id = :id"
            return self._run(conn, sql, {"id": doc_id}).first() is not None

    def doc_ids(self) -> list[str]:
        """Return the ids of the indexed documents, oldest first."""
        with self._read() as conn:
            sql = f"SELECT doc_id FROM {self.table}_docs ORDER BY rid"
            return [row[0] for row in self._run(conn, sql)]

    def clear(self) -> None:
        """Drop every document."""
        with self._write() as conn:
            self._clear(conn)

    def _clear(self, conn: Connection) -> None:
        raise NotImplementedError

    def search(self, query: str, *, limit: int = 10, locale: str | None = None) -> list[SearchHit]:
        """Return up to ``limit`` documents best matching ``query``, best first.

        Queries with no indexable word (empty, punctuation, emoji, stop words) return [].
        """
        check_limit(limit)
        wanted = check_locale(locale)
        tokens = self._query_tokens(check_query(query))
        if not tokens:
            return []
        return self._rank(tokens, None, limit, wanted)

    def suggest(self, prefix: str, *, limit: int = 5, locale: str | None = None) -> list[SearchHit]:
        """Search as the text is typed: an unfinished last word matches words it starts."""
        check_limit(limit)
        wanted = check_locale(locale)
        tokens, last, stemmed = self._prefix_tokens(check_query(prefix, "prefix"))
        prefixes = [p for p in dict.fromkeys((last, stemmed)) if p]
        if not tokens and not prefixes:
            return []
        return self._rank(tokens, prefixes, limit, wanted)

    def _rank(
        self, tokens: list[str], prefixes: list[str] | None, limit: int, locale: str | None
    ) -> list[SearchHit]:
        raise NotImplementedError


class Fts5SearchIndex(_SqlIndex):
    """Knowledge-base search in SQLite with FTS5 (see the module doc).

    ``Fts5SearchIndex(engine_or_url, table="kb_search")`` keeps its tables
    ``<table>_docs`` and ``<table>_fts`` in that database (``"sqlite://"``: in memory).
    """

    dialect = "sqlite"

    def _create(self, conn: Connection) -> None:
        t = self.table
        self._run(
            conn,
            f"CREATE TABLE IF NOT EXISTS {t}_docs (rid INTEGER PRIMARY KEY, "
            "doc_id TEXT NOT NULL UNIQUE, locale TEXT, norm_locale TEXT)",
        )
        self._run(
            conn,
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {t}_fts USING fts5(title, questions, body, "
            "tokenize = \"unicode61 remove_diacritics 0 tokenchars '.,@%+-_'\")",
        )
        self._run(
            conn,
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {t}_vocab USING fts5vocab({t}_fts, 'row')",
        )

    def _put(self, conn: Connection, doc: SearchDocument) -> None:
        t = self.table
        found = self._run(conn, f"SELECT rid FROM {t}_docs WHERE doc_id = :id", {"id": doc.doc_id})
        row = found.first()
        norm = normalize_locale(doc.locale) if doc.locale is not None else None
        if row is None:
            result = self._run(
                conn,
                f"INSERT INTO {t}_docs (doc_id, locale, norm_locale) VALUES (:id, :loc, :norm)",
                {"id": doc.doc_id, "loc": doc.locale, "norm": norm},
            )
            rid = result.lastrowid
        else:
            rid = row[0]
            self._run(conn, f"DELETE FROM {t}_fts WHERE rowid = :rid", {"rid": rid})
            self._run(
                conn,
                f"UPDATE {t}_docs SET locale = :loc, norm_locale = :norm WHERE rid = :rid",
                {"loc": doc.locale, "norm": norm, "rid": rid},
            )
        self._run(
            conn,
            f"INSERT INTO {t}_fts (rowid, title, questions, body) VALUES (:rid, :t, :q, :b)",
            {
                "rid": rid,
                "t": self._joined(doc.title),
                "q": "\n".join(self._joined(q) for q in doc.questions),
                "b": self._joined(doc.body),
            },
        )

    def _indexed(self, conn: Connection, terms: list[str]) -> set[str]:
        sql = f"SELECT 1 FROM {self.table}_vocab WHERE term = :term"
        return {t for t in terms if self._run(conn, sql, {"term": t}).first() is not None}

    def _delete(self, conn: Connection, doc_id: str) -> bool:
        t = self.table
        sql = f"SELECT rid FROM {t}_docs WHERE doc_id = :id"
        row = self._run(conn, sql, {"id": doc_id}).first()
        if row is None:
            return False
        self._run(conn, f"DELETE FROM {t}_fts WHERE rowid = :rid", {"rid": row[0]})
        self._run(conn, f"DELETE FROM {t}_docs WHERE rid = :rid", {"rid": row[0]})
        return True

    def _clear(self, conn: Connection) -> None:
        self._run(conn, f"DELETE FROM {self.table}_fts")
        self._run(conn, f"DELETE FROM {self.table}_docs")

    @staticmethod
    def _phrase(token: str) -> str:
        return '"' + token.replace('"', '""') + '"'

    def _rank(
        self, tokens: list[str], prefixes: list[str] | None, limit: int, locale: str | None
    ) -> list[SearchHit]:
        t = self.table
        terms = [self._phrase(tok) for tok in tokens]
        terms += [self._phrase(p) + " *" for p in prefixes or ()]
        params: dict[str, Any] = {"match": " OR ".join(terms), "limit": limit}
        where = ""
        if locale is not None:
            where = "AND (d.norm_locale = :loc OR d.norm_locale LIKE :pattern ESCAPE '\\')"
            params.update(loc=locale, pattern=_like_prefix(locale))
        weights = ", ".join(str(w) for w in _WEIGHTS)
        sql = (
            f"SELECT d.doc_id, d.locale, bm25({t}_fts, {weights}) AS s "
            f"FROM {t}_fts JOIN {t}_docs d ON d.rid = {t}_fts.rowid "
            f"WHERE {t}_fts MATCH :match {where} ORDER BY s, d.rid LIMIT :limit"
        )
        with self._read() as conn:
            rows = self._run(conn, sql, params).all()
        return [SearchHit(doc_id=r[0], score=-float(r[2]), locale=r[1]) for r in rows]


class PostgresSearchIndex(_SqlIndex):
    """Knowledge-base search in PostgreSQL with ``tsvector`` and a GIN index (module doc).

    ``PostgresSearchIndex(engine_or_url, table="kb_search")`` keeps its table
    ``<table>_docs`` in that database (in the schema of the connection's search path).
    """

    dialect = "postgresql"
    #: ts_rank weights in PostgreSQL's order {D, C, B, A}: body, -, questions, title
    RANK_WEIGHTS = "{0.34, 0.34, 1.0, 1.0}"

    def _create(self, conn: Connection) -> None:
        t = self.table
        self._run(
            conn,
            f"CREATE TABLE IF NOT EXISTS {t}_docs (rid bigserial PRIMARY KEY, "
            "doc_id text NOT NULL UNIQUE, locale text, norm_locale text, doc tsvector NOT NULL)",
        )
        self._run(conn, f"CREATE INDEX IF NOT EXISTS {t}_docs_doc ON {t}_docs USING gin (doc)")

    def _put(self, conn: Connection, doc: SearchDocument) -> None:
        t = self.table
        self._run(
            conn,
            f"INSERT INTO {t}_docs (doc_id, locale, norm_locale, doc) VALUES (:id, :loc, :norm, "
            "setweight(to_tsvector('simple', :t), 'A') || "
            "setweight(to_tsvector('simple', :q), 'B') || to_tsvector('simple', :b)) "
            "ON CONFLICT (doc_id) DO UPDATE SET locale = excluded.locale, "
            "norm_locale = excluded.norm_locale, doc = excluded.doc",
            {
                "id": doc.doc_id,
                "loc": doc.locale,
                "norm": normalize_locale(doc.locale) if doc.locale is not None else None,
                "t": self._joined(doc.title),
                "q": " ".join(self._joined(q) for q in doc.questions),
                "b": self._joined(doc.body),
            },
        )

    def _indexed(self, conn: Connection, terms: list[str]) -> set[str]:
        params = {f"t{i}": term for i, term in enumerate(terms)}
        probes = " UNION ALL ".join(
            f"SELECT :t{i} AS term WHERE EXISTS (SELECT 1 FROM {self.table}_docs "
            f"WHERE doc @@ plainto_tsquery('simple', :t{i}))"
            for i in range(len(terms))
        )
        return {row[0] for row in self._run(conn, probes, params)}

    def _delete(self, conn: Connection, doc_id: str) -> bool:
        sql = f"DELETE FROM {self.table}_docs WHERE doc_id = :id"
        return bool(self._run(conn, sql, {"id": doc_id}).rowcount)

    def _clear(self, conn: Connection) -> None:
        self._run(conn, f"DELETE FROM {self.table}_docs")

    @staticmethod
    def _prefix_query(token: str) -> str:
        return "'" + token.replace("\\", "\\\\").replace("'", "''") + "':*"

    def _rank(
        self, tokens: list[str], prefixes: list[str] | None, limit: int, locale: str | None
    ) -> list[SearchHit]:
        t = self.table
        params: dict[str, Any] = {"limit": limit}
        queries: list[str] = []
        for i, tok in enumerate(tokens):
            params[f"t{i}"] = tok
            queries.append(f"plainto_tsquery('simple', :t{i})")
        if prefixes:
            # one word typed so far: its forms (as typed, stemmed) count once, the best
            alternatives = []
            for j, prefix in enumerate(prefixes):
                params[f"p{j}"] = self._prefix_query(prefix)
                alternatives.append(f"CAST(:p{j} AS tsquery)")
            queries.append("(" + " || ".join(alternatives) + ")")
        names = [f"q{i}" for i in range(len(queries))]
        q_cols = ", ".join(f"{sql} AS {name}" for sql, name in zip(queries, names, strict=True))
        any_match = " || ".join(f"q.{name}" for name in names)
        df_cols = ", ".join(f"count(*) FILTER (WHERE m.doc @@ q.{n}) AS {n}" for n in names)
        idf = [
            f"ln(1 + (n.n - df.{n} + 0.5) / (df.{n} + 0.5)) * "
            f"ts_rank('{self.RANK_WEIGHTS}', m.doc, q.{n}, 1)"
            for n in names
        ]
        where = ""
        if locale is not None:
            where = "WHERE (m.norm_locale = :loc OR m.norm_locale LIKE :pattern ESCAPE '\\')"
            params.update(loc=locale, pattern=_like_prefix(locale))
        sql = (
            f"WITH q AS (SELECT {q_cols}), "
            # "|| ''": the tsvector is decompressed once here, not once per ts_rank call
            f"m AS (SELECT d.rid, d.doc_id, d.locale, d.norm_locale, d.doc || ''::tsvector "
            f"AS doc FROM {t}_docs d, q "
            f"WHERE d.doc @@ ({any_match})), "
            f"df AS (SELECT {df_cols} FROM m, q), "
            f"n AS (SELECT count(*)::float8 AS n FROM {t}_docs) "
            f"SELECT m.doc_id, m.locale, ({' + '.join(idf)}) AS score "
            f"FROM m, q, df, n {where} ORDER BY score DESC, m.rid LIMIT :limit"
        )
        with self._read() as conn:
            rows = self._run(conn, sql, params).all()
        return [
            SearchHit(doc_id=r[0], score=float(r[2]), locale=r[1])
            for r in rows
            if r[2] is not None and math.isfinite(float(r[2]))
        ]
