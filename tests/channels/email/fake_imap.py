"""A tiny IMAP4rev1 server for tests: LOGIN, SELECT, UID SEARCH/FETCH/STORE, LOGOUT.

It keeps one mailbox in memory, shared by every connection, so a test can
disconnect without acknowledging and see the message again on reconnect.
"""

from __future__ import annotations

import re
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import attrs


@attrs.define
class FakeMailbox:
    """Messages by UID with their flags, plus a log of the commands received."""

    user: str = "agent"
    password: str = "secret pass"
    messages: dict[int, tuple[bytes, set[str]]] = attrs.Factory(dict)
    commands: list[str] = attrs.Factory(list)
    lock: threading.Lock = attrs.Factory(threading.Lock)

    def add(self, raw: bytes, *, seen: bool = False) -> int:
        """Store a message and return its UID."""
        with self.lock:
            uid = max(self.messages, default=100) + 1
            self.messages[uid] = (raw, {"\\Seen"} if seen else set())
            return uid


def _unquote(arg: str) -> str:
    if arg.startswith('"') and arg.endswith('"'):
        return re.sub(r"\\(.)", r"\1", arg[1:-1])
    return arg


def _args(text: str) -> list[str]:
    return [m.group(0) for m in re.finditer(r'"(?:[^"\\]|\\.)*"|\([^)]*\)|\S+', text)]


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def send(self, line: str | bytes) -> None:
        data = line if isinstance(line, bytes) else line.encode()
        self.wfile.write(data + b"\r\n")

    def handle(self) -> None:
        box = self.server.box
        self.send("* OK [CAPABILITY IMAP4rev1] fake IMAP ready")
        authed = selected = False
        while True:
            line = self.rfile.readline()
            if not line:
                return
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            tag, _, rest = text.partition(" ")
            command, _, argtext = rest.partition(" ")
            command = command.upper()
            args = _args(argtext)
            with box.lock:
                box.commands.append(
                    f"{command} {argtext}".strip() if command != "LOGIN" else "LOGIN"
                )
            if command == "CAPABILITY":
                self.send("* CAPABILITY IMAP4rev1")
                self.send(f"{tag} OK CAPABILITY completed")
            elif command == "NOOP":
                self.send(f"{tag} OK NOOP completed")
            elif command == "LOGIN":
                if (
                    len(args) == 2
                    and _unquote(args[0]) == box.user
                    and _unquote(args[1]) == box.password
                ):
                    authed = True
                    self.send(f"{tag} OK LOGIN completed")
                else:
                    self.send(f"{tag} NO [AUTHENTICATIONFAILED] invalid credentials")
            elif command == "LOGOUT":
                self.send("* BYE logging out")
                self.send(f"{tag} OK LOGOUT completed")
                return
            elif not authed:
                self.send(f"{tag} BAD log in first")
            elif command == "SELECT":
                if _unquote(args[0]).upper() != "INBOX":
                    self.send(f"{tag} NO no such mailbox")
                    continue
                selected = True
                with box.lock:
                    self.send(f"* {len(box.messages)} EXISTS")
                self.send("* OK [UIDVALIDITY 1] UIDs valid")
                self.send(f"{tag} OK [READ-WRITE] SELECT completed")
            elif command == "UID" and selected:
                self.uid_command(tag, args)
            else:
                self.send(f"{tag} BAD unsupported command {command}")

    def uid_command(self, tag: str, args: list[str]) -> None:
        box = self.server.box
        sub = args[0].upper() if args else ""
        with box.lock:
            uids = sorted(box.messages)
            if sub == "SEARCH" and [a.upper() for a in args[1:]] == ["UNSEEN"]:
                found = [str(u) for u in uids if "\\Seen" not in box.messages[u][1]]
                self.send("* SEARCH" + "".join(" " + u for u in found))
                self.send(f"{tag} OK SEARCH completed")
            elif sub == "FETCH" and len(args) == 3 and args[2].upper() == "(BODY.PEEK[])":
                uid = int(args[1])
                if uid in box.messages:
                    raw = box.messages[uid][0]
                    seq = uids.index(uid) + 1
                    self.wfile.write(f"* {seq} FETCH (UID {uid} BODY[] {{{len(raw)}}}\r\n".encode())
                    self.wfile.write(raw + b")\r\n")
                self.send(f"{tag} OK FETCH completed")
            elif sub == "STORE" and len(args) == 4 and args[2].upper() == "+FLAGS":
                uid = int(args[1])
                if uid in box.messages:
                    flags = set(args[3].strip("()").split())
                    box.messages[uid][1].update(flags)
                    seq = uids.index(uid) + 1
                    flag_text = " ".join(sorted(box.messages[uid][1]))
                    self.send(f"* {seq} FETCH (UID {uid} FLAGS ({flag_text}))")
                self.send(f"{tag} OK STORE completed")
            else:
                self.send(f"{tag} BAD unsupported UID command")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, box: FakeMailbox) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.box = box


@contextmanager
def fake_imap_server(box: FakeMailbox) -> Iterator[int]:
    """Run the server on a free loopback port for the duration of the block; yield the port."""
    server = _Server(box)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
