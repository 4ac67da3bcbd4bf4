"""Coverage-guided fuzzing of parse_email with atheris (optional; ``pip install atheris``).

Copy the corpus to a scratch folder first (libFuzzer writes new inputs into it):

    cp -r tests/channels/email/corpus /tmp/email-fuzz && rm /tmp/email-fuzz/*.json
    PYTHONPATH=src python tests/fuzz/email_atheris.py /tmp/email-fuzz -max_total_time=60

A crash is an exception from parse_email or a field of the wrong type.
"""

from __future__ import annotations

import sys
from datetime import datetime

import atheris

with atheris.instrument_imports():
    from helpdesk_kit.channels.email import Address, Attachment, ParsedEmail, parse_email


def check(m: ParsedEmail) -> None:
    """The documented types of every field."""
    assert isinstance(m, ParsedEmail)
    for text in (m.subject, m.text, m.reply_text, *m.defects):
        assert isinstance(text, str)
        text.encode("utf-8")
    assert m.html is None or isinstance(m.html, str)
    for addr in [m.sender, *m.to, *m.cc, *m.reply_to]:
        assert addr is None or isinstance(addr, Address)
    assert m.date is None or (isinstance(m.date, datetime) and m.date.tzinfo is not None)
    for att in m.attachments:
        assert isinstance(att, Attachment)
        assert isinstance(att.content, bytes)
        assert att.filename


def test_one_input(data: bytes) -> None:
    """libFuzzer entry point."""
    check(parse_email(data))


def main() -> None:
    """Run libFuzzer with the command-line arguments."""
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
