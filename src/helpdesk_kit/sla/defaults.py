"""The operating guide's service levels as a ready-made policy set.

The guide (``shared/reference/customer-service-guide.zh.txt``) promises service hours
Mon–Fri 09:00–18:00, a first reply within 30 seconds on live chat and within 2 hours by
email, and "我们将在24小时内回复您的邮件" (every email answered within 24 hours).

* ``"guide chat"`` (channel ``chat``): first response 30 s on the office calendar;
* ``"guide email"`` (channel ``email``): first response 2 h on the office calendar, and
  next response 24 h on the wall clock (``"24x7"``): the literal promise to the customer.

The office calendar is :func:`~helpdesk_kit.sla.china_business_calendar` (Mon–Fri 09:00–18:00
Asia/Shanghai, the official holidays and make-up working days), registered as
``GUIDE_CALENDAR``. Business-time targets count only open time: an email that arrives on
Friday at 17:30 is due on Monday at 10:30. The 24-hour promise counts every hour, so on a
desk that does not answer at weekends a Friday-evening follow-up breaches on Saturday;
pass ``follow_up_clock="business"`` to count it on the office calendar instead.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.sla.calendar import china_business_calendar
from helpdesk_kit.sla.policy import ALWAYS_OPEN, PolicySet, SlaPolicy, SlaTarget

__all__ = ["GUIDE_CALENDAR", "guide_policies"]

#: The name the guide's office calendar is registered under.
GUIDE_CALENDAR = "cn-office"


def guide_policies(
    *, follow_up_clock: Literal["wall", "business"] = "wall", warn_at: float = 0.8
) -> PolicySet:
    """Return the guide's chat and email policies with their office calendar.

    ``follow_up_clock``: count the 24-hour email promise on the wall clock (``"wall"``,
    the default) or on the office calendar (``"business"``). ``warn_at``: the warning point
    of every target, as a fraction of it.
    """
    if follow_up_clock not in ("wall", "business"):
        raise InvalidInput(f"follow_up_clock must be 'wall' or 'business', got {follow_up_clock!r}")
    follow_up_calendar = ALWAYS_OPEN if follow_up_clock == "wall" else None
    policies = [
        SlaPolicy(
            "guide chat",
            {"channel": {"chat"}},
            GUIDE_CALENDAR,
            {"first_response": SlaTarget(timedelta(seconds=30), warn_at)},
            "Live chat: first reply within 30 seconds of service time.",
        ),
        SlaPolicy(
            "guide email",
            {"channel": {"email"}},
            GUIDE_CALENDAR,
            {
                "first_response": SlaTarget(timedelta(hours=2), warn_at),
                "next_response": SlaTarget(timedelta(hours=24), warn_at, follow_up_calendar),
            },
            "Email: first reply within 2 hours of service time; every email answered "
            "within 24 hours.",
        ),
    ]
    return PolicySet(policies, {GUIDE_CALENDAR: china_business_calendar()})
