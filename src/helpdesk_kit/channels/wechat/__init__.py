"""The WeChat Official Account channel: signed pushes, passive replies, customer-service API."""

from __future__ import annotations

from helpdesk_kit.channels.wechat.api import (
    API_BASE,
    HttpResponse,
    HttpTransport,
    MemoryTokenCache,
    TokenCache,
    UrllibTransport,
    WeChatApi,
)
from helpdesk_kit.channels.wechat.channel import PASSIVE_LIMIT, WeChatChannel, WeChatResponse
from helpdesk_kit.channels.wechat.signature import check_signature, sign, verify_url
from helpdesk_kit.channels.wechat.xml import (
    MsgType,
    WeChatPush,
    parse_push,
    parse_xml,
    text_reply_xml,
)

__all__ = [
    "API_BASE",
    "PASSIVE_LIMIT",
    "HttpResponse",
    "HttpTransport",
    "MemoryTokenCache",
    "MsgType",
    "TokenCache",
    "UrllibTransport",
    "WeChatApi",
    "WeChatChannel",
    "WeChatPush",
    "WeChatResponse",
    "check_signature",
    "parse_push",
    "parse_xml",
    "sign",
    "text_reply_xml",
    "verify_url",
]
