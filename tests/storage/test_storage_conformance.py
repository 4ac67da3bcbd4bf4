"""The storage conformance suite on memory, SQLite and PostgreSQL."""

from helpdesk_kit.testing.storage_suite import *  # noqa: F403
