"""Channels: each turns its raw input into one normalized inbound message and sends replies.

The contract is in :mod:`helpdesk_kit.channels.base`; the channels are the packages
``email``, ``webform``, ``webchat``, ``phone`` and ``wechat`` (imported on use).
"""

from __future__ import annotations

from helpdesk_kit.channels.base import Capability, Channel, ChannelPlugin, IntakeReport

__all__ = ["Capability", "Channel", "ChannelPlugin", "IntakeReport"]
