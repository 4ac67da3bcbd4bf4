"""The starter pack: the guide's first-reply, pending-reminder, apology and closing replies.

Each template has a Chinese and an English body and uses only the variables every desk
offers (customer, ticket, agent), so it renders for any ticket. Install them on a desk with
``desk.install_starter_macros()``; edit them there like any other template.
"""

from __future__ import annotations

from typing import Any

from helpdesk_kit.macros.pack import MacroPack, load_pack

__all__ = ["STARTER", "starter_pack"]

STARTER: dict[str, Any] = {
    "templates": {
        "first_reply": {
            "description": "首次回复 · First reply: greeting, ticket number, we are on it",
            "default_locale": "zh",
            "zh": (
                "您好，{customer.name}！我是客服{agent.name}，很高兴为您服务。\n"
                "您的问题我们已经收到，工单号是 {ticket.number}。"
                "我正在为您查看，有结果会第一时间回复您。"
            ),
            "en": (
                "Hi {customer.name},\n\n"
                "Thanks for getting in touch. This is {agent.name} from the support team. "
                "I've got your message (ticket {ticket.number}) and I'm looking into it now; "
                "I'll get back to you as soon as I have an answer."
            ),
        },
        "pending_reminder": {
            "description": "待回复提醒 · Reminder while we wait for the customer's answer",
            "default_locale": "zh",
            "zh": (
                "您好，{customer.name}！关于工单 {ticket.number}（{ticket.subject}），"
                "我们还在等您的回复。\n"
                "如果问题已经解决，告诉我们一声就好；如果还需要帮助，直接回复这条消息即可。"
            ),
            "en": (
                "Hi {customer.name},\n\n"
                "Just checking in on ticket {ticket.number} ({ticket.subject}): we're still "
                "waiting to hear back from you. If everything is sorted, just let us know; if "
                "you still need a hand, simply reply to this message."
            ),
        },
        "apology": {
            "description": "致歉 · Apology for a bad experience; the agent takes it on personally",
            "default_locale": "zh",
            "zh": (
                "{customer.name}，非常抱歉给您带来了不好的体验。\n"
                "您的问题（工单 {ticket.number}）我已经优先处理，会一直跟进到底，"
                "有任何进展都会第一时间告诉您。\n"
                "——客服 {agent.name}"
            ),
            "en": (
                "Dear {customer.name},\n\n"
                "I'm really sorry for the trouble this has caused you. I've made ticket "
                "{ticket.number} a priority and I'll see it through myself; you'll hear from "
                "me as soon as there is any news.\n\n"
                "{agent.name}"
            ),
        },
        "closing": {
            "description": "结束语 · Closing: the problem is solved, how to come back",
            "default_locale": "zh",
            "zh": (
                "{customer.name}，很高兴您的问题已经解决！工单 {ticket.number} 即将关闭。\n"
                "之后如果还有任何疑问，直接回复这条消息就可以，我们随时为您服务。祝您生活愉快！"
            ),
            "en": (
                "Hi {customer.name},\n\n"
                "Glad we could get this sorted! We'll close ticket {ticket.number} now. If "
                "anything else comes up, just reply to this message and we'll pick it straight "
                "back up.\n\n"
                "Have a great day!"
            ),
        },
    },
    "macros": {
        "greet": {
            "shortcode": "/greet",
            "description": "First reply to a new ticket",
            "template": "first_reply",
        },
        "remind": {
            "shortcode": "/remind",
            "description": "Remind a customer we are waiting for their answer",
            "template": "pending_reminder",
            "add_tags": ["reminded"],
        },
        "apologize": {
            "shortcode": "/sorry",
            "description": "Apologize, raise the priority and tag the ticket",
            "template": "apology",
            "set_priority": "high",
            "add_tags": ["apology"],
        },
        "close": {
            "shortcode": "/close",
            "description": "Say goodbye and mark the ticket solved",
            "template": "closing",
            "transition": "solve",
        },
    },
}


def starter_pack() -> MacroPack:
    """The starter templates and macros, checked."""
    return load_pack(STARTER)
