"""The web-form channel: typed form definitions, validation, spam checks, tickets."""

from __future__ import annotations

from helpdesk_kit.channels.webform.channel import FormChannel, FormResult
from helpdesk_kit.channels.webform.definition import (
    Choice,
    FieldType,
    FormDefinition,
    FormField,
    FormSubmission,
    Target,
    Upload,
    forms_from_toml,
)
from helpdesk_kit.channels.webform.tokens import form_token_time, issue_form_token

__all__ = [
    "Choice",
    "FieldType",
    "FormChannel",
    "FormDefinition",
    "FormField",
    "FormResult",
    "FormSubmission",
    "Target",
    "Upload",
    "form_token_time",
    "forms_from_toml",
    "issue_form_token",
]
