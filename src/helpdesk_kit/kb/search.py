"""In-memory BM25F search over knowledge-base articles, for Chinese and English.

Scoring (Robertson, Zaragoza & Taylor's "simple BM25F"): each field's term frequencies and
length are multiplied by an integer field weight and added up, then one BM25 saturation is
applied::

    tf~(t, d) = 3 * tf_title + 3 * tf_questions + 1 * tf_body      (default weights)
    L(d)      = 3 * len_title + 3 * len_questions + 1 * len_body   (tokens after stop words)
    idf(t)    = ln(1 + (N - df + 0.5) / (df + 0.5))                (never negative)
    score     = sum over query terms t of
                w_t * idf(t) * tf~ * (k1 + 1) / (tf~ + k1 * (1 - b + b * L / avgL))

with ``k1 = 1.2`` and ``b = 0.75`` by default, ``avgL`` the running mean of ``L`` over the
indexed documents and ``w_t`` 1 for query terms (0.8 for typo corrections).

The index is incremental: postings per term (``term -> {doc: tf~}``), document lengths and a
running total length, so ``add`` and ``remove`` touch only the terms of one document.
``search`` scores only documents that contain a query term. Postings of frequent terms are
also kept in impact blocks (by term-frequency class and document-length class), each with an
upper bound of its score; blocks are visited best bound first and the search stops as soon as
no unseen document can beat the current k-th best (an exact top-k, like MaxScore / block-max
WAND), so a common word does not mean scoring every document that contains it.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Protocol

import attrs

from helpdesk_kit.errors import InvalidInput, NotFound
from helpdesk_kit.text import Tokenizer
from helpdesk_kit.text.stem import stem as stem_word
from helpdesk_kit.text.stopwords import STOP_WORDS

__all__ = [
    "DEFAULT_TOKENIZER",
    "MAX_QUERY_CHARS",
    "MAX_QUERY_TOKENS",
    "FieldWeights",
    "IndexStats",
    "SearchBackend",
    "SearchHit",
    "SearchIndex",
]

DEFAULT_TOKENIZER = Tokenizer(mode="ngram", drop_stopwords=True)
"""Chinese as unigrams + bigrams, English stemmed, stop words dropped.

