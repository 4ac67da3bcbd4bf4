"""Tests of the tiny front-matter parser."""

from __future__ import annotations

import pytest

from helpdesk_kit.errors import InvalidDefinition
from helpdesk_kit.kb.frontmatter import parse_front_matter

TEXT = """---
key: order-status   # comment
title: "How do I check my order? #1"
tags: [order, "tracking", status]
empty: []
questions:
  - Where is my order?
  - 'Track my parcel'

review_by: 2026-12-31
---

Body **text**.
"""


def test_scalars_lists_and_body() -> None:
    meta, body = parse_front_matter(TEXT)
    assert meta == {
        "key": "order-status",
        "title": "How do I check my order? #1",
        "tags": ["order", "tracking", "status"],
        "empty": [],
        "questions": ["Where is my order?", "Track my parcel"],
        "review_by": "2026-12-31",
    }
    assert body == "Body **text**.\n"


def test_text_without_front_matter() -> None:
    assert parse_front_matter("# Title\n\ntext") == ({}, "# Title\n\ntext")


def test_every_problem_is_reported_with_its_line() -> None:
    bad = "---\n  - stray\nnot a pair\nkey: a\nkey: b\ntags: [a, b\n---\nbody"
    with pytest.raises(InvalidDefinition) as info:
        parse_front_matter(bad, source="x.md")
    problems = info.value.problems
    assert len(problems) == 4
    assert problems[0].startswith("line 2:")
    assert "list item" in problems[0]
    assert "line 3:" in problems[1]
    assert "given twice" in problems[2]
    assert "']'" in problems[3]
    assert "x.md" in str(info.value)


def test_unclosed_front_matter() -> None:
    with pytest.raises(InvalidDefinition, match="closing"):
        parse_front_matter("---\nkey: a\n")
