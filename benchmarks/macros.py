"""Reply-template and authority benchmarks, each against a named baseline in the same run.

Section ``render``: filling in the starter first-reply template (parse once per render, the
way the desk does it: providers, lookups, formatting) against ``str.format_map`` on the
same values (the cheapest possible fill-in, no checks).

Section ``desk``: one ``apply_macro`` (``/sorry``: priority, tag, reply) against the same
three commands by hand (``set_priority``, ``tag``, ``reply`` — three units of work), and one
``request_action`` within the limit against ``add_note`` (one small unit of work), on the
memory and SQLite backends.

Run::

    PYTHONPATH=src /work/venv/bin/python benchmarks/macros.py
    PYTHONPATH=src /work/venv/bin/python benchmarks/macros.py --only render --renders 50000
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time as timer
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

try:
    import helpdesk_kit  # noqa: F401
except ImportError:  # running from a checkout without PYTHONPATH=src
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from helpdesk_kit import FrozenClock, Helpdesk, hookimpl
from helpdesk_kit.authority import Money
from helpdesk_kit.macros import (
    RenderContext,
    default_variables,
    render_template,
    starter_pack,
)
from helpdesk_kit.tickets.model import Agent, Customer, Ticket

T0 = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)


def _best(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        began = timer.perf_counter()
        fn()
        best = min(best, timer.perf_counter() - began)
    return best


def bench_render(args: argparse.Namespace) -> None:
    """Render throughput of the first-reply template vs str.format_map."""
    template = next(t for t in starter_pack().templates if t.name == "first_reply")
    customer = Customer(name="王芳", identities=[("email", "wang@example.cn")], locale="zh-CN")
    agent = Agent(name="林一")
    ticket = Ticket(1042, "发票", customer.id, "email", "open", created_at=T0, updated_at=T0)
    variables = default_variables()
    n = args.renders

    def ours() -> None:
        for _ in range(n):
            ctx = RenderContext(ticket=ticket, customer=customer, agent=agent, now=T0)
            render_template(template, ctx, variables)

    fmt = template.bodies["zh"].text.replace("{customer.name}", "{customer_name}")
    fmt = fmt.replace("{agent.name}", "{agent_name}").replace("{ticket.number}", "{number}")

    def baseline() -> None:
        for _ in range(n):
            fmt.format_map(
                {
                    "customer_name": customer.display_name,
                    "agent_name": agent.name,
                    "number": ticket.ref,
                }
            )

    t_ours, t_base = _best(ours, 3), _best(baseline, 3)
    print(f"render first_reply (zh), {n} renders")
    print(f"  helpdesk_kit render_template : {n / t_ours:12,.0f}/s  {t_ours / n * 1e6:8.1f} µs")
    print(f"  baseline str.format_map      : {n / t_base:12,.0f}/s  {t_base / n * 1e6:8.1f} µs")
    print(f"  ratio (ours / baseline time) : {t_ours / t_base:8.1f}x")


class _Payments:
    @hookimpl
    def register_authority_actions(self, register):
        register("refund", lambda desk, request: {"ok": True})


def _median_ms(fn: Callable[[int], object], count: int) -> float:
    times = []
    for i in range(count):
        began = timer.perf_counter()
        fn(i)
        times.append(timer.perf_counter() - began)
    return statistics.median(times) * 1000


def _desk_section(name: str, url: str, n: int) -> None:
    options = {"synchronous": "normal"} if name == "sqlite" else {}
    desk = Helpdesk.from_url(
        url, clock=FrozenClock(T0), plugins=[_Payments()], load_entrypoints=False, **options
    )
    desk.configure_authority(
        {
            "currency": "CNY",
            "window": "30m",
            "actions": {"refund": {"limits": {"agent": "unlimited"}}},
        }
    )
    desk.install_starter_macros()
    ann = desk.add_agent("Ann", max_concurrent=10**6)
    customer = desk.add_customer("王芳", email="wang@example.cn", locale="zh-CN")
    tickets = [desk.open_ticket(customer, f"t{i}") for i in range(2 * n)]

    def macro(i: int) -> None:
        desk.apply_macro(tickets[i], "/sorry", agent=ann)

    def by_hand(i: int) -> None:
        t = tickets[n + i]
        desk.set_priority(t, "high", actor=ann)
        desk.tag(t, add=["apology"], actor=ann)
        desk.reply(t, "王芳，非常抱歉给您带来了不好的体验。", author=ann)

    def request(i: int) -> None:
        # an hour apart: each check sums a realistic window, not every request of the run
        desk.clock.advance(hours=1)  # type: ignore[attr-defined]
        desk.request_action(tickets[i], "refund", amount=Money("1.00", "CNY"), actor=ann)

    def note(i: int) -> None:
        desk.add_note(tickets[i], "note", author=ann)

    t_macro, t_hand = _median_ms(macro, n), _median_ms(by_hand, n)
    t_request, t_note = _median_ms(request, n), _median_ms(note, n)
    desk.close()
    print(f"desk commands on {name}, median of {n}")
    print(f"  apply_macro /sorry           : {t_macro:8.3f} ms")
    print(f"  baseline by hand (3 commands): {t_hand:8.3f} ms   ratio {t_macro / t_hand:5.2f}x")
    print(f"  request_action within limit : {t_request:8.3f} ms")
    print(f"  baseline add_note            : {t_note:8.3f} ms   ratio {t_request / t_note:5.2f}x")


def bench_desk(args: argparse.Namespace) -> None:
    """apply_macro vs the same commands by hand; request_action vs add_note."""
    with tempfile.TemporaryDirectory(prefix="helpdesk-kit-bench-") as folder:
        _desk_section("memory", "memory://", args.commands)
        _desk_section("sqlite", f"sqlite:///{folder}/b.db", args.commands)


SECTIONS = {"render": bench_render, "desk": bench_desk}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(SECTIONS))
    parser.add_argument("--renders", type=int, default=20_000)
    parser.add_argument("--commands", type=int, default=200)
    args = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}")
    for name, section in SECTIONS.items():
        if args.only in (None, name):
            section(args)


if __name__ == "__main__":
    main()
