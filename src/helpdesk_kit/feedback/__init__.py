"""Satisfaction surveys: the survey record, its settings, signed links and the rating rules.

Pure domain code (no I/O): the desk's :class:`~helpdesk_kit.desk.feedback.SurveyCommands`
send surveys when tickets are solved and take the customers' ratings.
"""

from __future__ import annotations

from helpdesk_kit.feedback.model import BAD_RATING_REASONS, Survey, SurveyKind
from helpdesk_kit.feedback.rules import (
    check_rating,
    is_bad,
    nps_bucket,
    survey_text,
)
from helpdesk_kit.feedback.settings import SurveySettings
from helpdesk_kit.feedback.tokens import sign_token, verify_token

__all__ = [
    "BAD_RATING_REASONS",
    "Survey",
    "SurveyKind",
    "SurveySettings",
    "check_rating",
    "is_bad",
    "nps_bucket",
    "sign_token",
    "survey_text",
    "verify_token",
]
