"""Chinese word segmentation: jieba when installed (loaded lazily, quietly, once), else n-grams.

jieba builds its prefix dictionary the first time it segments (about half a second to a
second) and logs that to stderr. :func:`jieba_segmenter` does that work once per process,
on first use, with jieba's logger raised to WARNING while it runs, and keeps the result.
It uses a private ``jieba.Tokenizer`` so words that an application adds to jieba's global
dictionary cannot change how an existing index was tokenized; a few helpdesk words are
added to that private dictionary (see ``_DOMAIN_WORDS``).
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["JiebaSegmenter", "jieba_available", "jieba_segmenter", "ngram_segment"]

# Helpdesk words that jieba's general dictionary splits; they are added whole.
_DOMAIN_WORDS: tuple[str, ...] = (
    "运费险",
    "七天无理由",
    "到账",
    "退换货",
    "花呗",
    "快递员",
    "取件码",
    "售后",
    "人工客服",
    "包邮",
    "满减",
    "验证码",
    "收货人",
    "运单号",
    "物流单号",
    "订单号",
    "未发货",
    "已发货",
)
# Frequencies lowered so that a more likely reading wins in customer text:
# "没收到货" is "没 收到 货" (not received), not "没收 到货" (confiscate / arrive).
_DOMAIN_FREQUENCIES: dict[str, int] = {"没收": 50}


class JiebaSegmenter:
    """A loaded private jieba tokenizer: ``cut(run)`` splits a run of Han characters."""

    def __init__(self, tokenizer: Any, *, hmm: bool = True) -> None:
        self._tokenizer = tokenizer
        self._hmm = hmm

    def cut(self, run: str) -> list[str]:
        """Return the words of ``run`` in order (jieba's precise mode)."""
        return [w for w in self._tokenizer.cut(run, HMM=self._hmm) if w.strip()]

    def cut_for_search(self, run: str) -> list[str]:
        """Return the words of ``run`` plus the dictionary sub-words of longer ones."""
        return [w for w in self._tokenizer.cut_for_search(run, HMM=self._hmm) if w.strip()]


class _JiebaState:
    """Process-wide cache of the jieba module and the loaded segmenter."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.module: Any = None
        self.missing: bool | None = None  # None: not tried yet
        self.segmenter: JiebaSegmenter | None = None

    def import_module(self) -> Any:
        """Import jieba once; return the module or None when it is not installed."""
        if self.missing is None:
            with self.lock:
                if self.missing is None:
                    try:
                        self.module = importlib.import_module("jieba")
                    except ImportError:
                        self.missing = True
                    else:
                        self.missing = False
        return None if self.missing else self.module

    def load(self) -> JiebaSegmenter | None:
        """Build the private jieba dictionary once (quietly); None when jieba is missing."""
        if self.segmenter is not None:
            return self.segmenter
        module = self.import_module()
        if module is None:
            return None
        with self.lock:
            if self.segmenter is None:
                self.segmenter = _build_segmenter(module)
        return self.segmenter


def _build_segmenter(module: Any) -> JiebaSegmenter:
    logger = logging.getLogger("jieba")
    previous = logger.level
    logger.setLevel(logging.WARNING)  # jieba announces the dictionary build on stderr
    try:
        tokenizer = module.Tokenizer()
        tokenizer.initialize()
        for word in _DOMAIN_WORDS:
            tokenizer.add_word(word)
        for word, freq in _DOMAIN_FREQUENCIES.items():
            tokenizer.add_word(word, freq)
    finally:
        logger.setLevel(previous)
    return JiebaSegmenter(tokenizer)


_state = _JiebaState()


def jieba_available() -> bool:
    """Return True when jieba can be imported (the ``zh`` extra); does not build its dictionary."""
    return _state.import_module() is not None


def jieba_segmenter() -> JiebaSegmenter | None:
    """Return the process-wide jieba segmenter, building it on first call; None without jieba."""
    return _state.load()


def ngram_segment(run: str, is_stop: Callable[[str], bool] | None = None) -> list[str]:
    """Return the unigrams and bigrams of a CJK run, in text order (c0, c0c1, c1, c1c2, ...).

    ``is_stop`` drops stop words among them. This needs no dictionary and matches any
    substring of two characters, at the cost of more and noisier tokens than a segmenter.
    """
    out: list[str] = []
    append = out.append
    last = len(run) - 1
    for i, ch in enumerate(run):
        if is_stop is None or not is_stop(ch):
            append(ch)
        if i < last:
            pair = run[i : i + 2]
            if is_stop is None or not is_stop(pair):
                append(pair)
    return out
