"""The names of the events the desk records, one constant per kind."""

from __future__ import annotations

TICKET_CREATED = "ticket.created"
MESSAGE_RECEIVED = "message.received"  # a customer's message joined the ticket
REPLY_SENT = "reply.sent"  # a public reply by an agent or the bot
NOTE_ADDED = "note.added"  # an internal note
TRANSITIONED = "ticket.transitioned"  # data: transition, from, to
REOPENED = "ticket.reopened"  # data: transition, from, to (also recorded as transitioned)
ASSIGNED = "ticket.assigned"  # data: assignee_id, group_id, previous_assignee_id, previous_group_id
PRIORITY_CHANGED = "ticket.priority_changed"  # data: from, to
TAGS_CHANGED = "ticket.tags_changed"  # data: added, removed
FIELDS_CHANGED = "ticket.fields_changed"  # data: changes {field: [old, new]}
MERGED_INTO = "ticket.merged_into"  # on the source: data: into, into_number
MERGED_FROM = "ticket.merged_from"  # on the target: data: source, source_number, messages
CONFIRMED = "ticket.confirmed"  # the customer confirmed the problem is solved
FOLLOWUP_ADDED = "followup.added"  # data: followup_id, title, reason
FOLLOWUP_DONE = "followup.done"  # data: followup_id
DELIVERED = "message.delivered"  # data: message_id, channel
DELIVERY_FAILED = "message.delivery_failed"  # data: message_id, channel, error
SLA_WARNING = "sla.warning"  # data: metric, cycle, policy, warn_at, due_at, target_seconds
SLA_BREACHED = "sla.breached"  # data: metric, cycle, policy, due_at, breached_at, target_seconds
# The bot (docs/bot.md): what it did in a conversation, and when a person took over.
BOT_STARTED = "bot.started"  # the bot took the conversation
BOT_INTENT = "bot.intent"  # data: intent, confidence, message_id (the topic set or changed)
BOT_ANSWERED = "bot.answered"  # data: article_id, key, intent (an article offered)
BOT_ACTION = "bot.action"  # data: flow, action, ok, error
BOT_CANCELLED = "bot.cancelled"  # data: flow, why (a flow stopped: cancelled, new subject)
BOT_ENDED = "bot.ended"  # data: intent, via, outcome (the bot resolved the conversation)
HANDOFF = "bot.handoff"  # data: reason, intent, slots, articles, turns (a person takes over)
BOT_RELABELLED = "bot.relabelled"  # data: intent, previous, message_id, agent_id
SURVEY_SENT = "survey.sent"  # data: survey_id, kind, round, message_id, expires_at, agent_id
SURVEY_RATED = "survey.rated"  # data: survey_id, score, nps, reason
SURVEY_CHANGED = "survey.changed"  # data: survey_id, from {score, nps}, to {score, nps}
SURVEY_BAD_RATING = "survey.bad_rating"  # data: survey_id, score, nps, reason, followup_id

__all__ = [
    "ASSIGNED",
    "BOT_ACTION",
    "BOT_ANSWERED",
    "BOT_CANCELLED",
    "BOT_ENDED",
    "BOT_INTENT",
    "BOT_RELABELLED",
    "BOT_STARTED",
    "CONFIRMED",
    "DELIVERED",
    "DELIVERY_FAILED",
    "FIELDS_CHANGED",
    "FOLLOWUP_ADDED",
    "FOLLOWUP_DONE",
    "HANDOFF",
    "MERGED_FROM",
    "MERGED_INTO",
    "MESSAGE_RECEIVED",
    "NOTE_ADDED",
    "PRIORITY_CHANGED",
    "REOPENED",
    "REPLY_SENT",
    "SLA_BREACHED",
    "SLA_WARNING",
    "SURVEY_BAD_RATING",
    "SURVEY_CHANGED",
    "SURVEY_RATED",
    "SURVEY_SENT",
    "TAGS_CHANGED",
    "TICKET_CREATED",
    "TRANSITIONED",
]
