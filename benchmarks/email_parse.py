"""Benchmark: parse_email against the standard library on the email corpus.

Run from the repository root:

    PYTHONPATH=src python benchmarks/email_parse.py [--parses 5000] [--repeat 3]

Baseline (same messages, same run): ``BytesParser(policy=email.policy.default)``
then ``msg.get_body(preferencelist=('plain', 'html')).get_content()``. The
target is at least half the baseline's rate. Also prints the bare parse rate
of the two stdlib policies (which is why the parser uses compat32).
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is called email.py: keep its folder off sys.path so that
# "import email" below finds the standard library, not this script.
_here = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != _here]

import argparse  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from email import policy  # noqa: E402
from email.message import EmailMessage  # noqa: E402
from email.parser import BytesParser  # noqa: E402

from helpdesk_kit.channels.email import parse_email  # noqa: E402

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "channels" / "email" / "corpus"


def stdlib_default(raw: bytes) -> object:
    """The baseline: policy.default parse plus the text body, as its docs suggest."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    try:
        body = msg.get_body(preferencelist=("plain", "html"))
        return body.get_content() if body is not None else None
    except Exception:  # broken corpus messages: the work was still done
        return None


def stdlib_parse_only(pol: policy.Policy) -> Callable[[bytes], object]:
    """Bare BytesParser with the given policy, no header or body access."""
    parser = BytesParser(policy=pol)
    return parser.parsebytes


def measure(fn: Callable[[bytes], object], messages: list[bytes], repeat: int) -> float:
    """Best rate (messages per second) over ``repeat`` passes."""
    best = 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        for raw in messages:
            fn(raw)
        elapsed = time.perf_counter() - start
        best = max(best, len(messages) / elapsed)
    return best


def main() -> int:
    """Print both rates and the ratio; exit 1 if below the 1/2 target."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--parses", type=int, default=5000, help="parses per pass (default 5000)")
    ap.add_argument("--repeat", type=int, default=3, help="passes; the best counts (default 3)")
    args = ap.parse_args()

    corpus = [p.read_bytes() for p in sorted(CORPUS.glob("*.eml"))]
    if not corpus:
        print(f"no corpus in {CORPUS}", file=sys.stderr)
        return 2
    rounds = -(-args.parses // len(corpus))
    messages = corpus * rounds
    size = sum(len(m) for m in corpus)
    print(f"corpus: {len(corpus)} messages, {size / 1024:.0f} KiB; {len(messages)} parses per pass")

    ours = measure(parse_email, messages, args.repeat)
    base = measure(stdlib_default, messages, args.repeat)
    compat = measure(stdlib_parse_only(policy.compat32), messages, args.repeat)
    default = measure(stdlib_parse_only(policy.default), messages, args.repeat)

    print(f"parse_email (full: headers, body, reply, detection): {ours:9.0f} msg/s")
    print(f"stdlib policy.default + get_body().get_content():    {base:9.0f} msg/s")
    ratio = ours / base
    print(f"ratio ours/stdlib: {ratio:.2f} (target >= 0.50)")
    print(f"bare BytesParser compat32: {compat:9.0f} msg/s; policy.default: {default:9.0f} msg/s")
    return 0 if ratio >= 0.5 else 1


if __name__ == "__main__":
    sys.exit(main())
