"""The escalation storage contract on memory, SQLite and PostgreSQL."""

from helpdesk_kit.testing.storage_suite_escalation import *  # noqa: F403
