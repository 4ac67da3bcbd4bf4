"""The docs' Python blocks run as written (each page in order, one namespace per page)."""

import pathlib
import re
import textwrap

import pytest

DOCS = pathlib.Path(__file__).parents[1] / "docs"
BLOCK = re.compile(r"(<!-- no-run -->\s*)?```python\n(.*?)```", re.DOTALL)


def pages():
    return sorted(p for p in DOCS.glob("*.md") if "```python" in p.read_text(encoding="utf-8"))


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.name)
def test_page_runs(page, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": f"docs_{page.stem}"}
    for match in BLOCK.finditer(page.read_text(encoding="utf-8")):
        if match.group(1):
            continue
        code = textwrap.dedent(match.group(2))
        exec(compile(code, f"{page.name}", "exec"), namespace)


def test_every_page_is_in_the_nav():
    nav = (DOCS.parent / "mkdocs.yml").read_text(encoding="utf-8")
    missing = [p.name for p in DOCS.glob("*.md") if p.name not in nav]
    assert missing == []
