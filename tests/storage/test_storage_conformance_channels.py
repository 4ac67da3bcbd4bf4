"""The channels part of the storage contract on memory, SQLite and PostgreSQL."""

from helpdesk_kit.testing.storage_suite import storage  # noqa: F401
from helpdesk_kit.testing.storage_suite_channels import *  # noqa: F403
