"""The SQL repository of satisfaction surveys."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select, update

from helpdesk_kit.errors import AlreadyExists, NotFound
from helpdesk_kit.feedback.model import Survey
from helpdesk_kit.storage.sql.repositories import _Repo
from helpdesk_kit.storage.sql.rows import check_length
from helpdesk_kit.storage.sql.tables_feedback import surveys

__all__ = ["SqlSurveys", "survey_from_row", "survey_row"]


def survey_row(s: Survey) -> dict[str, Any]:
    """The ``surveys`` row of a survey."""
    check_length(s.channel, "channel", "channel")
    return {
        "id": s.id,
        "ticket_id": s.ticket_id,
        "customer_id": s.customer_id,
        "channel": s.channel,
        "kind": s.kind.value,
        "round": s.round,
        "sent_at": s.sent_at,
        "expires_at": s.expires_at,
        "agent_id": s.agent_id,
        "message_id": s.message_id,
        "score": s.score,
        "nps": s.nps,
        "comment": s.comment,
        "reason": s.reason,
        "rated_at": s.rated_at,
        "updated_at": s.updated_at,
        "changes": s.changes,
        "followup_id": s.followup_id,
    }


def survey_from_row(row: Mapping[Any, Any]) -> Survey:
    """A survey from its row."""
    return Survey(
        ticket_id=row["ticket_id"],
        customer_id=row["customer_id"],
        channel=row["channel"],
        kind=row["kind"],
        round=row["round"],
        sent_at=row["sent_at"],
        expires_at=row["expires_at"],
        agent_id=row["agent_id"],
        message_id=row["message_id"],
        score=row["score"],
        nps=row["nps"],
        comment=row["comment"],
        reason=row["reason"],
        rated_at=row["rated_at"],
        updated_at=row["updated_at"],
        changes=row["changes"],
        followup_id=row["followup_id"],
        id=row["id"],
    )


class SqlSurveys(_Repo):
    """Surveys in the ``surveys`` table."""

    def add(self, survey: Survey) -> Survey:
        """Store a new survey."""
        if not self._inserted(surveys, survey_row(survey), "survey"):
            raise AlreadyExists("survey", survey.id, survey.id)
        return survey

    def add_many(self, new: Sequence[Survey]) -> None:
        """Store new surveys at once."""
        self._insert_many(surveys, [survey_row(s) for s in new], "survey")

    def get(self, survey_id: str) -> Survey:
        """The survey; ``NotFound`` if there is none."""
        row = self._uow.execute(select(surveys).where(surveys.c.id == survey_id)).mappings().first()
        if row is None:
            raise NotFound("survey", survey_id)
        return survey_from_row(row)

    def update(self, survey: Survey) -> Survey:
        """Replace the stored survey."""
        values = {k: v for k, v in survey_row(survey).items() if k != "id"}
        done = self._uow.execute(
            update(surveys).where(surveys.c.id == survey.id), values, what="survey"
        )
        if done.rowcount != 1:
            raise NotFound("survey", survey.id)
        return survey

    def list_for_ticket(self, ticket_id: str) -> list[Survey]:
        """The ticket's surveys, oldest first."""
        q = (
            select(surveys)
            .where(surveys.c.ticket_id == ticket_id)
            .order_by(surveys.c.sent_at, surveys.c.id)
        )
        return [survey_from_row(r) for r in self._uow.execute(q).mappings()]
