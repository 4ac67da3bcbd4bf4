"""Tokenization for mixed Chinese/English customer text.

Rules (after :func:`~helpdesk_kit.text.normalize.normalize`):

- E-mail addresses stay whole: ``"ann@example.com"``.
- Numbers with inner dots or commas stay whole (``"12.50"``, ``"1,299"``); runs of letters
  and digits stay whole, so order ids such as ``"SO20261126001"`` are one token
  (lowercased: ``"so20261126001"``).
- An apostrophe inside an English word is dropped (``"don't"`` -> ``"dont"``).
- Everything that is not a letter or a digit separates tokens and is dropped: punctuation,
  symbols, emoji.
- Runs of Han characters are segmented by jieba (mode ``"jieba"``) or cut into unigrams and
  bigrams (mode ``"ngram"``); mode ``"auto"`` uses jieba when it is installed. Kana and
  Hangul runs are always cut into unigrams and bigrams.
- Pure ASCII words are stemmed with :func:`~helpdesk_kit.text.stem.stem` unless ``stem=False``.
- Stop words (:mod:`helpdesk_kit.text.stopwords`) are dropped only when
  ``drop_stopwords=True``; they are checked before stemming.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Literal, get_args

import attrs

from helpdesk_kit.errors import ConfigurationError, InvalidInput
from helpdesk_kit.text.normalize import normalize
from helpdesk_kit.text.segment import jieba_available, jieba_segmenter, ngram_segment
from helpdesk_kit.text.stem import stem as stem_word
from helpdesk_kit.text.stopwords import STOP_WORDS

__all__ = ["Mode", "Tokenizer", "bigrams", "tokenize"]

Mode = Literal["auto", "jieba", "ngram"]
_MODES: tuple[str, ...] = get_args(Mode)

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_KANA_HANGUL = "\u1100-\u11ff\u3040-\u30ff\u31f0-\u31ff\u3130-\u318f\uac00-\ud7af"

_APOSTROPHE = re.compile(r"(?<=[a-z])['’](?=[a-z])")
_TOKEN = re.compile(
    r"([a-z0-9][a-z0-9._%+\-]*@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,})"  # 1 e-mail address
    r"|(\d+(?:[.,]\d+)+)"  # 2 numbers such as 12.50 or 1,299
    f"|([{_HAN}]+)"  # 3 a run of Han characters
    f"|([{_KANA_HANGUL}]+)"  # 4 a run of kana or Hangul
    f"|([^\\W_{_HAN}{_KANA_HANGUL}]+)"  # 5 letters and digits of other scripts
)
_ASCII_TOKEN = re.compile(
    r"[a-z0-9][a-z0-9._%+\-]*@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}"
    r"|\d+(?:[.,]\d+)+"
    r"|[a-z0-9]+"
)
_WORD_CACHE_SIZE = 100_000


def _check_mode(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in _MODES:
        raise InvalidInput(f"tokenizer mode must be one of {', '.join(_MODES)}, not {value!r}")


@attrs.frozen
class Tokenizer:
    """A configured tokenizer: call it with a string to get its tokens.

    ``mode`` picks Chinese segmentation: ``"jieba"`` (needs the ``zh`` extra; raises
    :class:`~helpdesk_kit.errors.ConfigurationError` when jieba is missing), ``"ngram"``
    (unigrams and bigrams, no dependency) or ``"auto"`` (jieba when importable).
    ``cjk_subwords`` adds the dictionary sub-words of long Chinese words in jieba mode
    ("优惠券" -> "优惠", "优惠券"), which helps search match partial words.
    """

    mode: Mode = attrs.field(default="auto", validator=_check_mode)
    stem: bool = True
    drop_stopwords: bool = False
    cjk_subwords: bool = False
    # raw word -> analysed word ("" = dropped); words repeat so much that this halves the
    # cost of English text. Bounded; not part of the tokenizer's identity.
    _words: dict[str, str] = attrs.field(factory=dict, init=False, repr=False, eq=False, hash=False)

    def resolved(self) -> Tokenizer:
        """Return this tokenizer with ``"auto"`` replaced by the mode it will really use.

        Only imports jieba (cheap); its dictionary is still built on first use.
        """
        if self.mode != "auto":
            return self
        return attrs.evolve(self, mode="jieba" if jieba_available() else "ngram")

    def __call__(self, text: str) -> list[str]:
        """Return the tokens of ``text`` in order (see the module docstring for the rules)."""
        return self.tokens(text)

    def tokens(self, text: str) -> list[str]:
        """Return the tokens of ``text`` in order (see the module docstring for the rules)."""
        text = normalize(text)
        if "'" in text or "’" in text:
            text = _APOSTROPHE.sub("", text)
        words = self._words
        out: list[str] = []
        append = out.append
        if text.isascii():
            for piece in _ASCII_TOKEN.findall(text):
                word = words.get(piece)
                if word is None:
                    word = self._word(piece)
                if word:
                    append(word)
            return out
        kana_stop = STOP_WORDS.__contains__ if self.drop_stopwords else None
        for email, number, han, kana, piece in _TOKEN.findall(text):
            if piece:
                word = words.get(piece)
                if word is None:
                    word = self._word(piece)
                if word:
                    append(word)
            elif han:
                out.extend(self._segment_han(han))
            elif kana:
                out.extend(ngram_segment(kana, kana_stop))
            else:
                append(email or number)
        return out

    def _word(self, piece: str) -> str:
        """Analyse one run of letters/digits ("" when it is a dropped stop word) and cache it."""
        if self.drop_stopwords and piece in STOP_WORDS:
            word = ""
        elif self.stem and piece.isalpha():
            word = stem_word(piece)
        else:
            word = piece
        words = self._words
        if len(words) >= _WORD_CACHE_SIZE:
            words.clear()
        words[piece] = word
        return word

    def _segment_han(self, run: str) -> list[str]:
        mode = self.mode
        drop = self.drop_stopwords
        if mode != "ngram":
            segmenter = jieba_segmenter()
            if segmenter is not None:
                words = segmenter.cut_for_search(run) if self.cjk_subwords else segmenter.cut(run)
                if drop:
                    return [w for w in words if w not in STOP_WORDS]
                return words
            if mode == "jieba":
                raise ConfigurationError(
                    "tokenizer mode 'jieba' needs jieba: install helpdesk_kit[zh] "
                    "or use mode='ngram'"
                )
        return ngram_segment(run, STOP_WORDS.__contains__ if drop else None)


_DEFAULT = Tokenizer()


def tokenize(
    text: str,
    *,
    mode: Mode = "auto",
    stem: bool = True,
    drop_stopwords: bool = False,
    cjk_subwords: bool = False,
) -> list[str]:
    """Return the tokens of ``text``: normalized, segmented, stemmed (see :class:`Tokenizer`)."""
    if mode == "auto" and stem and not drop_stopwords and not cjk_subwords:
        return _DEFAULT.tokens(text)
    return Tokenizer(
        mode=mode, stem=stem, drop_stopwords=drop_stopwords, cjk_subwords=cjk_subwords
    ).tokens(text)


def bigrams(tokens: Sequence[str]) -> list[tuple[str, str]]:
    """Return the pairs of adjacent tokens in order: ``[a, b, c]`` -> ``[(a, b), (b, c)]``."""
    if isinstance(tokens, str):
        raise InvalidInput("bigrams() takes a sequence of tokens, not a str; tokenize it first")
    return list(itertools.pairwise(tokens))
