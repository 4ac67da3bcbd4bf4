"""Real-browser helpers of the workspace tests: the app served by uvicorn in a thread, page
watchers, screenshots. The browser itself is conftest.py's session ``browser`` fixture (it
skips with a clear message when ``/usr/bin/chromium`` or ``playwright`` is missing).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: Set to a directory to save the screenshots the browser tests take (docs/img).
SCREENSHOTS = os.environ.get("HELPDESK_KIT_SCREENSHOTS")


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(app: Any) -> Iterator[str]:
    """Serve ``app`` on a free loopback port in a thread; yields its base URL."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="websockets")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class Watch:
    """Dialogs and console errors of a page (an executed XSS payload shows up here)."""

    def __init__(self, page: Any) -> None:
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("response", self._response)
        self.failed: list[str] = []

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.status} {response.url}")

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _console(self, msg: Any) -> None:
        if msg.type == "error":
            self.errors.append(msg.text)

    def check(self) -> None:
        """Fail when any dialog opened or any console error was logged."""
        assert self.dialogs == [], f"a dialog opened: {self.dialogs}"
        errors = self.errors
        if all(f.endswith("/favicon.ico") for f in self.failed):
            # the browser's own favicon request is no error of ours
            errors = [e for e in errors if not e.startswith("Failed to load resource")]
        assert errors == [], f"console errors: {errors} (failed: {self.failed})"


def sign_in(page: Any, base: str, login: str, password: str) -> None:
    """Sign in through the login form."""
    page.goto(f"{base}/login?next=/desk")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/desk/**")


def shot(page: Any, name: str, **options: Any) -> None:
    """Save a screenshot to ``$HELPDESK_KIT_SCREENSHOTS/name`` when that is set."""
    if SCREENSHOTS:
        os.makedirs(SCREENSHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SCREENSHOTS, name), **options)
