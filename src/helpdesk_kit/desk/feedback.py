"""Satisfaction surveys on the desk: sent when tickets are solved, rated through signed links.

A mixin of :class:`~helpdesk_kit.desk.service.Helpdesk`; turn it on with
``desk.configure_surveys(SurveySettings(secret=...))``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import attrs

from helpdesk_kit.desk.work import Work
from helpdesk_kit.errors import ConfigurationError, InvalidInput
from helpdesk_kit.feedback.model import BAD_RATING_REASONS, Survey
from helpdesk_kit.feedback.rules import check_rating, is_bad, survey_text
from helpdesk_kit.feedback.settings import SurveySettings
from helpdesk_kit.feedback.tokens import sign_token, verify_token
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import (
    Actor,
    AuthorKind,
    FollowUp,
    Message,
    StateCategory,
    Ticket,
    TicketEvent,
)

if TYPE_CHECKING:
    from helpdesk_kit.desk.service import ActorLike, Helpdesk, TicketRef

__all__ = ["SurveyCommands"]


def _as_desk(obj: object) -> Helpdesk:
    """The desk a mixin method runs on (the mixin is only ever a base of ``Helpdesk``)."""
    return cast("Helpdesk", obj)


_REACTOR = "surveys"


class SurveyCommands:
    """Commands for satisfaction surveys (mixed into ``Helpdesk``)."""

    _survey_settings: SurveySettings | None = None

    def configure_surveys(self, settings: SurveySettings) -> None:
        """Send surveys when tickets are solved, under ``settings`` (call again to change them)."""
        desk = _as_desk(self)
        if not isinstance(settings, SurveySettings):
            raise InvalidInput(
                f"configure_surveys() takes SurveySettings, got {type(settings).__name__}"
            )
        first = desk._survey_settings is None
        self._survey_settings = settings
        if first:
            desk.add_reactor(_REACTOR, _on_events)

    @property
    def survey_settings(self) -> SurveySettings:
        """The survey settings; ``ConfigurationError`` before ``configure_surveys``."""
        if self._survey_settings is None:
            raise ConfigurationError(
                "surveys are not configured; call desk.configure_surveys(SurveySettings(...))"
            )
        return self._survey_settings

    # ------------------------------------------------------------------ sending

    def send_survey(self, ticket: TicketRef, *, actor: ActorLike = None) -> Survey | None:
        """Send a survey now (a chat session ended); None when ``per`` rules one out.

        With ``per="solve"`` a ticket gets one survey per solve, with ``per="ticket"`` one in
        all; ``per="interaction"`` sends one on every call.
        """
        desk = _as_desk(self)
        settings = desk.survey_settings
        who = desk._actor(actor)
        desk._require_staff(who, "sending a survey")
        with desk._work() as work:
            current = desk._load_ticket(work, ticket)
            return _send(desk, work, current, settings, explicit=True)

    def survey_token(self, survey: Survey | str) -> str:
        """The signed token of a survey (to put into a link); valid until it expires."""
        desk = _as_desk(self)
        found = survey if isinstance(survey, Survey) else desk.get_survey(survey)
        return sign_token(desk.survey_settings.secret, found.id, found.expires_at)

    def survey_link(self, survey: Survey | str) -> str:
        """The survey's link (``SurveySettings.link`` with its token), or the bare token."""
        desk = _as_desk(self)
        token = desk.survey_token(survey)
        template = desk.survey_settings.link
        return template.format(token=token) if template else token

    # ------------------------------------------------------------------ rating

    def survey_for_token(self, token: str) -> Survey:
        """The survey a valid token names (``InvalidToken`` when forged or expired)."""
        desk = _as_desk(self)
        survey_id = verify_token(desk.survey_settings.secret, token, desk.now())
        return desk.get_survey(survey_id)

    def rate_survey(
        self,
        token: str,
        score: int | None = None,
        *,
        nps: int | None = None,
        comment: str | None = None,
        reason: str | None = None,
    ) -> Survey:
        """Record the customer's answer to the survey ``token`` names, or change it.

        A first answer records ``survey.rated``; a new answer within ``change_window`` of the
        first records ``survey.changed``. A bad rating (see ``SurveySettings``) opens a
        follow-up with the reason category, records ``survey.bad_rating`` and notifies.
        """
        desk = _as_desk(self)
        settings = desk.survey_settings
        survey_id = verify_token(settings.secret, token, desk.now())
        bad_rating: tuple[Survey, Ticket] | None = None
        with desk._work() as work:
            current = work.uow.surveys.get(survey_id)
            score, nps, comment, reason = check_rating(current.kind, score, nps, comment, reason)
            ticket = work.ticket(current.ticket_id)
            who = Actor.customer(current.customer_id)
            if current.rated_at is None:
                updated = attrs.evolve(
                    current,
                    score=score,
                    nps=nps,
                    comment=comment,
                    reason=reason,
                    rated_at=work.now,
                    updated_at=work.now,
                )
                event = desk._event(
                    work,
                    ticket,
                    ev.SURVEY_RATED,
                    who,
                    survey_id=current.id,
                    score=score,
                    nps=nps,
                    reason=reason,
                    comment=comment,
                )
            else:
                closes = current.rated_at + settings.change_window
                if work.now >= closes:
                    raise InvalidInput(
                        f"this rating can no longer be changed (changes were possible until "
                        f"{closes.isoformat()})"
                    )
                updated = attrs.evolve(
                    current,
                    score=score,
                    nps=nps,
                    comment=comment if comment is not None else current.comment,
                    reason=reason if reason is not None else current.reason,
                    updated_at=work.now,
                    changes=current.changes + 1,
                )
                event = desk._event(
                    work,
                    ticket,
                    ev.SURVEY_CHANGED,
                    who,
                    survey_id=current.id,
                    **{
                        "from": {"score": current.score, "nps": current.nps},
                        "to": {"score": score, "nps": nps},
                    },
                )
            events = [event]
            if is_bad(score, nps, settings) and updated.followup_id is None:
                followup = _bad_rating_followup(desk, work, ticket, updated, settings)
                updated = attrs.evolve(updated, followup_id=followup.id)
                events += [
                    desk._event(
                        work,
                        ticket,
                        ev.FOLLOWUP_ADDED,
                        Actor.system(),
                        followup_id=followup.id,
                        title=followup.title,
                        reason=followup.reason,
                    ),
                    desk._event(
                        work,
                        ticket,
                        ev.SURVEY_BAD_RATING,
                        Actor.system(),
                        survey_id=updated.id,
                        score=score,
                        nps=nps,
                        reason=updated.reason,
                        followup_id=followup.id,
                    ),
                ]
                bad_rating = (updated, ticket)
            work.uow.surveys.update(updated)
            saved = work.save(ticket, ticket, events)
        if bad_rating is not None and settings.notify_bad_ratings:
            _notify_bad_rating(desk, bad_rating[0], saved)
        return updated

    def classify_bad_rating(
        self, survey: Survey | str, reason: str, *, actor: ActorLike = None
    ) -> Survey:
        """Set the reason category of a rating after following it up (attitude, ...)."""
        desk = _as_desk(self)
        who = desk._actor(actor)
        desk._require_staff(who, "classifying a rating")
        if reason not in BAD_RATING_REASONS:
            raise InvalidInput(
                f"reason must be one of {', '.join(BAD_RATING_REASONS)}, got {reason!r}"
            )
        sid = survey.id if isinstance(survey, Survey) else survey
        with desk._work() as work:
            current = work.uow.surveys.get(sid)
            if current.reason == reason:
                return current
            updated = work.uow.surveys.update(attrs.evolve(current, reason=reason))
            ticket = work.ticket(current.ticket_id)
            event = desk._event(
                work,
                ticket,
                ev.SURVEY_CHANGED,
                who,
                survey_id=sid,
                **{"from": {"reason": current.reason}, "to": {"reason": reason}},
            )
            work.save(ticket, ticket, [event])
            return updated

    # ------------------------------------------------------------------ queries

    def get_survey(self, survey_id: str) -> Survey:
        """A survey by id."""
        desk = _as_desk(self)
        with desk.storage.unit_of_work() as uow:
            return uow.surveys.get(survey_id)

    def surveys(self, ticket: TicketRef) -> list[Survey]:
        """A ticket's surveys, oldest first."""
        desk = _as_desk(self)
        with desk.storage.unit_of_work() as uow:
            t = desk._load_ticket(Work(uow, desk.now()), ticket)
            return uow.surveys.list_for_ticket(t.id)


