"""The storage port for satisfaction surveys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from helpdesk_kit.feedback.model import Survey

__all__ = ["SurveyRepository"]


class SurveyRepository(Protocol):
    """Surveys sent for tickets and their ratings."""

    def add(self, survey: Survey) -> Survey:
        """Store a new survey; ``AlreadyExists`` if its id is taken."""
        ...

    def add_many(self, surveys: Sequence[Survey]) -> None:
        """Store new surveys at once (history imports, simulations)."""
        ...

    def get(self, survey_id: str) -> Survey:
        """Return the survey; ``NotFound`` if there is none."""
        ...

    def update(self, survey: Survey) -> Survey:
        """Replace the stored survey; ``NotFound`` if there is none."""
        ...

    def list_for_ticket(self, ticket_id: str) -> list[Survey]:
        """The ticket's surveys, oldest first (by ``sent_at``, then id)."""
        ...
