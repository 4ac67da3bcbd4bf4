"""Reply extraction: the new text of a reply, without quoted history or signature."""

from __future__ import annotations

import re

__all__ = ["extract_reply", "find_quote_start"]

_WROTE = re.compile(
    r"^(?:On|Le|Am|El|Il|Op|Em|Den|W dniu)\s.{0,400}?"
    r"(?:wrote|a écrit|schrieb|escribió|ha scritto|schreef|escreveu|skrev|napisał)\s*[:：]$",
    re.IGNORECASE | re.DOTALL,
)
_WROTE_ZH = re.compile(r"^.{0,400}?(?:写道|寫道|書きました)\s*[:：]$", re.DOTALL)
# Gmail in Japanese/Korean: "2026年11月2日(月) 9:00 Support <support@example.com>:"
_WROTE_ADDR = re.compile(r"^.{0,300}<[^<>\s]+@[^<>\s]+>\s*[:：]$", re.DOTALL)
_SEPARATOR = re.compile(
    r"^[-—_=*\s]{2,}\s*(?:original message|original|reply message|forwarded by .{0,80}|"
    r"forwarded message|转发的邮件|轉寄的郵件|转发邮件|"
    r"原始邮件|原始郵件|邮件原件|郵件原件|原邮件|回复的原邮件|"
    r"ursprüngliche nachricht|message d'origine|mensaje original|messaggio originale)"
    r"\s*[-—_=*\s]{2,}$",
    re.IGNORECASE,
)
_HEADER_KEYS = {
    "from": "from", "发件人": "from", "寄件者": "from", "寄件人": "from", "von": "from",
    "de": "from",
    "sent": "date", "date": "date", "发送时间": "date", "时间": "date", "日期": "date",
    "寄件日期": "date", "發送時間": "date", "gesendet": "date", "datum": "date", "envoyé": "date",
    "to": "to", "收件人": "to", "收件者": "to", "an": "to", "à": "to", "para": "to",
    "subject": "subject", "主题": "subject", "主旨": "subject", "主題": "subject",
    "betreff": "subject", "objet": "subject", "asunto": "subject",
    "cc": "cc", "抄送": "cc", "副本": "cc",
}  # fmt: skip
_HEADER_LINE = re.compile(r"^\*{0,2}([^\s:：*]{1,8}?)\*{0,2}\s*[:：]")
_MOBILE = re.compile(
    r"^(?:sent from my .{1,40}|sent from (?:mail|outlook|yahoo mail|my phone)\b.{0,40}"
    r"|sent from .{1,30} for (?:ios|android|windows|iphone|ipad)"
    r"|get outlook for .{1,30}|sent via .{1,40} app"
    r"|发自我的.{1,24}|来自我的.{1,24}|从我的.{1,24}发送|發自我的.{1,24}|寄自我的.{1,24}"
    r"|发自.{1,16}(?:邮箱|郵箱|邮件|客户端|手机)(?:大师|app)?.{0,10}"
    r"|来自.{1,16}(?:邮箱|郵箱|邮件|客户端)(?:大师|app)?.{0,10})$",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_BEGIN_FORWARD = re.compile(
    r"^(?:begin forwarded message|以下是转发的邮件|转发的邮件)\s*[:：]$", re.IGNORECASE
)
_RULE = re.compile(r"^[-_=—*]{8,}$")


def _header_key(line: str) -> str | None:
    match = _HEADER_LINE.match(line)
    if match is None:
        return None
    return _HEADER_KEYS.get(match.group(1).lower())


def _is_header_block(lines: list[str], i: int) -> bool:
    """Line ``i`` is ``From:`` and at least two other header fields follow closely."""
    found: set[str] = set()
    for line in lines[i + 1 : i + 8]:
        stripped = line.strip()
        if not stripped:
            continue
        key = _header_key(stripped)
        if key is not None and key != "from":
            found.add(key)
            if len(found) >= 2:
                return True
    return False


def _wrote_line(lines: list[str], i: int, stripped: str) -> bool:
    """A "On <date>, <who> wrote:" header, possibly wrapped over up to three lines."""
    first = stripped[:1]
    western = not first.isascii() or first.upper() in "OLAEIDW"
    joined = stripped
    for extra in range(3):
        if extra:
            if i + extra >= len(lines):
                return False
            nxt = lines[i + extra].strip()
            if not nxt or nxt.startswith(">"):
                return False
            joined = joined + " " + nxt
        if (
            joined[-1] in ":："
            and _DIGIT.search(joined)
            and (
                (western and _WROTE.match(joined))
                or _WROTE_ZH.match(joined)
                or _WROTE_ADDR.match(joined)
            )
        ):
            return True
    return False


def find_quote_start(lines: list[str]) -> int:
    """Return the index of the first line of quoted history or signature (len if none)."""
    return _find(lines)[0]


def _find(lines: list[str]) -> tuple[int, bool]:
    """The cut index, and whether it is a "… wrote:" header (which may be bottom-posted)."""
    n = len(lines)
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped[0] == ">":
            if line.rstrip("\r") == "-- ":
                return i, False
            continue
        first = stripped[0]
        if stripped == "--" or line.rstrip("\r") == "-- ":
            return i, False
        if first in "-—_=*" and 2 < len(stripped) <= 200:
            if _SEPARATOR.match(stripped):
                return i, False
            if _RULE.match(stripped):
                # a rule right before an Outlook "From: / Sent:" block belongs to it
                j = i + 1
                while j < n and not lines[j].strip():
                    j += 1
                if j < n and _header_key(lines[j].strip()) == "from" and _is_header_block(lines, j):
                    return i, False
            continue
        if len(stripped) <= 420 and _wrote_line(lines, i, stripped):
            return i, True
        if (":" in stripped[:12] or "：" in stripped[:12]) and _header_key(stripped) == "from":
            if _is_header_block(lines, i):
                return i, False
            continue
        if stripped[-1] in ":：" and _BEGIN_FORWARD.match(stripped):
            return i, False
        if len(stripped) <= 120:
            mobile = stripped
            if mobile[-1] == ">" and "<" in mobile:  # "Get Outlook for Android<https://…>"
                mobile = mobile[: mobile.rfind("<")].rstrip()
            if len(mobile) <= 60 and _MOBILE.match(mobile):
                return i, False
    return n, False


def extract_reply(text: str) -> str:
    """Return the new text of a reply: history, quoted lines and signature removed.

    Cuts at the first quote header (``On … wrote:``, ``在 … 写道：``, ``… 于 … 写道：``),
    separator (``-----Original Message-----``, ``------------------ 原始邮件
    ------------------``, ``-----邮件原件-----``), Outlook header block (``From:`` /
    ``发件人:`` followed by ``Sent:``/``发送时间:``, ``To:``, ``Subject:``), mobile
    signature (``Sent from my iPhone``, ``发自我的iPhone``) or signature delimiter
    (``-- ``); then drops the remaining ``>`` lines, trailing spaces and runs of
    blank lines.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _extract(text.split("\n"), 0)


def _extract(lines: list[str], depth: int) -> str:
    cut, wrote = _find(lines)
    reply = _clean(lines[:cut])
    if reply or not wrote or depth > 3:
        return reply
    # Nothing above "On … wrote:": a bottom-posted reply. Skip the header's
    # (wrapped) lines and the quoted block; what follows is the answer.
    j = cut + 1
    while (
        j < len(lines)
        and j <= cut + 2
        and lines[j].strip()
        and not lines[j].lstrip().startswith(">")
    ):
        j += 1
    while j < len(lines) and (not lines[j].strip() or lines[j].lstrip().startswith(">")):
        j += 1
    return _extract(lines[j:], depth + 1) if j < len(lines) else ""


def _clean(lines: list[str]) -> str:
    """Drop ``>`` lines, trailing spaces, leading/trailing blanks and repeated blank lines."""
    out: list[str] = []
    blank = True  # drops leading blank lines
    for line in lines:
        if line.lstrip().startswith(">"):
            continue
        line = line.rstrip()
        if not line.strip():
            if not blank:
                out.append("")
            blank = True
            continue
        out.append(line)
        blank = False
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)
