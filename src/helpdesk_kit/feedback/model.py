"""The survey record: one satisfaction survey sent for one ticket, and its rating."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import attrs

from helpdesk_kit.clock import ensure_aware
from helpdesk_kit.ids import new_id

__all__ = ["BAD_RATING_REASONS", "Survey", "SurveyKind"]

#: Why a rating was bad (the guide: attitude, competence or process), plus product and other.
BAD_RATING_REASONS = ("attitude", "competence", "process", "product", "other")


class SurveyKind(enum.StrEnum):
    """What a survey asks: a 1-5 CSAT score, a 0-10 NPS score, or both."""

    CSAT = "csat"
    NPS = "nps"
    CSAT_NPS = "csat+nps"

    @property
    def asks_csat(self) -> bool:
        """True when the survey asks for a 1-5 satisfaction score."""
        return self is not SurveyKind.NPS

    @property
    def asks_nps(self) -> bool:
        """True when the survey asks how likely the customer is to recommend us (0-10)."""
        return self is not SurveyKind.CSAT


def _aware(_inst: object, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    if value is not None:
        ensure_aware(value, attribute.name)


@attrs.frozen
class Survey:
    """A survey sent after a ticket was solved (or an interaction ended), with its rating.

    ``round`` numbers the surveys of one ticket: the solve it follows (1 for the first
    solve, 2 after a reopen and a second solve) or, per interaction, the interaction.
    ``score`` is the 1-5 CSAT answer, ``nps`` the 0-10 answer; both stay ``None`` until the
    customer answers. ``rated_at`` is the first answer, ``updated_at`` the last change and
    ``changes`` how many times it changed. ``reason`` is the category of a bad rating and
    ``followup_id`` the follow-up task a bad rating opened.
    """

    ticket_id: str
    customer_id: str
    channel: str
    kind: SurveyKind = attrs.field(converter=SurveyKind)
    round: int
    sent_at: datetime = attrs.field(validator=_aware)
    expires_at: datetime = attrs.field(validator=_aware)
    agent_id: str | None = None
    message_id: str | None = None
    score: int | None = None
    nps: int | None = None
    comment: str | None = None
    reason: str | None = None
    rated_at: datetime | None = attrs.field(default=None, validator=_aware)
    updated_at: datetime | None = attrs.field(default=None, validator=_aware)
    changes: int = 0
    followup_id: str | None = None
    id: str = attrs.field(factory=new_id)

    @property
    def rated(self) -> bool:
        """True once the customer answered."""
        return self.rated_at is not None