Measured on the starter pack (benchmarks/kb_relevance.py), n-grams rank the right Chinese
FAQ first far more often than jieba words (recall@1 0.97 vs 0.88): jieba's guesses for
unknown words ("没货", "买贵") never match the articles' words, while bigrams do. They also
need no optional dependency, so an index tokenizes the same on every machine. Pass
``tokenizer=Tokenizer(mode="jieba", drop_stopwords=True)`` to use jieba words instead.
"""
MAX_QUERY_CHARS = 1000
"""A query is cut to this many characters before tokenization (bounds the work per query)."""
MAX_QUERY_TOKENS = 32
"""Only the first this many distinct tokens of a query are used."""
FUZZY_WEIGHT = 0.8
"""Query weight of a typo correction (a vocabulary term at edit distance 1)."""
MAX_FUZZY_TERMS = 3
"""At most this many corrections per unknown word, the most frequent first."""
MIN_FUZZY_LENGTH = 4
"""Words shorter than this are never corrected (too many neighbours)."""
MAX_COMPLETIONS = 8
"""Suggestions expand the last, unfinished word to at most this many terms, most frequent first."""
PARTIAL_CHAR_WEIGHT = 0.5
"""Weight of a half-typed Chinese character matched as itself rather than completed."""
_COMPLETION_SCAN = 5000  # vocabulary terms looked at per prefix before picking the most frequent

_BLOCK_MIN_DF = 256  # a term gets impact blocks once it is in more documents than this
_LENGTH_RATIO = 1.25  # document-length classes grow geometrically by this ratio
_TF_EDGES = (1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 48, 64, 96, 128)
_TF_CLASS: list[int] = []
for _class, _edge in enumerate(_TF_EDGES):
    _TF_CLASS.extend([_class] * (_edge - len(_TF_CLASS) + 1))
_TF_HIGH: tuple[float, ...] = (*map(float, _TF_EDGES), math.inf)
_LENGTH_CLASSES = 64
_LENGTH_LOW: tuple[float, ...] = tuple(_LENGTH_RATIO**i for i in range(_LENGTH_CLASSES))
_BOUND_SLACK = 1.0 + 1e-9  # keeps bounds above scores despite floating-point rounding


@attrs.frozen
class SearchHit:
    """One search result: the document id, its BM25F score and the locale it was added with."""

    doc_id: str
    score: float
    locale: str | None = None


@attrs.frozen
class IndexStats:
    """Size figures of a :class:`SearchIndex`."""

    documents: int
    terms: int
    postings: int
    average_length: float
    blocked_terms: int


def _non_negative_int(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidInput(f"field weight {attribute.name} must be an int >= 0, not {value!r}")


@attrs.frozen
class FieldWeights:
    """Integer weights of the article fields in BM25F (0 ignores a field)."""

    title: int = attrs.field(default=3, validator=_non_negative_int)
    questions: int = attrs.field(default=3, validator=_non_negative_int)
    body: int = attrs.field(default=1, validator=_non_negative_int)


class SearchBackend(Protocol):
    """What the knowledge base needs from a search engine (this index, SQLite FTS5, ...)."""

    def add(
        self,
        doc_id: str,
        title: str,
        body: str = "",
        *,
        locale: str | None = None,
        questions: Sequence[str] = (),
    ) -> None:
        """Index a document, replacing one with the same id."""

    def remove(self, doc_id: str, *, missing_ok: bool = False) -> None:
        """Drop a document from the index."""

    def search(self, query: str, *, limit: int = 10, locale: str | None = None) -> list[SearchHit]:
        """Return the best documents for ``query``, best first."""

    def __len__(self) -> int:
        """Return the number of indexed documents."""


def _length_class(length: int) -> int:
    if length <= 1:
        return 0
    cls = min(int(math.log(length) / math.log(_LENGTH_RATIO)), _LENGTH_CLASSES - 1)
    while cls > 0 and _LENGTH_LOW[cls] > length:
        cls -= 1
    while cls < _LENGTH_CLASSES - 1 and _LENGTH_LOW[cls + 1] <= length:
        cls += 1
    return cls


def _block_key(tf: int, length_class: int) -> int:
    tf_class = _TF_CLASS[tf] if tf < len(_TF_CLASS) else len(_TF_EDGES)
    return tf_class * _LENGTH_CLASSES + length_class


_UNIGRAM_WEIGHT = 1.0
_BACKOFF_CHARS = 3  # queries with more Chinese characters drop covered unigrams


def _is_han_char(term: str) -> bool:
    return len(term) == 1 and "\u3400" <= term <= "\U0003134f"


def _is_fuzzable(term: str) -> bool:
    return len(term) >= MIN_FUZZY_LENGTH and term.isascii() and term.isalpha()


def _deletions(term: str) -> set[str]:
    return {term[:i] + term[i + 1 :] for i in range(len(term))}


def _within_one_edit(a: str, b: str) -> bool:
    """Return True when ``a`` and ``b`` differ by one insertion, deletion, substitution or swap."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1 :] == b[i + 1 :]:
            return True  # substitution
        return i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    if la > lb:
        return a[i + 1 :] == b[i:]
    return a[i:] == b[i + 1 :]


def _normalize_locale(locale: str) -> str:
    return locale.strip().replace("_", "-").casefold()


def _check_text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a str, not {type(value).__name__}")
    return value


