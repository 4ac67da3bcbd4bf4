"""The automation rule-state storage contract on memory, SQLite and PostgreSQL."""

from helpdesk_kit.testing.storage_suite_automation import *  # noqa: F403
