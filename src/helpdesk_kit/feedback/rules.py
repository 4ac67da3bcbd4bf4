"""The rating rules: valid answers, what a bad rating is, NPS buckets, the survey message."""

from __future__ import annotations

from typing import Literal

from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.feedback.model import BAD_RATING_REASONS, SurveyKind
from helpdesk_kit.feedback.settings import SurveySettings

__all__ = ["MAX_COMMENT", "check_rating", "is_bad", "nps_bucket", "survey_text"]

#: Longest comment kept, in characters.
MAX_COMMENT = 2000


def _int(value: object, name: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidInput(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    return value


def check_rating(
    kind: SurveyKind,
    score: int | None,
    nps: int | None,
    comment: str | None,
    reason: str | None,
) -> tuple[int | None, int | None, str | None, str | None]:
    """Validate an answer to a survey of ``kind``; return it cleaned (comment stripped).

    A CSAT survey needs ``score`` (1-5); an NPS survey needs ``nps`` (0-10); ``csat+nps``
    needs ``score`` and takes ``nps`` optionally. ``reason`` is one of
    :data:`BAD_RATING_REASONS` or None.
    """
    problems: list[str] = []
    out_score = out_nps = None
    try:
        if kind.asks_csat:
            if score is None:
                raise InvalidInput("this survey needs a score from 1 to 5")
            out_score = _int(score, "score", 1, 5)
        elif score is not None:
            raise InvalidInput("this survey asks for an NPS score (nps=0..10), not a 1-5 score")
    except InvalidInput as exc:
        problems.append(str(exc))
    try:
        if kind.asks_nps and nps is not None:
            out_nps = _int(nps, "nps", 0, 10)
        elif kind is SurveyKind.NPS:
            raise InvalidInput("this survey needs an NPS score from 0 to 10 (nps=...)")
        elif nps is not None:
            raise InvalidInput("this survey does not ask for an NPS score")
    except InvalidInput as exc:
        problems.append(str(exc))
    if reason is not None and reason not in BAD_RATING_REASONS:
        problems.append(f"reason must be one of {', '.join(BAD_RATING_REASONS)}, got {reason!r}")
    text = None
    if comment is not None:
        if not isinstance(comment, str):
            problems.append(f"comment must be text, got {type(comment).__name__}")
        else:
            text = comment.strip()[:MAX_COMMENT] or None
    if problems:
        raise InvalidInput("; ".join(problems), problems)
    return out_score, out_nps, text, reason


def is_bad(score: int | None, nps: int | None, settings: SurveySettings) -> bool:
    """True when the answer is a bad rating under ``settings``."""
    if score is not None and score <= settings.bad_threshold:
        return True
    return (
        nps is not None
        and settings.nps_bad_threshold is not None
        and (nps <= settings.nps_bad_threshold)
    )


def nps_bucket(nps: int) -> Literal["promoter", "passive", "detractor"]:
    """Promoters answer 9-10, passives 7-8, detractors 0-6."""
    _int(nps, "nps", 0, 10)
    if nps >= 9:
        return "promoter"
    return "passive" if nps >= 7 else "detractor"


def survey_text(settings: SurveySettings, *, ref: str, token: str, language: str | None) -> str:
    """The survey message in the ticket's language (Chinese for ``zh*``, else English)."""
    lang = "zh" if (language or "").lower().startswith("zh") else "en"
    link = settings.link.format(token=token) if settings.link else token
    if settings.kind is SurveyKind.NPS:
        scale = "0–10" if lang == "en" else "0–10 分"
    else:
        scale = "1–5" if lang == "en" else "1–5 分"
    return settings.texts[lang].format(ref=ref, link=link, scale=scale)