class SearchIndex:
    """An in-memory, incremental BM25F index of articles with a CJK-aware tokenizer.

    Not thread-safe: guard writers and readers with a lock if you share one index.
    """

    def __init__(
        self,
        *,
        tokenizer: Tokenizer | None = None,
        k1: float = 1.2,
        b: float = 0.75,
        weights: FieldWeights | None = None,
        fuzzy: bool = True,
    ) -> None:
        """Create an empty index (default tokenizer: :data:`DEFAULT_TOKENIZER`).

        A tokenizer in ``"auto"`` mode is resolved now, so documents and queries are always
        tokenized the same way.
        """
        if not isinstance(k1, int | float) or isinstance(k1, bool) or not 0 <= k1 < math.inf:
            raise InvalidInput(f"k1 must be a number >= 0, not {k1!r}")
        if not isinstance(b, int | float) or isinstance(b, bool) or not 0 <= b <= 1:
            raise InvalidInput(f"b must be a number between 0 and 1, not {b!r}")
        if tokenizer is None:
            tokenizer = DEFAULT_TOKENIZER
        if not isinstance(tokenizer, Tokenizer):
            raise InvalidInput("tokenizer must be a helpdesk_kit.text.Tokenizer")
        self._tokenizer = tokenizer.resolved()
        self._raw_tokenizer = attrs.evolve(self._tokenizer, stem=False, drop_stopwords=False)
        self._k1 = float(k1)
        self._b = float(b)
        self._weights = weights if weights is not None else FieldWeights()
        self._fuzzy = fuzzy
        self._ids: dict[str, int] = {}
        # internal number -> (doc_id, locale as given, normalized locale, distinct terms)
        self._meta: dict[int, tuple[str, str | None, str | None, tuple[str, ...]]] = {}
        self._length: dict[int, int] = {}
        self._total_length = 0
        self._next = 0
        self._postings: dict[str, dict[int, int]] = {}
        # term -> block key -> article numbers; removed articles stay listed until the term's
        # blocks are rebuilt (when more entries are stale than live) and are skipped
        self._blocks: dict[str, dict[int, list[int]]] = {}
        self._stale: dict[str, int] = {}
        # vocabulary helpers for suggestions and typo tolerance
        self._sorted_terms: list[str] = []
        self._new_terms: set[str] = set()
        self._dead_terms = 0
        self._deletion_map: dict[str, str | list[str]] = {}

    # ------------------------------------------------------------------ documents

    @property
    def tokenizer(self) -> Tokenizer:
        """The tokenizer used for documents and queries (mode already resolved)."""
        return self._tokenizer

    def __len__(self) -> int:
        """Return the number of indexed documents."""
        return len(self._ids)

    def __contains__(self, doc_id: object) -> bool:
        """Return True when a document with this id is indexed."""
        return doc_id in self._ids

    def doc_ids(self) -> list[str]:
        """Return the ids of the indexed documents, oldest first."""
        return list(self._ids)

    def add(
        self,
        doc_id: str,
        title: str,
        body: str = "",
        *,
        locale: str | None = None,
        questions: Sequence[str] = (),
    ) -> None:
        """Index a document; a document with the same ``doc_id`` is replaced.

        ``questions`` are alternative phrasings of the article's question; they weigh as much
        as the title. ``locale`` (for example ``"zh-CN"``) is kept for filtering.
        """
        if not isinstance(doc_id, str) or not doc_id:
            raise InvalidInput(f"doc_id must be a non-empty str, not {doc_id!r}")
        _check_text("title", title)
        _check_text("body", body)
        if locale is not None and (not isinstance(locale, str) or not locale.strip()):
            raise InvalidInput(f"locale must be None or a non-empty str, not {locale!r}")
        if isinstance(questions, str) or not isinstance(questions, Sequence):
            raise InvalidInput("questions must be a sequence of str (a list), not a single str")
        for question in questions:
            _check_text("every question", question)

        weights = self._weights
        tokenize = self._tokenizer.tokens
        counts: Counter[str] = Counter()
        length = 0
        fields: list[tuple[int, Iterable[str]]] = [
            (weights.title, (title,)),
            (weights.questions, questions),
            (weights.body, (body,)),
        ]
        for weight, texts in fields:
            if weight == 0:
                continue
            for text in texts:
                tokens = tokenize(text)
                if not tokens:
                    continue
                length += len(tokens) * weight
                if weight == 1:
                    counts.update(tokens)
                else:
                    for term, n in Counter(tokens).items():
                        counts[term] += n * weight

        if doc_id in self._ids:
            self._drop(self._ids.pop(doc_id))
        number = self._next
        self._next += 1
        self._ids[doc_id] = number
        norm_locale = _normalize_locale(locale) if locale is not None else None
        self._meta[number] = (doc_id, locale, norm_locale, tuple(counts))
        self._length[number] = length
        self._total_length += length

        postings = self._postings
        blocks = self._blocks
        length_class = _length_class(length)
        for term, tf in counts.items():
            plist = postings.get(term)
            if plist is None:
                postings[term] = {number: tf}
                self._term_born(term)
                continue
            plist[number] = tf
            term_blocks = blocks.get(term)
            if term_blocks is not None:
                key = _block_key(tf, length_class)
                block = term_blocks.get(key)
                if block is None:
                    term_blocks[key] = [number]
                else:
                    block.append(number)
            elif len(plist) > _BLOCK_MIN_DF:
                self._build_blocks(term, plist)

    def remove(self, doc_id: str, *, missing_ok: bool = False) -> None:
        """Drop a document; an unknown id raises NotFound unless ``missing_ok``."""
        number = self._ids.pop(doc_id, None) if isinstance(doc_id, str) else None
        if number is None:
            if missing_ok:
                return
            raise NotFound("search document", doc_id)
        self._drop(number)

    def _drop(self, number: int) -> None:
        _, _, _, terms = self._meta.pop(number)
        length = self._length.pop(number)
        self._total_length -= length
        postings = self._postings
        blocks = self._blocks
        stale = self._stale
        for term in terms:
            plist = postings[term]
            del plist[number]
            if term in blocks:
                if len(plist) <= _BLOCK_MIN_DF // 4:
                    del blocks[term]
                    del stale[term]
                else:
                    stale[term] += 1
                    if stale[term] > len(plist):
                        self._build_blocks(term, plist)
            if not plist:
                del postings[term]
                self._term_died(term)

    def _build_blocks(self, term: str, plist: dict[int, int]) -> None:
        term_blocks: dict[int, list[int]] = {}
        lengths = self._length
        for number, tf in plist.items():
            key = _block_key(tf, _length_class(lengths[number]))
            block = term_blocks.get(key)
            if block is None:
                term_blocks[key] = [number]
            else:
                block.append(number)
        self._blocks[term] = term_blocks
        self._stale[term] = 0

    # ------------------------------------------------------------------ vocabulary

    def _term_born(self, term: str) -> None:
        self._new_terms.add(term)
        if _is_fuzzable(term):
            dmap = self._deletion_map
            for variant in _deletions(term):
                held = dmap.get(variant)
                if held is None:
                    dmap[variant] = term
                elif isinstance(held, str):
                    dmap[variant] = [held, term]
                else:
                    held.append(term)

    def _term_died(self, term: str) -> None:
        if term in self._new_terms:
            self._new_terms.discard(term)
        else:
            self._dead_terms += 1
        if _is_fuzzable(term):
            dmap = self._deletion_map
            for variant in _deletions(term):
                held = dmap[variant]
                if isinstance(held, str):
                    del dmap[variant]
                else:
                    held.remove(term)
                    if len(held) == 1:
                        dmap[variant] = held[0]

    def _vocabulary(self) -> list[str]:
        """Return the sorted vocabulary, merging new terms when enough have piled up."""
        pending = len(self._new_terms)
        if pending > 1024 or self._dead_terms > 1024 + len(self._sorted_terms) // 4:
            self._sorted_terms = sorted(self._postings)
            self._new_terms = set()
            self._dead_terms = 0
        return self._sorted_terms

    def _terms_with_prefix(self, prefix: str) -> list[str]:
        """Return live vocabulary terms that start with ``prefix`` (bounded scan)."""
        vocabulary = self._vocabulary()
        postings = self._postings
        found: set[str] = set()
        i = bisect_left(vocabulary, prefix)
        end = min(len(vocabulary), i + _COMPLETION_SCAN)
        while i < end:
            term = vocabulary[i]
            if not term.startswith(prefix):
                break
            if term in postings:
                found.add(term)
            i += 1
        found.update(t for t in self._new_terms if t.startswith(prefix))
        return sorted(found)

    def _neighbours(self, term: str) -> list[str]:
        """Return vocabulary terms within one edit of ``term``, most frequent first (capped)."""
        postings = self._postings
        dmap = self._deletion_map
        candidates: set[str] = set()

        def collect(held: str | list[str] | None) -> None:
            if held is None:
                return
            if isinstance(held, str):
                candidates.add(held)
            else:
                candidates.update(held)

        collect(dmap.get(term))  # term is a deletion of a longer vocabulary term
        for variant in _deletions(term):
            if variant in postings:  # a vocabulary term is a deletion of term
                candidates.add(variant)
            collect(dmap.get(variant))  # substitution or swap: a common deletion
        matches = [t for t in candidates if t != term and _within_one_edit(term, t)]
        matches.sort(key=lambda t: (-len(postings[t]), t))
        return matches[:MAX_FUZZY_TERMS]

    # ------------------------------------------------------------------ queries

    def _distinct_tokens(self, query: object, tokenizer: Tokenizer) -> list[str]:
        text = _check_text("query", query)[:MAX_QUERY_CHARS]
        tokens = tokenizer.tokens(text)
        if tokenizer.mode == "ngram" and sum(map(_is_han_char, tokens)) > _BACKOFF_CHARS:
            tokens = self._unigram_backoff(tokens)
        seen: dict[str, None] = {}
        for token in tokens:
            seen.setdefault(token, None)
            if len(seen) >= MAX_QUERY_TOKENS:
                break
        return list(seen)

    def _unigram_backoff(self, tokens: list[str]) -> list[str]:
        """Drop a Chinese unigram from a query when a bigram holding it is in the index.

        Unigrams are the fallback for characters no known bigram covers ("券" in "券用不上"
        still matches "优惠券"); where a bigram matches, the unigram adds little but costs
        much (common characters are in a large share of the articles).
        """
        postings = self._postings
        kept: list[str] = []
        last = len(tokens) - 1
        for i, token in enumerate(tokens):
            if _is_han_char(token):
                before = tokens[i - 1] if i > 0 else ""
                after = tokens[i + 1] if i < last else ""
                if (len(before) == 2 and before[1] == token and before in postings) or (
                    len(after) == 2 and after[0] == token and after in postings
                ):
                    continue
            kept.append(token)
        return kept

    def _expand(self, terms: Iterable[str]) -> list[dict[str, float]]:
        """Turn analysed query words into groups of weighted index terms.

        A word in the vocabulary is its own group; an unknown word of four or more letters
        becomes the group of its typo corrections; other unknown words are dropped.
        """
        postings = self._postings
        groups: list[dict[str, float]] = []
        for term in terms:
            if term in postings:
                groups.append({term: _UNIGRAM_WEIGHT if _is_han_char(term) else 1.0})
            elif self._fuzzy and _is_fuzzable(term):
                near = self._neighbours(term)
                if near:
                    groups.append(dict.fromkeys(near, FUZZY_WEIGHT))
        return groups

    def query_terms(self, query: str) -> list[str]:
        """Return the index terms ``query`` is matched with (after tokenizing and corrections)."""
        groups = self._expand(self._distinct_tokens(query, self._tokenizer))
        return list(dict.fromkeys(term for group in groups for term in group))

    def search(self, query: str, *, limit: int = 10, locale: str | None = None) -> list[SearchHit]:
        """Return up to ``limit`` documents best matching ``query``, best first.

        An empty query, or one with no indexable word (only punctuation, emoji, stop
        words), returns []. A non-str query raises InvalidInput. Queries are cut to
        :data:`MAX_QUERY_CHARS` characters and :data:`MAX_QUERY_TOKENS` distinct tokens.
        ``locale="zh"`` keeps documents added with locale "zh", "zh-CN", "zh-TW", ...
        """
        self._check_limit(limit)
        wanted = self._check_locale(locale)
        terms = self._distinct_tokens(query, self._tokenizer)
        return self._rank(self._expand(terms), limit, wanted)

    def suggest(self, prefix: str, *, limit: int = 5, locale: str | None = None) -> list[SearchHit]:
        """Return documents for a query that is still being typed (search-as-you-type).

        The last word counts as unfinished unless the text ends with a space or
        punctuation: it is expanded to vocabulary terms that start with it (Chinese too:
        "退" matches "退货", "退款"), and to terms within one edit of it once it has at least
        four letters. Earlier words are matched like :meth:`search` matches them.
        """
        self._check_limit(limit)
        wanted = self._check_locale(locale)
        text = _check_text("prefix", prefix)[:MAX_QUERY_CHARS]
        raw = self._raw_tokenizer.tokens(text)
        if not raw:
            return []
        finished = not text.rstrip("\u200b")[-1:].isalnum()
        if self._tokenizer.mode == "ngram" and sum(map(_is_han_char, raw)) > _BACKOFF_CHARS:
            if finished:
                raw = self._unigram_backoff(raw)
            else:  # the half-typed last token is kept as it is
                raw = [*self._unigram_backoff(raw[:-1]), raw[-1]]
        last = None if finished else raw.pop()
        done = list(dict.fromkeys(raw))[: MAX_QUERY_TOKENS - 1]
        analysed: list[str] = []
        drop = self._tokenizer.drop_stopwords
        do_stem = self._tokenizer.stem
        for token in done:
            if drop and token in STOP_WORDS:
                continue
            analysed.append(stem_word(token) if do_stem else token)
        groups = self._expand(analysed)
        if last is not None:
            completions = self._complete(last)
            if completions:
                groups.append(completions)
        return self._rank(groups, limit, wanted)

    def _complete(self, partial: str) -> dict[str, float]:
        """Weighted vocabulary terms an unfinished word may become."""
        postings = self._postings
        ascii_word = partial.isascii()
        if ascii_word and len(partial) < 2:
            return {partial: 1.0} if partial in postings else {}
        found: set[str] = set(self._terms_with_prefix(partial))
        stemmed = stem_word(partial) if self._tokenizer.stem else partial
        if stemmed in postings:
            found.add(stemmed)
        if ascii_word and partial.isalpha():
            # a stem shorter than what is typed: "shippi" -> "ship", "changi" -> "chang"
            for cut in range(max(3, len(partial) - 3), len(partial)):
                if partial[:cut] in postings:
                    found.add(partial[:cut])
        if _is_han_char(partial) and len(found) > 1:
            # A typed character is usually the start of a word ("退" -> "退货"); as a word
            # of its own, or the end of one ("券" in "优惠券"), it weighs half.
            found.discard(partial)
            weighted = dict.fromkeys(self._most_frequent(found, MAX_COMPLETIONS), 1.0)
            weighted[partial] = PARTIAL_CHAR_WEIGHT
        else:
            weighted = dict.fromkeys(self._most_frequent(found, MAX_COMPLETIONS), 1.0)
        if self._fuzzy and _is_fuzzable(partial) and stemmed not in postings:
            for near in self._neighbours(stemmed):
                weighted.setdefault(near, FUZZY_WEIGHT)
            if not found:
                # one extra or wrong character typed: complete each one-deletion variant
                variants: set[str] = set()
                for variant in _deletions(partial):
                    if len(variant) >= 3:
                        variants.update(self._terms_with_prefix(variant))
                for term in self._most_frequent(variants, MAX_COMPLETIONS):
                    weighted.setdefault(term, FUZZY_WEIGHT)
        return weighted

    def _most_frequent(self, terms: Iterable[str], n: int) -> list[str]:
        postings = self._postings
        return sorted(terms, key=lambda t: (-len(postings[t]), t))[:n]

    @staticmethod
    def _check_limit(limit: object) -> None:
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise InvalidInput(f"limit must be an int >= 1, not {limit!r}")

    @staticmethod
    def _check_locale(locale: object) -> str | None:
        if locale is None:
            return None
        if not isinstance(locale, str) or not locale.strip():
            raise InvalidInput(f"locale must be None or a non-empty str, not {locale!r}")
        return _normalize_locale(locale)

    def _rank(
        self, groups: Sequence[dict[str, float]], limit: int, locale: str | None
    ) -> list[SearchHit]:
        """Exact top-``limit`` BM25F over the documents holding a query term.

        Each group stands for one query word and its alternatives (typo corrections,
        completions); a document scores the best of a group's terms, summed over groups.
        """
        n_docs = len(self._length)
        if not groups or not n_docs or not self._total_length:
            return []
        k1 = self._k1
        const = k1 * (1.0 - self._b)
        slope = k1 * self._b / (self._total_length / n_docs)
        postings = self._postings
        all_blocks = self._blocks
        scorers: list[list[tuple[dict[int, int], float]]] = []
        # (bound, group, documents, postings of the block's term, its idf factor)
        blocks: list[tuple[float, int, Iterable[int], dict[int, int], float]] = []
        for group in groups:
            index = len(scorers)
            scorer: list[tuple[dict[int, int], float]] = []
            for term, weight in group.items():
                plist = postings.get(term)
                if not plist:
                    continue
                df = len(plist)
                c = weight * math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5)) * (k1 + 1.0)
                scorer.append((plist, c))
                term_blocks = all_blocks.get(term)
                if term_blocks is None:
                    blocks.append((c, index, plist, plist, c))
                    continue
                for key, block in term_blocks.items():
                    tf_high = _TF_HIGH[key // _LENGTH_CLASSES]
                    if tf_high == math.inf:
                        bound = c
                    else:
                        length_low = _LENGTH_LOW[key % _LENGTH_CLASSES]
                        bound = c * tf_high / (tf_high + const + slope * length_low)
                        bound *= _BOUND_SLACK
                    blocks.append((bound, index, block, plist, c))
            if scorer:
                scorers.append(scorer)
        if not scorers:
            return []
        blocks.sort(key=itemgetter(0), reverse=True)
        # remaining[g]: best bound among the unvisited blocks of group g; after[j]: the bound
        # that replaces it once block j is visited (blocks are visited best bound first)
        remaining = [0.0] * len(scorers)
        after = [0.0] * len(blocks)
        for j in range(len(blocks) - 1, -1, -1):
            index = blocks[j][1]
            after[j] = remaining[index]
            remaining[index] = blocks[j][0]

        lengths = self._length
        meta = self._meta
        locale_ok: dict[str | None, bool] = {}
        heap: list[tuple[float, int]] = []
        seen: set[int] = set()
        singletons = [len(scorer) == 1 for scorer in scorers]
        simple = all(singletons)
        flat = [scorer[0] for scorer in scorers] if simple else []
        many = len(scorers) > 1
        threshold = -math.inf  # score of the k-th best once there are k results
        ceiling = sum(remaining)
        for j, (_, index, members, own_plist, own_c) in enumerate(blocks):
            if ceiling < threshold:
                break  # no unseen document can enter the top `limit`
            # An unseen document's other words all lie in unvisited blocks: bounded by
            # `others`. With its own word's exact share that often rules it out cheaply.
            prune = many and singletons[index] and threshold > -math.inf
            others = sum(r for g, r in enumerate(remaining) if g != index) if prune else 0.0
            for number in members:
                if number in seen:
                    continue
                seen.add(number)
                length = lengths.get(number)
                if length is None:
                    continue  # removed since it was put in this block
                if locale is not None:
                    doc_locale = meta[number][2]
                    ok = locale_ok.get(doc_locale)
                    if ok is None:
                        ok = doc_locale is not None and (
                            doc_locale == locale or doc_locale.startswith(locale + "-")
                        )
                        locale_ok[doc_locale] = ok
                    if not ok:
                        continue
                norm = const + slope * length
                if prune:
                    tf = own_plist[number]
                    if (own_c * tf / (tf + norm) + others) * _BOUND_SLACK < threshold:
                        continue
                score = 0.0
                if simple:
                    for plist, c in flat:
                        tf = plist.get(number, 0)
                        if tf:
                            score += c * tf / (tf + norm)
                else:
                    for scorer in scorers:
                        best = 0.0
                        for plist, c in scorer:
                            tf = plist.get(number, 0)
                            if tf:
                                value = c * tf / (tf + norm)
                                if value > best:
                                    best = value
                        score += best
                entry = (score, -number)
                if len(heap) < limit:
                    heapq.heappush(heap, entry)
                    if len(heap) == limit:
                        threshold = heap[0][0]
                elif entry > heap[0]:
                    heapq.heapreplace(heap, entry)
                    threshold = heap[0][0]
            remaining[index] = after[j]
            ceiling = sum(remaining)
        heap.sort(reverse=True)
        return [
            SearchHit(doc_id=meta[-neg][0], score=score, locale=meta[-neg][1])
            for score, neg in heap
        ]

    # ------------------------------------------------------------------ introspection

    def stats(self) -> IndexStats:
        """Return the number of documents, terms, postings and the average weighted length."""
        n_docs = len(self._length)
        return IndexStats(
            documents=n_docs,
            terms=len(self._postings),
            postings=sum(len(p) for p in self._postings.values()),
            average_length=self._total_length / n_docs if n_docs else 0.0,
            blocked_terms=len(self._blocks),
        )
