"""Two months of a simulated shop's support, its surveys and the November KPI report.

PYTHONPATH=src python examples/kpi_report.py [report.html]
"""

import sys
from datetime import UTC, datetime

from helpdesk_kit import DeskSettings, FrozenClock, Helpdesk
from helpdesk_kit.feedback import SurveySettings
from helpdesk_kit.testing.simulate import simulate

clock = FrozenClock(datetime(2026, 10, 1, tzinfo=UTC))
desk = Helpdesk(clock=clock, settings=DeskSettings(timezone="Asia/Shanghai", auto_assign=False))
desk.configure_surveys(SurveySettings(secret="example-secret-0123456789abcdef", kind="csat+nps"))
history = simulate(desk, start=clock.now(), days=61, seed=42, tickets=800)
desk.plugin_manager.register(history.shop)  # the shop's orders, for conversion and CLV
clock.set(datetime(2026, 12, 1, 1, tzinfo=UTC))

frt = desk.kpi("first_response", "2026-11", by="channel")
for row in frt:
    print(f"{row['channel']:>7}: median first response {row['p50_s']:.0f} s over {row['count']}")
csat = desk.kpi("csat", "2026-11")[0]
print(f"CSAT {csat['mean']:.2f} ({csat['csat']:.0%} rated 4-5, {csat['responses']} answers)")
board = desk.leaderboard("2026-11")
print("star of the month:", board.star.name if board.star else board.star_reason)

path = sys.argv[1] if len(sys.argv) > 1 else "report-2026-11.html"
with open(path, "w", encoding="utf-8") as f:
    f.write(desk.report("2026-11"))
print("wrote", path)
