"""The survey and KPI-facts storage contract on memory, SQLite and PostgreSQL."""

from helpdesk_kit.testing.storage_suite_feedback import *  # noqa: F403
