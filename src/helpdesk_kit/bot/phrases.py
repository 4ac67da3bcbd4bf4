"""Phrase matching for the dialogue: hand-off requests, anger, cancel, yes/no, and locales.

The classifier decides what a message is *about*; these small, predictable matchers
decide what a message *does* to the conversation ("转人工" hands off at any point,
"取消" cancels the flow, "是的" confirms). They work on normalised text (NFKC,
case-folded), match Chinese phrases as substrings and Latin phrases as whole words,
and are plain data that a desk can replace per locale.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.text import normalize

__all__ = [
    "CANCEL",
    "HANDOFF",
    "NEGATIVE",
    "NO",
    "YES",
    "PhraseSet",
    "detect_locale",
    "fill",
    "language_of",
    "pick_text",
    "yes_or_no",
]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]")
# A Latin word: two letters or more, not glued to digits (order numbers such as SO123456).
_LATIN_WORD = re.compile(r"(?<![a-z0-9])[a-z]{2,}(?![a-z0-9])")
_ADDRESS = re.compile(r"\S+@\S+|https?://\S+")
# What a reply is stripped of before exact comparison: spaces, punctuation, emoji.
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def _has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def language_of(locale: str | None) -> str | None:
    """Return the language part of a locale tag (``"zh-CN"`` → ``"zh"``), or None."""
    if not locale or not isinstance(locale, str):
        return None
    return locale.replace("_", "-").split("-")[0].lower() or None


def detect_locale(text: str, current: str | None, default: str = "en") -> str:
    """Guess the language a customer writes in: ``"zh"`` for Chinese, ``"en"`` for Latin words.

    A message with neither (an order number, an e-mail address, an emoji) keeps ``current``
    (else ``default``).
    """
    if _has_cjk(text):
        return "zh"
    if _LATIN_WORD.search(_ADDRESS.sub(" ", normalize(text))):
        return "en"
    return language_of(current) or default


def pick_text(texts: Mapping[str, str], locale: str | None, default: str = "en") -> str:
    """The text for ``locale`` from ``{locale: text}``: exact, same language, default, any."""
    if not texts:
        return ""
    if locale is not None and locale in texts:
        return texts[locale]
    lang = language_of(locale)
    for key, value in texts.items():
        if language_of(key) == lang:
            return value
    if default in texts:
        return texts[default]
    for key, value in texts.items():
        if language_of(key) == language_of(default):
            return value
    return next(iter(texts.values()))


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(text: str, values: Mapping[str, Any]) -> str:
    """``text`` with its ``{name}`` placeholders filled from ``values`` (unknown ones stay)."""
    try:
        return text.format_map(_Missing(values))
    except (ValueError, IndexError, AttributeError):
        return text


def _squash(text: str) -> str:
    return _NOISE.sub("", normalize(text))


def _to_frozenset(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)


@attrs.frozen
class PhraseSet:
    """Phrases to find in a message: Chinese ones as substrings, Latin ones as whole words.

    ``exact=True`` matches only when the whole message (without spaces and punctuation)
    is one of the phrases — for short commands like "取消" that would misfire inside a
    longer sentence.
    """

    phrases: frozenset[str] = attrs.field(converter=_to_frozenset)
    exact: bool = False
    _cjk: tuple[str, ...] = attrs.field(init=False, repr=False, eq=False)
    _latin: re.Pattern[str] | None = attrs.field(init=False, repr=False, eq=False)
    _squashed: frozenset[str] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        cleaned = []
        for phrase in self.phrases:
            if not isinstance(phrase, str) or not phrase.strip():
                raise InvalidInput(f"a phrase must be a non-empty string, got {phrase!r}")
            cleaned.append(" ".join(normalize(phrase).split()))
        cjk = tuple(sorted(p for p in cleaned if _has_cjk(p)))
        latin = sorted((p for p in cleaned if not _has_cjk(p)), key=len, reverse=True)
        pattern = (
            re.compile(
                r"(?<![a-z0-9])(?:"
                + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in latin)
                + r")(?![a-z0-9])"
            )
            if latin
            else None
        )
        object.__setattr__(self, "_cjk", cjk)
        object.__setattr__(self, "_latin", pattern)
        object.__setattr__(self, "_squashed", frozenset(_squash(p) for p in cleaned))

    @classmethod
    def of(
        cls, groups: Mapping[str, Iterable[str]] | Iterable[str], *, exact: bool = False
    ) -> PhraseSet:
        """Build from a list of phrases or ``{locale: [phrases]}`` (all locales together)."""
        items: list[str]
        if isinstance(groups, Mapping):
            items = [p for values in groups.values() for p in values]
        elif isinstance(groups, str):
            raise InvalidInput("give a list of phrases, not one string")
        else:
            items = list(groups)
        return cls(frozenset(items), exact=exact)

    def matches(self, text: str) -> bool:
        """True when ``text`` contains one of the phrases (or is one, for ``exact`` sets)."""
        if self.exact:
            return _squash(text) in self._squashed
        norm = " ".join(normalize(text).split())
        if any(p in norm for p in self._cjk):
            return True
        return self._latin is not None and self._latin.search(norm) is not None

    def __or__(self, other: PhraseSet) -> PhraseSet:
        return PhraseSet(self.phrases | other.phrases, exact=self.exact and other.exact)


#: "I want a person": hands off at any point of a conversation.
HANDOFF = PhraseSet.of(
    {
        "zh": ["转人工", "人工", "真人", "找客服", "联系客服", "客服人员", "人工服务"],
        "en": [
            "human",
            "agent",
            "person",
            "real person",
            "representative",
            "operator",
            "talk to someone",
            "speak to someone",
        ],
    }
)

#: Anger and strong negative words: the customer gets a person rather than more bot.
NEGATIVE = PhraseSet.of(
    {
        "zh": [
            "垃圾",
            "投诉",
            "气死",
            "骗子",
            "骗人",
            "太差",
            "差劲",
            "无语",
            "坑人",
            "恶心",
            "废物",
            "什么破",
            "他妈",
            "妈的",
            "愤怒",
            "忍无可忍",
            "忽悠",
        ],
        "en": [
            "angry",
            "furious",
            "terrible",
            "awful",
            "horrible",
            "useless",
            "ridiculous",
            "worst",
            "scam",
            "fraud",
            "disgusting",
            "unacceptable",
            "pathetic",
            "wtf",
            "stupid",
            "rubbish",
            "garbage",
            "fed up",
            "sick of",
            "complaint",
            "complain",
        ],
    }
)

#: Ends the current flow (only while a flow is asking for something).
CANCEL = PhraseSet.of(
    {
        "zh": [
            "取消",
            "取消吧",
            "算了",
            "算了吧",
            "不用了",
            "不要了",
            "先不用了",
            "退出",
            "不查了",
            "取消操作",
        ],
        "en": [
            "cancel",
            "cancel it",
            "cancel that",
            "cancel please",
            "please cancel",
            "stop",
            "quit",
            "exit",
            "never mind",
            "nevermind",
            "forget it",
            "no thanks",
            "no thank you",
        ],
    },
    exact=True,
)

#: Answers to a yes/no question (a confirmation, "did this help?").
YES = frozenset(
    {
        "是",
        "是的",
        "对",
        "对的",
        "好",
        "好的",
        "嗯",
        "嗯嗯",
        "可以",
        "确认",
        "确定",
        "没错",
        "有用",
        "有帮助",
        "解决了",
        "行",
        "要",
        "需要",
        "不错",
        "yes",
        "y",
        "yeah",
        "yep",
        "yup",
        "sure",
        "ok",
        "okay",
        "correct",
        "right",
        "that's right",
        "thats right",
        "confirm",
        "confirmed",
        "go ahead",
        "please do",
        "it did",
        "it helped",
        "helpful",
        "solved",
        "perfect",
        "great",
    }
)
NO = frozenset(
    {
        "不",
        "不是",
        "否",
        "不对",
        "没有",
        "没用",
        "不行",
        "错了",
        "没解决",
        "不要",
        "不需要",
        "没帮助",
        "没有帮助",
        "no",
        "n",
        "nope",
        "nah",
        "not really",
        "wrong",
        "incorrect",
        "didn't help",
        "did not help",
        "not helpful",
        "it didn't",
        "it did not",
        "doesn't help",
        "not quite",
    }
)

_YES_NO: list[tuple[str, bool]] = sorted(
    [(" ".join(normalize(p).split()), True) for p in YES]
    + [(" ".join(normalize(p).split()), False) for p in NO],
    key=lambda item: len(item[0]),
    reverse=True,
)
_YES_SQ = {_squash(p) for p in YES}
_NO_SQ = {_squash(p) for p in NO}
_BOUNDARY = re.compile(r"[\s\W_]", re.UNICODE)


def yes_or_no(text: str) -> bool | None:
    """True for a yes, False for a no, None when the message is neither.

    The whole message may be the answer ("是的", "No.") or start with it ("yes please",
    "不是，订单号是 123"); the longest matching phrase wins, so "不错" (good) is a yes.
    """
    squashed = _squash(text)
    if squashed in _YES_SQ:
        return True
    if squashed in _NO_SQ:
        return False
    norm = " ".join(normalize(text).split())
    for phrase, answer in _YES_NO:
        if not norm.startswith(phrase):
            continue
        rest = norm[len(phrase) :]
        if not rest or _BOUNDARY.match(rest) or (_has_cjk(phrase) and len(phrase) >= 2):
            return answer
    return None
