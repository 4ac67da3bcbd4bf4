"""When is a 2-hour email SLA due? China service hours (Mon–Fri 09:00–18:00) around 国庆.

Run:  PYTHONPATH=src python examples/business_hours.py
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from helpdesk_kit.sla import china_business_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
TARGET = timedelta(hours=2)


def main() -> None:
    """Print the due times of a few tickets received just before National Day."""
    calendar = china_business_calendar()  # official holidays and 调休 make-up days included
    received = [
        ("Fri before 国庆 2025", datetime(2025, 9, 26, 17, 0, tzinfo=SHANGHAI)),
        ("last day before 国庆 2025", datetime(2025, 9, 30, 17, 0, tzinfo=SHANGHAI)),
        ("Fri before 国庆 2026 (中秋)", datetime(2026, 9, 25, 17, 0, tzinfo=SHANGHAI)),
        ("last day before 国庆 2026", datetime(2026, 9, 30, 17, 0, tzinfo=SHANGHAI)),
    ]
    print(f"{TARGET} email SLA on {calendar!r}\n")
    for label, start in received:
        due = calendar.add(start, TARGET)
        note = "" if due.weekday() < 5 else "  <- a weekend make-up working day (调休)"
        print(f"{label:28} received {start:%a %Y-%m-%d %H:%M}  due {due:%a %Y-%m-%d %H:%M}"
              f"  ({due - start} later){note}")

    # The guide promises email replies "within 24 hours": in business hours that is
    # 24 open hours, i.e. 2 days and 6 hours of service time here.
    start = received[1][1]
    print(f"\n24 business hours from {start:%a %m-%d %H:%M}: "
          f"{calendar.add(start, timedelta(hours=24)):%a %Y-%m-%d %H:%M}")
    opens = calendar.next_open(datetime(2025, 10, 1, 12, 0, tzinfo=SHANGHAI))
    print(f"A chat arriving on 10-01 12:00 waits until {opens:%a %Y-%m-%d %H:%M}")


if __name__ == "__main__":
    main()
