"""Files visitors upload in the chat: checked by their first bytes and size, kept on disk,
and always served as downloads (never shown inline, never sniffed as HTML)."""

from __future__ import annotations

import re
import secrets
import tempfile
import unicodedata
from pathlib import Path

import attrs

from helpdesk_kit.errors import InvalidInput, NotFound
from helpdesk_kit.web.settings import WebSettings

__all__ = ["StoredUpload", "UploadStore", "safe_filename", "sniff_type"]

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)
_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def sniff_type(data: bytes) -> str | None:
    """The type the file's first bytes show (images, PDF, plain UTF-8 text), else None.

    Text that looks like markup (``<``) is not plain text: an HTML file is refused.
    """
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\x00" in text or "<" in text:
        return None
    return "text/plain"


def safe_filename(name: str) -> str:
    """A file name safe to show and to put in a header: no path, no controls, ≤ 120 chars."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C" and c not in '"<>')
    name = name.strip(" .") or "file"
    return name[:120]


@attrs.frozen
class StoredUpload:
    """An upload kept on disk."""

    id: str
    filename: str
    content_type: str
    size: int
    path: Path


class UploadStore:
    """Checks and keeps uploads in ``settings.upload_dir`` (a temporary directory by default)."""

    def __init__(self, settings: WebSettings) -> None:
        self.settings = settings
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if settings.upload_dir is not None:
            self.root = Path(settings.upload_dir)
        else:
            self._tmp = tempfile.TemporaryDirectory(prefix="helpdesk-uploads-")
            self.root = Path(self._tmp.name)
        self.root.mkdir(parents=True, exist_ok=True)

    def check(self, filename: str, data: bytes) -> str:
        """The content type of an acceptable upload; ``InvalidInput`` says why not."""
        if not data:
            raise InvalidInput("the file is empty")
        if len(data) > self.settings.upload_max_bytes:
            raise InvalidInput(
                f"the file is {len(data)} bytes; the limit is {self.settings.upload_max_bytes}"
            )
        kind = sniff_type(data[:4096] if len(data) > 4096 else data)
        if kind == "text/plain" and len(data) > 4096:
            kind = sniff_type(data)
        if kind is None or kind not in self.settings.upload_types:
            allowed = ", ".join(sorted(self.settings.upload_types))
            raise InvalidInput(f"this kind of file is not accepted (accepted: {allowed})")
        return kind

    def save(self, filename: str, data: bytes) -> StoredUpload:
        """Check and keep an upload; returns where it is."""
        kind = self.check(filename, data)
        upload_id = secrets.token_urlsafe(18)
        name = safe_filename(filename)
        folder = self.root / upload_id
        folder.mkdir()
        (folder / "data").write_bytes(data)
        (folder / "meta").write_text(f"{kind}\n{name}", encoding="utf-8")
        return StoredUpload(upload_id, name, kind, len(data), folder / "data")

    def get(self, upload_id: str) -> StoredUpload:
        """A kept upload by id (``NotFound`` for an unknown or malformed id)."""
        if not _ID.match(upload_id):
            raise NotFound("upload", upload_id)
        folder = self.root / upload_id
        try:
            kind, name = (folder / "meta").read_text(encoding="utf-8").split("\n", 1)
            size = (folder / "data").stat().st_size
        except (OSError, ValueError):
            raise NotFound("upload", upload_id) from None
        return StoredUpload(upload_id, name, kind, size, folder / "data")
