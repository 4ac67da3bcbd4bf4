"""Comparing article versions: a readable text form and a unified diff (``difflib``)."""

from __future__ import annotations

import difflib

from helpdesk_kit.kb.model import ArticleVersion

__all__ = ["diff_versions", "render_version"]


def render_version(version: ArticleVersion) -> list[str]:
    """Return the lines a diff compares: title, status, tags, questions, then the body."""
    lines = [
        f"title: {version.title}",
        f"status: {version.status.value}",
        f"tags: {', '.join(sorted(version.tags))}",
        "questions:",
        *(f"  - {q}" for q in version.questions),
        "---",
        *version.body.splitlines(),
    ]
    if version.html is not None:
        lines += ["--- html", *version.html.splitlines()]
    return lines


def diff_versions(old: ArticleVersion, new: ArticleVersion, *, context: int = 3) -> str:
    """Return the unified diff from ``old`` to ``new`` ("" when their content is the same)."""
    return "\n".join(
        difflib.unified_diff(
            render_version(old),
            render_version(new),
            fromfile=f"version {old.number}",
            tofile=f"version {new.number}",
            n=context,
            lineterm="",
        )
    )
