"""The desk ``helpdesk-kit serve`` runs: starter content, demo logins, surveys on."""

from __future__ import annotations

import secrets
from typing import Any

import attrs
from starlette.applications import Starlette

from helpdesk_kit.desk import Helpdesk
from helpdesk_kit.errors import HelpdeskError
from helpdesk_kit.feedback.settings import SurveySettings
from helpdesk_kit.tickets.model import Actor
from helpdesk_kit.web.app import create_app
from helpdesk_kit.web.auth import SimpleAuth, SimpleUser, hash_password
from helpdesk_kit.web.settings import WebSettings

__all__ = ["DemoLogin", "prepare_desk", "serve_app"]


@attrs.frozen
class DemoLogin:
    """A login made for trying the app out."""

    login: str
    password: str
    roles: frozenset[str]


def prepare_desk(desk: Helpdesk) -> dict[str, str]:
    """Give an empty desk the starter KB and macros, two agents and chat surveys.

    Returns the agent ids by login (``admin``, ``agent``). Running it again adds nothing.
    """
    system = Actor.system()
    if not desk.kb.count_articles():
        desk.kb.import_starter(actor=system)
    if not desk.macros():
        desk.install_starter_macros(author=system)
    agents = {a.email: a for a in desk.agents()}
    wanted = {
        "admin": ("Admin", "admin@helpdesk.invalid", "supervisor"),
        "agent": ("Lin Yi", "agent@helpdesk.invalid", "agent"),
    }
    ids: dict[str, str] = {}
    for login, (name, email, role) in wanted.items():
        found = agents.get(email)
        if found is None:
            found = desk.add_agent(name, email=email, role=role, languages=["zh", "en"])
        ids[login] = found.id
    if desk._survey_settings is None:
        desk.configure_surveys(SurveySettings(secret=secrets.token_bytes(32), per="interaction"))
    return ids


def serve_app(
    desk: Helpdesk, *, password: str | None = None, settings: WebSettings | None = None
) -> tuple[Starlette, list[DemoLogin]]:
    """The app on a prepared desk with an ``admin`` and an ``agent`` login (one password)."""
    ids = prepare_desk(desk)
    password = password or secrets.token_urlsafe(9)
    hashed = hash_password(password)
    roles = {
        "admin": frozenset({"admin", "manager", "agent"}),
        "agent": frozenset({"agent"}),
    }
    users = {
        login: SimpleUser(hashed, roles[login], agent_id=ids[login], name=login.title())
        for login in ("admin", "agent")
    }
    app = create_app(desk, SimpleAuth(users), settings=settings)
    return app, [DemoLogin(login, password, roles[login]) for login in users]


def run(url: str | None, host: str, port: int, password: str | None, **uvicorn: Any) -> None:
    """Open the desk at ``url`` and serve it with uvicorn until interrupted."""
    import uvicorn as server

    desk = Helpdesk.from_url(url)
    try:
        app, logins = serve_app(desk, password=password)
    except HelpdeskError:
        desk.close()
        raise
    print(f"helpdesk-kit: serving {desk.storage!r}")
    print(f"  help centre:  http://{host}:{port}/help")
    print(f"  widget demo:  http://{host}:{port}/widget/demo")
    print(f"  workspace:    http://{host}:{port}/desk")
    for login in logins:
        roles = ", ".join(sorted(login.roles))
        print(f"  login {login.login!r} password {login.password!r} ({roles})")
    try:
        server.run(app, host=host, port=port, **uvicorn)
    finally:
        desk.close()
