"""The knowledge base's storage contract on memory, SQLite and PostgreSQL."""

from helpdesk_kit.testing.storage_suite_kb import *  # noqa: F403