def _solved_now(desk: Helpdesk, event: TicketEvent, ticket: Ticket) -> bool:
    if event.kind != ev.TRANSITIONED:
        return False
    lc = desk.lifecycles.get(ticket.lifecycle)
    if lc is None:
        return False
    try:
        to = lc.category(str(event.data.get("to")))
        was = lc.category(str(event.data.get("from")))
    except Exception:  # a state the lifecycle no longer has
        return False
    return to is StateCategory.SOLVED and was is not StateCategory.SOLVED


def _on_events(desk: Helpdesk, work: Work, events: list[TicketEvent]) -> None:
    settings = desk._survey_settings
    if settings is None:
        return
    done: set[str] = set()
    for event in events:
        if event.ticket_id in done:
            continue
        ticket = work.ticket(event.ticket_id)
        if _solved_now(desk, event, ticket):
            done.add(event.ticket_id)
            _send(desk, work, ticket, settings, explicit=False)


def _send(
    desk: Helpdesk, work: Work, ticket: Ticket, settings: SurveySettings, *, explicit: bool
) -> Survey | None:
    if ticket.merged_into is not None:
        return None
    if settings.channels is not None and ticket.channel not in settings.channels:
        return None
    existing = work.uow.surveys.list_for_ticket(ticket.id)
    if settings.per == "ticket":
        if existing:
            return None
        round_ = 1
    elif settings.per == "solve":
        round_ = ticket.reopen_count + 1
        if any(s.round == round_ for s in existing):
            return None
    else:
        if any(s.sent_at == work.now for s in existing):
            return None  # the solve and an explicit send in one command: one survey
        round_ = len(existing) + 1
    survey = Survey(
        ticket_id=ticket.id,
        customer_id=ticket.customer_id,
        channel=ticket.channel,
        kind=settings.kind,
        round=round_,
        sent_at=work.now,
        expires_at=work.now + settings.expires_after,
        agent_id=ticket.assignee_id,
    )
    token = sign_token(settings.secret, survey.id, survey.expires_at)
    message = Message(
        ticket_id=ticket.id,
        author_kind=AuthorKind.SYSTEM,
        text=survey_text(settings, ref=ticket.ref, token=token, language=ticket.language),
        created_at=work.now,
        channel=ticket.channel,
        public=True,
    )
    work.uow.messages.add(message)
    survey = attrs.evolve(survey, message_id=message.id)
    work.uow.surveys.add(survey)
    event = TicketEvent(
        ticket.id,
        ev.SURVEY_SENT,
        work.now,
        "system",
        {
            "survey_id": survey.id,
            "kind": survey.kind.value,
            "round": round_,
            "message_id": message.id,
            "expires_at": survey.expires_at.isoformat(),
            "agent_id": survey.agent_id,
            "explicit": explicit,
        },
    )
    saved = work.save(ticket, ticket, [event])
    work.outbox.append((saved, message, work.uow.customers.get(ticket.customer_id)))
    return survey


