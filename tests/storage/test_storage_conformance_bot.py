"""The bot's storage contract (conversations, relabels, queue, metrics) on every backend."""

from helpdesk_kit.testing.storage_suite_bot import *  # noqa: F403
