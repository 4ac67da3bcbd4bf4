"""The template, macro and authority storage contracts on memory, SQLite and PostgreSQL."""

from helpdesk_kit.testing.storage_suite_authority import *  # noqa: F403
from helpdesk_kit.testing.storage_suite_macros import *  # noqa: F403
