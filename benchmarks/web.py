"""Concurrent chat sessions over WebSockets on one server process, and the message round trip.

Starts the web app (``create_app`` on an in-memory desk with one online agent) with uvicorn
in a child process, opens ``--sessions`` widget WebSockets to it from this process (the
``websockets`` client), keeps them all open, and then has every visitor send ``--messages``
chat messages, each ``--gap`` seconds apart on average (randomised, so messages arrive
spread out as in real chats). The round trip of a message is the time from sending the
``message`` frame to receiving its ``ack`` (the desk has stored it: ``desk.receive`` ran,
with routing, SLA and audit events). The baseline, measured in the same run over the same
connections, is a ``ping`` → ``pong`` round trip, which never touches the desk.

    PYTHONPATH=src python benchmarks/web.py                      # 2,000 sessions
    PYTHONPATH=src python benchmarks/web.py --sessions 500 --messages 3

The inbox render times (100,000 tickets) are in ``benchmarks/web_inbox.py`` when present;
``--inbox`` runs it after the WebSocket part.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

SECRET = "benchmark-secret"

SERVER = """
import sys, uvicorn
from helpdesk_kit.desk import Helpdesk
from helpdesk_kit.web import WebSettings, create_app
desk = Helpdesk(load_entrypoints=False)
desk.add_agent("Ann", email="ann@shop.example", max_concurrent=100000)
settings = WebSettings(secret_key=%(secret)r, rate_burst=10**9, rate_per_second=10**9,
                       desk_threads=%(threads)d)
app = create_app(desk, settings=settings)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
            ws=%(ws)r, backlog=4096, ws_ping_interval=None)
"""


def raise_open_files() -> int:
    """Raise this process's open-file limit to its hard limit (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 1 << 16
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def token(visitor: str) -> str:
    """A visitor token as the widget's frame would hand it out."""
    from helpdesk_kit.web.security import sign

    return sign(SECRET, "visitor", {"v": visitor, "exp": int(time.time()) + 3600})


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile (0-1) of ``values``, in milliseconds."""
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def visitor(
    url: str,
    n: int,
    ready: asyncio.Event,
    go: asyncio.Event,
    args: argparse.Namespace,
    rtt: list[float],
    pings: list[float],
    opened: list[int],
) -> None:
    import websockets

    async with websockets.connect(
        f"{url}/widget/ws?vt={token(f'bench-{n}')}",
        open_timeout=120,
        ping_interval=None,
        max_queue=None,
    ) as ws:
        welcome = json.loads(await ws.recv())
        assert welcome["type"] == "welcome", welcome
        opened.append(n)
        if len(opened) == args.sessions:
            ready.set()
        await go.wait()
        rng = random.Random(n)
        await asyncio.sleep(rng.uniform(0, args.gap))
        for i in range(args.messages):
            for kind in ("ping", "message"):
                frame: dict[str, Any] = {"type": kind}
                if kind == "message":
                    frame.update(id=f"{n}-{i}", text=f"visitor {n} message {i}")
                started = time.perf_counter()
                await ws.send(json.dumps(frame))
                wanted = "pong" if kind == "ping" else "ack"
                while True:
                    answer = json.loads(await ws.recv())
                    if answer["type"] == wanted:
                        break
                    if answer["type"] == "error":
                        raise RuntimeError(answer)
                (pings if kind == "ping" else rtt).append(time.perf_counter() - started)
            await asyncio.sleep(rng.uniform(0.5, 1.5) * args.gap)
        await ws.close()


async def run_clients(url: str, args: argparse.Namespace) -> dict[str, Any]:
    ready, go = asyncio.Event(), asyncio.Event()
    rtt: list[float] = []
    pings: list[float] = []
    opened: list[int] = []
    started = time.perf_counter()
    tasks = []
    for n in range(args.sessions):
        tasks.append(asyncio.create_task(visitor(url, n, ready, go, args, rtt, pings, opened)))
        if n % 100 == 99:
            await asyncio.sleep(0.05)  # do not flood the accept queue
    waiter = asyncio.create_task(ready.wait())
    done, _ = await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
    if waiter not in done:
        for task in done:
            task.result()  # raise the first failure
    connect_time = time.perf_counter() - started
    go.set()
    sent = time.perf_counter()
    await asyncio.gather(*tasks)
    return {
        "open": len(opened),
        "connect_s": connect_time,
        "chat_s": time.perf_counter() - sent,
        "rtt": rtt,
        "pings": pings,
    }


def run_inbox() -> None:
    inbox = Path(__file__).with_name("web_inbox.py")
    if not inbox.exists():
        print("benchmarks/web_inbox.py is not here yet: no inbox render figures")
        return
    subprocess.run([sys.executable, str(inbox)], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=5, help="messages per visitor")
    parser.add_argument("--gap", type=float, default=4.0, help="mean seconds between messages")
    parser.add_argument("--ws", default="websockets-sansio", help="uvicorn's WebSocket engine")
    parser.add_argument(
        "--threads", type=int, default=4, help="WebSettings.desk_threads (0: on the event loop)"
    )
    parser.add_argument("--inbox", action="store_true", help="also run benchmarks/web_inbox.py")
    args = parser.parse_args()
    limit = raise_open_files()
    if limit < args.sessions * 2 + 100:
        print(f"open-file limit {limit} is too low for {args.sessions} sessions", file=sys.stderr)
        return 1
    port = free_port()
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SERVER % {"secret": SECRET, "ws": args.ws, "threads": args.threads},
            str(port),
        ],
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.2)
        result = asyncio.run(run_clients(f"ws://127.0.0.1:{port}", args))
    finally:
        server.terminate()
        server.wait(10)
    rtt, pings = result["rtt"], result["pings"]
    rate = len(rtt) / result["chat_s"]
    print(
        f"web chat: {result['open']} WebSocket sessions open at once on one server process "
        f"(opened in {result['connect_s']:.1f} s)"
    )
    print(f"  {len(rtt)} messages in {result['chat_s']:.1f} s ({rate:.0f} messages/s)")
    print(
        f"  message -> ack round trip: median {pct(rtt, 0.5):.1f} ms, "
        f"p95 {pct(rtt, 0.95):.1f} ms, p99 {pct(rtt, 0.99):.1f} ms, max {max(rtt) * 1000:.1f} ms"
    )
    print(
        f"  baseline ping -> pong:     median {pct(pings, 0.5):.1f} ms, "
        f"p95 {pct(pings, 0.95):.1f} ms"
    )
    print(f"  ratio p95 message / p95 ping: {pct(rtt, 0.95) / max(pct(pings, 0.95), 1e-6):.1f}x")
    target = result["open"] >= 2000 and pct(rtt, 0.95) <= 50
    print(f"  target (>= 2,000 sessions, p95 <= 50 ms): {'met' if target else 'NOT met'}")
    print(f"  median message round trip: {statistics.median(rtt) * 1000:.1f} ms")
    if args.inbox:
        run_inbox()
    return 0


if __name__ == "__main__":
    sys.exit(main())
