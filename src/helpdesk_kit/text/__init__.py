"""Text processing shared by the knowledge base, the bot and hot-word analytics.

Normalization (:func:`normalize`), CJK-aware tokenization (:func:`tokenize`,
:class:`Tokenizer`), a light English stemmer (:func:`stem`), curated stop words and a
:func:`bigrams` helper. Pure functions: no I/O besides jieba's dictionary, loaded lazily.
"""

from __future__ import annotations

from helpdesk_kit.text.normalize import normalize
from helpdesk_kit.text.segment import jieba_available
from helpdesk_kit.text.stem import stem
from helpdesk_kit.text.stopwords import (
    CHINESE_STOP_WORDS,
    ENGLISH_STOP_WORDS,
    STOP_WORDS,
    is_stop_word,
)
from helpdesk_kit.text.tokenizer import Mode, Tokenizer, bigrams, tokenize

__all__ = [
    "CHINESE_STOP_WORDS",
    "ENGLISH_STOP_WORDS",
    "STOP_WORDS",
    "Mode",
    "Tokenizer",
    "bigrams",
    "is_stop_word",
    "jieba_available",
    "normalize",
    "stem",
    "tokenize",
]
