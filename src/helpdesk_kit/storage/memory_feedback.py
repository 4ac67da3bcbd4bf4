"""Surveys in memory (the reference semantics of :class:`SurveyRepository`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from helpdesk_kit.errors import AlreadyExists, NotFound
from helpdesk_kit.feedback.model import Survey

if TYPE_CHECKING:
    from helpdesk_kit.storage.memory import _Data, _Undo

__all__ = ["MemorySurveys", "surveys_of"]


def surveys_of(data: _Data) -> dict[str, Survey]:
    """The committed surveys of a memory store, by id."""
    table: dict[str, Any] = data.extra.setdefault("surveys", {})
    return table


class MemorySurveys:
    """:class:`~helpdesk_kit.storage.feedback.SurveyRepository` on a memory store."""

    def __init__(self, data: _Data, undo: _Undo) -> None:
        self._table = surveys_of(data)
        self._u = undo

    def add(self, survey: Survey) -> Survey:
        """Store a new survey."""
        if survey.id in self._table:
            raise AlreadyExists("survey", survey.id, survey.id)
        self._u.set(self._table, survey.id, survey)
        return survey

    def add_many(self, surveys: Sequence[Survey]) -> None:
        """Store new surveys."""
        for survey in surveys:
            self.add(survey)

    def get(self, survey_id: str) -> Survey:
        """The survey; ``NotFound`` if there is none."""
        try:
            return self._table[survey_id]
        except KeyError:
            raise NotFound("survey", survey_id) from None

    def update(self, survey: Survey) -> Survey:
        """Replace the stored survey."""
        self.get(survey.id)
        self._u.set(self._table, survey.id, survey)
        return survey

    def list_for_ticket(self, ticket_id: str) -> list[Survey]:
        """The ticket's surveys, oldest first."""
        found = [s for s in self._table.values() if s.ticket_id == ticket_id]
        return sorted(found, key=lambda s: (s.sent_at, s.id))
