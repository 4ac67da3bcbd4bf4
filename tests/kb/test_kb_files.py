"""Articles as files: front matter round trips, folder import and export, the kb CLI."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk_kit import Helpdesk
from helpdesk_kit.cli import main
from helpdesk_kit.clock import FrozenClock
from helpdesk_kit.desk.kb_files import export_directory, import_directory, read_directory
from helpdesk_kit.errors import InvalidDefinition, InvalidInput
from helpdesk_kit.kb.documents import (
    ArticleDocument,
    detect_locale,
    key_from_filename,
    parse_article_document,
    render_article_document,
)
from helpdesk_kit.kb.model import ArticleStatus
from helpdesk_kit.tickets.model import AttachmentMeta

_TEXT = st.text(
    alphabet=st.characters(
        categories=("L", "N", "Zs", "P", "S"),
        exclude_characters="<[]\\\x85\u2028\u2029\x1c\x1d\x1e",
    ),
    max_size=40,
).map(lambda s: " ".join(s.split()))
_NONEMPTY = _TEXT.filter(bool)
_KEY = st.from_regex(r"[a-z0-9退款][a-z0-9._\-退款]{0,30}", fullmatch=True)
_BODY = st.lists(_TEXT, max_size=6).map("\n".join)
_ATTACHMENT = st.builds(
    AttachmentMeta,
    filename=st.from_regex(r"[A-Za-z0-9退][A-Za-z0-9 ._退-]{0,20}", fullmatch=True).map(str.strip),
    content_type=st.sampled_from(["application/pdf", "image/png"]),
    size=st.integers(0, 10**9),
    url=st.one_of(st.none(), st.just("https://cdn.example/f.pdf")),
)


@settings(max_examples=150, deadline=None)
@given(
    key=_KEY,
    locale=st.sampled_from(["en", "zh-CN", "zh-TW", "pt-BR"]),
    title=_NONEMPTY,
    body=_BODY,
    status=st.one_of(st.none(), st.sampled_from(list(ArticleStatus))),
    category=st.one_of(st.none(), _KEY),
    tags=st.lists(_NONEMPTY, max_size=4).map(tuple),
    questions=st.lists(_NONEMPTY, max_size=4).map(tuple),
    related=st.lists(_KEY, max_size=3).map(tuple),
    review_by=st.one_of(st.none(), st.dates()),
    owner=st.one_of(st.none(), st.emails()),
    attachments=st.lists(_ATTACHMENT.filter(lambda a: a.filename), max_size=2).map(tuple),
)
def test_documents_round_trip_through_markdown(**fields: Any) -> None:
    doc = ArticleDocument(**fields)
    text = render_article_document(doc)
    back = parse_article_document(text, source="x.md")
    body = doc.body.strip("\n")
    assert back == ArticleDocument(**{**fields, "body": body + "\n" if body else ""})
    assert render_article_document(back) == text


def test_every_problem_of_a_file_is_reported() -> None:
    text = (
        "---\nkey: a\ncolour: red\nstatus: live\nreview_by: 31/12/2026\ntitle: [a, b]\n"
        "tags: single\n---\nbody\n"
    )
    with pytest.raises(InvalidDefinition) as info:
        parse_article_document(text, source="bad.md")
    problems = "\n".join(info.value.problems)
    for word in ("unknown key 'colour'", "status 'live'", "review_by", "title", "tags"):
        assert word in problems
    with pytest.raises(InvalidDefinition, match="no title"):
        parse_article_document("just text", source="x.md", key="k", locale="en")
    with pytest.raises(InvalidDefinition, match="size"):
        parse_article_document("---\ntitle: t\nattachments:\n  - a.pdf | x | big\n---\n")


def test_markdown_without_front_matter_and_file_names() -> None:
    doc = parse_article_document("# 退款政策\n\n七天无理由退货。\n", key="refund-policy")
    assert (doc.key, doc.locale, doc.title, doc.body) == (
        "refund-policy",
        "zh-CN",
        "退款政策",
        "七天无理由退货。\n",
    )
    assert parse_article_document("# Refunds\nwithin 7 days").key == "refunds"
    assert key_from_filename("Refund policy 0f3c2a1b2c3d4e5f6a7b8c9d0e1f2a3b.md") == "refund-policy"
    assert key_from_filename("退款 政策.html") == "退款-政策"
    assert key_from_filename("!!!.md") == "article"
    assert detect_locale("Refund within 7 days, 退款") == "en"
    assert detect_locale("七天无理由退货 refund") == "zh-CN"
    text = "---\ntitle: x\n---\n<script>alert(1)</script>ok [a](javascript:x)"
    raw = parse_article_document(text)
    assert raw.body == "ok [a](#)\n"


def _build_kb(desk: Helpdesk) -> None:
    kb = desk.kb
    ann = desk.add_agent("Ann", email="ann@shop.example")
    returns = kb.add_category("returns", "Returns", names={"zh-CN": "退货"}, position=2)
    kb.add_category("refunds", "Refunds", parent=returns, description="Money back")
    refund = kb.create_article(
        "When will I get my refund?",
        "We refund in **3–7** days.\n\n- card\n- Alipay\n",
        key="refund-time",
        category="refunds",
        tags=["refund", "money"],
        questions=['Where is my "money"?', "Refund # status"],
        related=["return-policy"],
        review_by=date(2026, 12, 31),
        owner=ann,
        attachments=[AttachmentMeta("form.pdf", "application/pdf", 4821, "https://cdn.example/f")],
    )
    kb.publish_article(refund)
    kb.add_translation(refund, "zh-CN", "退款多久到账？", "3–7 个工作日。")
    kb.archive_article(kb.create_article("Old: fax orders", "We no longer take faxes."))
    kb.submit_article(kb.create_article("Return policy", "7 days.", key="return-policy"))


def _files(root: Path) -> dict[str, str]:
    found = sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): p.read_text("utf-8") for p in found}


@pytest.mark.parametrize("helpdesk_storage", ["memory", "sqlite"], indirect=True)
def test_export_import_export_gives_the_same_files(
    helpdesk: Helpdesk, helpdesk_clock: FrozenClock, tmp_path: Path
) -> None:
    _build_kb(helpdesk)
    first = tmp_path / "first"
    assert export_directory(helpdesk, first) == 4
    files = _files(first)
    assert sorted(files) == [
        "categories.json",
        "en/old-fax-orders.md",
        "en/refund-time.md",
        "en/return-policy.md",
        "zh-CN/refund-time.md",
    ]
    assert "owner: ann@shop.example" in files["en/refund-time.md"]
    assert "status: archived" in files["en/old-fax-orders.md"]

    other = Helpdesk(clock=helpdesk_clock, load_entrypoints=False)
    other.add_agent("Ann B.", email="ann@shop.example")
    report = import_directory(other, first)
    assert len(report.created) == 4
    assert report.categories == ["returns", "refunds"]
    assert report.problems == []
    second = tmp_path / "second"
    export_directory(other, second)
    assert _files(second) == files

    refund = other.kb.find_article("refund-time", "en")
    assert refund is not None
    assert refund.status is ArticleStatus.PUBLISHED
    assert other.kb.get_category(refund.category_id or "").key == "refunds"
    assert other.kb.get_category("refunds").parent_id == other.kb.get_category("returns").id
    again = import_directory(other, first)
    assert (len(again.created), len(again.updated), len(again.unchanged)) == (0, 0, 4)


def test_import_confluence_and_notion_exports(helpdesk: Helpdesk, tmp_path: Path) -> None:
    from .test_html2md import CONFLUENCE, NOTION

    (tmp_path / "confluence").mkdir()
    (tmp_path / "confluence" / "Refund-policy_98765.html").write_text(CONFLUENCE, "utf-8")
    (tmp_path / "notion" / "img").mkdir(parents=True)
    (tmp_path / "notion" / "退款政策 0f3c2a1b2c3d4e5f6a7b8c9d0e1f2a3b.html").write_text(
        NOTION, "utf-8"
    )
    (tmp_path / "notion" / "Gift cards 1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d.md").write_text(
        "# Gift cards\n\nFrom ¥50. <img src=x onerror=alert(1)>\n", "utf-8"
    )
    (tmp_path / "notion" / "img" / "img.png").write_bytes(b"\x89PNG")
    (tmp_path / "_drafts").mkdir()
    (tmp_path / "_drafts" / "broken.md").write_text("---\nbroken", "utf-8")
    (tmp_path / ".hidden.md").write_text("---\nbroken", "utf-8")
    (tmp_path / "zh-CN").mkdir()
    (tmp_path / "zh-CN" / "coupons.md").write_text("# Coupons\n\nUse them at checkout.", "utf-8")

    report = import_directory(helpdesk, tmp_path, status="published")
    assert sorted(report.created) == [
        "coupons (zh-CN)",
        "gift-cards (en)",
        "refund-policy (en)",
        "退款政策 (zh-CN)",
    ]
    confluence = helpdesk.kb.find_article("refund-policy", "en")
    assert confluence is not None
    assert confluence.title == "Refund policy"
    assert confluence.html is not None
    assert "<script" not in confluence.html
    gift = helpdesk.kb.find_article("gift-cards", "en")
    assert gift is not None
    assert gift.body == 'From ¥50. <img src="x">\n'
    assert helpdesk.search_articles("退款政策")[0].key == "退款政策"


def test_a_bad_file_stops_the_whole_import(helpdesk: Helpdesk, tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text("# Good\n\ntext", "utf-8")
    (tmp_path / "bad.md").write_text("---\ntitle: x\nstatus: live\n---\n", "utf-8")
    (tmp_path / "latin1.md").write_bytes("# Caf\xe9".encode("latin-1"))
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "good.md").write_text("# Good again\n", "utf-8")
    with pytest.raises(InvalidDefinition) as info:
        import_directory(helpdesk, tmp_path)
    problems = info.value.problems
    assert any(p.startswith("bad.md: status 'live'") for p in problems)
    assert any(p.startswith("latin1.md: not UTF-8") for p in problems)
    assert any("also in" in p for p in problems)
    assert helpdesk.kb.count_articles() == 0
    with pytest.raises(InvalidInput, match="not a folder"):
        read_directory(tmp_path / "missing")


def test_kb_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    assert main(["kb", "import-starter", "--url", url]) == 0
    assert "52 created" in capsys.readouterr().out
    assert main(["kb", "import-starter", "--url", url]) == 0
    assert "52 unchanged" in capsys.readouterr().out
    assert main(["kb", "search", "退款多久到账", "--url", url, "--locale", "zh"]) == 0
    assert "refund-time (zh-CN)" in capsys.readouterr().out.splitlines()[0]
    assert main(["kb", "search", "quantum teleportation", "--url", url]) == 1
    assert main(["kb", "unanswered", "--url", url]) == 0
    assert "quantum teleportation" in capsys.readouterr().out
    out = tmp_path / "out"
    assert main(["kb", "export", str(out), "--url", url, "--status", "published"]) == 0
    assert "52 article(s)" in capsys.readouterr().out
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert main(["kb", "import", str(out), "--url", other]) == 0
    assert "52 created" in capsys.readouterr().out
    assert main(["kb", "import", str(tmp_path / "nowhere"), "--url", other]) == 1
    assert "not a folder" in capsys.readouterr().err


def test_documents_that_make_no_valid_article_stop_the_import(helpdesk: Helpdesk) -> None:
    good = ArticleDocument(key="good", locale="en", title="Good")
    selfish = ArticleDocument(key="me", locale="en", title="Me", related=("me",))
    long_title = ArticleDocument(key="long", locale="en", title="x" * 501)
    with pytest.raises(InvalidDefinition) as info:
        helpdesk.kb.import_documents([good, selfish, long_title])
    assert len(info.value.problems) == 2
    assert helpdesk.kb.count_articles() == 0
