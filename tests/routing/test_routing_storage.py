"""The routing storage contract on memory, SQLite and PostgreSQL."""

from helpdesk_kit.testing.storage_suite_routing import *  # noqa: F403
