"""Seeded mutation fuzzing of the corpus: parse_email never raises, and returns typed values."""

from __future__ import annotations

import random
import time
from datetime import datetime
from pathlib import Path

import pytest

from helpdesk_kit.channels.email import Address, Attachment, ParsedEmail, parse_email

CORPUS = Path(__file__).parent / "corpus"
# the 300 kB header test would dominate the run time; it is fuzzed a few times separately
BASES = [p.read_bytes() for p in sorted(CORPUS.glob("*.eml")) if p.stem != "huge_headers"]
HUGE = (CORPUS / "huge_headers.eml").read_bytes()
TOKENS = [
    b"=?",
    b"?=",
    b"=?utf-8?B?",
    b"=?gb2312?Q?=B0",
    b"\r\n",
    b"\n\n",
    b"--",
    b"boundary=",
    b";",
    b'"',
    b"Content-Type: multipart/mixed; boundary=x\n",
    b"Content-Transfer-Encoding: base64\n",
    b"charset=",
    b"filename*0*=",
    b"%E5",
    b"<",
    b">",
    b"\x00",
    b"\xff\xfe",
    b"\xe4\xbd",
    b"\x1b$B",
    b"<blockquote>",
    b"<![if",
    b"&#",
    b"From: ",
    b"Received: x\n",
    b"\t",
    b"begin 644 f\n",
]


def mutate(rnd: random.Random, data: bytes) -> bytes:
    """Apply one to four random mutations."""
    buf = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        kind = rnd.randrange(8)
        n = len(buf)
        if kind == 0 and n:  # flip bytes
            for _ in range(rnd.randint(1, 8)):
                buf[rnd.randrange(n)] = rnd.randrange(256)
        elif kind == 1 and n:  # truncate
            del buf[rnd.randrange(n) :]
        elif kind == 2:  # splice another corpus message in
            other = rnd.choice(BASES)
            a, b = sorted(rnd.randrange(len(other) + 1) for _ in range(2))
            at = rnd.randrange(n + 1)
            buf[at:at] = other[a:b]
        elif kind == 3 and n:  # duplicate a header-ish line
            text = bytes(buf)
            lines = text.split(b"\n")
            i = rnd.randrange(min(len(lines), 40))
            lines.insert(i, lines[i] * rnd.randint(1, 3))
            buf = bytearray(b"\n".join(lines))
        elif kind == 4:  # insert a syntax token
            at = rnd.randrange(n + 1)
            buf[at:at] = rnd.choice(TOKENS) * rnd.randint(1, 3)
        elif kind == 5 and n:  # delete a range
            a = rnd.randrange(n)
            del buf[a : a + rnd.randint(1, 200)]
        elif kind == 6 and n:  # repeat a range
            a = rnd.randrange(n)
            chunk = buf[a : a + rnd.randint(1, 64)]
            buf[a:a] = chunk * rnd.randint(2, 20)
        else:  # random junk
            at = rnd.randrange(n + 1)
            buf[at:at] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 32)))
    return bytes(buf)


def _is_text(value: object) -> bool:
    if not isinstance(value, str):
        return False
    value.encode("utf-8")  # raises on lone surrogates, which databases refuse
    return "\x00" not in value


def check(m: object) -> None:
    """Every field has its documented type."""
    assert isinstance(m, ParsedEmail)
    assert _is_text(m.subject)
    assert _is_text(m.text)
    assert _is_text(m.reply_text)
    assert m.html is None or _is_text(m.html)
    for addr in [m.sender, *m.to, *m.cc, *m.reply_to]:
        if addr is None:
            continue
        assert isinstance(addr, Address)
        assert _is_text(addr.name)
        assert isinstance(addr.email, str)
        addr.email.encode("utf-8")
    for mid in [m.message_id, m.in_reply_to, *m.references, *m.thread_ids]:
        assert mid is None or (isinstance(mid, str) and mid != "" and "<" not in mid)
    assert m.date is None or (isinstance(m.date, datetime) and m.date.tzinfo is not None)
    for att in m.attachments:
        assert isinstance(att, Attachment)
        assert _is_text(att.filename)
        assert att.filename
        assert "/" not in att.filename
        assert isinstance(att.content, bytes)
        assert att.size == len(att.content)
        assert isinstance(att.inline, bool)
    for flag in (m.is_auto_reply, m.is_bounce, m.is_loop, m.is_list, m.suppress_auto_reply):
        assert isinstance(flag, bool)
    assert m.ticket_number is None or (isinstance(m.ticket_number, int) and m.ticket_number >= 0)
    assert all(isinstance(d, str) for d in m.defects)
    assert all(isinstance(n, str) and isinstance(v, str) for n, v in m.headers)


def run(seed: int, count: int) -> int:
    rnd = random.Random(seed)
    for i in range(count):
        raw = mutate(rnd, rnd.choice(BASES))
        try:
            check(parse_email(raw))
        except Exception as exc:  # report the reproducer
            raise AssertionError(
                f"case {i} of seed {seed} failed: {exc!r}; input {raw[:300]!r}"
            ) from exc
    return count


def test_fuzz_quick() -> None:
    assert run(seed=1, count=400) == 400


@pytest.mark.slow
def test_fuzz_20000_cases() -> None:
    start = time.perf_counter()
    total = sum(run(seed, 5000) for seed in (11, 12, 13, 14))
    elapsed = time.perf_counter() - start
    print(f"\nfuzz: {total} cases in {elapsed:.1f} s")
    assert total == 20_000


def test_fuzz_huge_headers_few() -> None:
    rnd = random.Random(7)
    for _ in range(5):
        check(parse_email(mutate(rnd, HUGE)))


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\n",
        b"\r\n\r\n",
        b":",
        b"Subject",
        b"Subject: =?",
        b"Content-Type: multipart/mixed; boundary=a\n\n"
        + b"--a\nContent-Type: multipart/mixed; boundary=a\n\n" * 3000,
        b"".join(
            f"--b{i}\nContent-Type: multipart/mixed; boundary=b{i + 1}\n\n".encode()
            for i in range(1500)
        ),
        b"Content-Type: message/rfc822\n\n" * 2000,
        b"Content-Transfer-Encoding: x-uuencode\n\nbegin 644 f\n#86)C\n`\nend\n",
        bytes(range(256)) * 50,
        b"From: " + b"a" * 1_000_000,
        # html.parser alone is quadratic on these (tens of seconds each)
        b"Content-Type: text/html\n\n" + b"<a" * 50_000,
        b"Content-Type: text/html\n\n" + b"<!--" * 50_000,
        b"Content-Type: text/html\n\n" + b"<![" * 50_000,
        b"Content-Type: text/html\n\n" + b"<div " * 50_000,
        b"Content-Type: text/plain\n\n" + b"- " * 100_000 + b"original message -----",
    ],
)
def test_pathological_inputs(raw: bytes) -> None:
    check(parse_email(raw))


def test_non_bytes_is_refused() -> None:
    from helpdesk_kit.errors import InvalidInput

    with pytest.raises(InvalidInput):
        parse_email("text, not bytes")  # type: ignore[arg-type]
    check(parse_email(bytearray(b"Subject: hi\n\nx")))