def _bad_rating_followup(
    desk: Helpdesk, work: Work, ticket: Ticket, survey: Survey, settings: SurveySettings
) -> FollowUp:
    score = f"CSAT {survey.score}" if survey.score is not None else f"NPS {survey.nps}"
    assignee: str | None = None
    if ticket.group_id is not None:
        assignee = work.uow.groups.get(ticket.group_id).supervisor_id
    followup = FollowUp(
        ticket_id=ticket.id,
        title=f"差评回访 / follow up a bad rating ({score})",
        created_at=work.now,
        reason=f"bad_rating:{survey.reason or 'unclassified'}",
        assignee_id=assignee,
        due_at=work.now + settings.followup_due,
    )
    return work.uow.followups.add(followup)


def _notify_bad_rating(desk: Helpdesk, survey: Survey, ticket: Ticket) -> None:
    recipients: list[str] = []
    if ticket.group_id is not None:
        try:
            group = desk.get_group(ticket.group_id)
        except Exception:  # a notification must not fail the rating
            group = None
        if group is not None:
            recipients.append(group.name)
            if group.supervisor_id:
                recipients.append(group.supervisor_id)
    if survey.agent_id:
        recipients.append(survey.agent_id)
    score = f"{survey.score}/5" if survey.score is not None else f"NPS {survey.nps}/10"
    text = f"Ticket {ticket.ref} was rated {score}."
    if survey.reason:
        text += f" Reason: {survey.reason}."
    if survey.comment:
        text += f" Comment: {survey.comment}"
    desk.notify(
        "survey.bad_rating",
        subject=f"Bad rating on {ticket.ref}: {score}",
        text=text,
        ticket=ticket,
        recipients=recipients,
    )
