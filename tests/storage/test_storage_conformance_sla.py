"""The SLA timer storage contract on memory, SQLite and PostgreSQL."""

from helpdesk_kit.testing.storage_suite_sla import *  # noqa: F403
