"""The channels as entry-point plugins, the contract helpers, and the example plugin."""

from __future__ import annotations

import runpy
from datetime import UTC, datetime
from pathlib import Path

import pytest

from helpdesk_kit import Helpdesk
from helpdesk_kit.channels.base import (
    Channel,
    ChannelPlugin,
    DirectoryAttachmentStore,
    channel_enabled,
    env_settings,
    text_with_links,
)
from helpdesk_kit.channels.email import EmailChannel
from helpdesk_kit.channels.phone import PhoneChannel
from helpdesk_kit.channels.webchat import ChatChannel
from helpdesk_kit.channels.webform import FormChannel
from helpdesk_kit.channels.wechat import WeChatChannel
from helpdesk_kit.errors import ChannelError, NotFound, PluginError
from helpdesk_kit.tickets.model import AttachmentMeta, Message

ROOT = Path(__file__).resolve().parents[2]

#: The entry points the package publishes (pyproject.toml, [project.entry-points.helpdesk_kit]).
ENTRY_POINTS = {
    "email": "helpdesk_kit.channels.email.plugin",
    "form": "helpdesk_kit.channels.webform.plugin",
    "chat": "helpdesk_kit.channels.webchat.plugin",
    "phone": "helpdesk_kit.channels.phone.plugin",
    "wechat": "helpdesk_kit.channels.wechat.plugin",
}


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """helpdesk_kit's channel entry points, as an installed distribution would publish them."""
    dist = tmp_path / "helpdesk_kit_channels-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: helpdesk-kit-channels\nVersion: 1.0\n"
    )
    lines = "".join(f"{name} = {module}\n" for name, module in ENTRY_POINTS.items())
    (dist / "entry_points.txt").write_text("[helpdesk_kit]\n" + lines)
    monkeypatch.syspath_prepend(str(tmp_path))
    for var in ("HELPDESK_KIT_CHANNELS", "HELPDESK_KIT_DISABLE_PLUGINS"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def test_installed_channels_stay_silent_until_enabled(installed, helpdesk_clock):
    desk = Helpdesk(clock=helpdesk_clock)
    for name in ENTRY_POINTS:
        assert desk.plugin_manager.has_plugin(name)
    assert desk.channels == {}


def test_enabled_channels_register_from_the_environment(installed, helpdesk_clock):
    installed.setenv("HELPDESK_KIT_CHANNELS", "all")
    installed.setenv("HELPDESK_KIT_EMAIL_ADDRESS", "客服 <support@example.com>")
    installed.setenv("HELPDESK_KIT_SMTP_URL", "smtp://localhost:2525")
    installed.setenv("HELPDESK_KIT_WECHAT_TOKEN", "tok")
    installed.setenv("HELPDESK_KIT_PHONE_COUNTRY_CODE", "86")
    desk = Helpdesk(clock=helpdesk_clock)
    assert sorted(desk.channels) == ["chat", "email", "form", "phone", "wechat"]
    assert isinstance(desk.channels["email"], EmailChannel)
    assert isinstance(desk.channels["form"], FormChannel)
    assert isinstance(desk.channels["chat"], ChatChannel)
    assert isinstance(desk.channels["phone"], PhoneChannel)
    assert isinstance(desk.channels["wechat"], WeChatChannel)
    assert all(isinstance(c, Channel) for c in desk.channels.values())
    # each desk gets channel objects of its own
    other = Helpdesk(clock=helpdesk_clock)
    assert other.channels["chat"] is not desk.channels["chat"]
    # one can be blocked by name
    fewer = Helpdesk(clock=helpdesk_clock, disable_plugins=["wechat"])
    assert "wechat" not in fewer.channels


def test_an_enabled_channel_without_its_settings_stops_the_desk(installed, helpdesk_clock):
    installed.setenv("HELPDESK_KIT_CHANNELS", "chat, email")
    with pytest.raises(PluginError, match="HELPDESK_KIT_EMAIL_ADDRESS, HELPDESK_KIT_SMTP_URL"):
        Helpdesk(clock=helpdesk_clock)


def test_code_and_environment_cannot_both_register_one_channel(installed, helpdesk_clock):
    installed.setenv("HELPDESK_KIT_CHANNELS", "chat")
    with pytest.raises(PluginError, match="registered twice"):
        Helpdesk(clock=helpdesk_clock, plugins=[ChannelPlugin(ChatChannel())])


def test_contract_helpers(tmp_path):
    assert channel_enabled("chat", {"HELPDESK_KIT_CHANNELS": "email, Chat"})
    assert not channel_enabled("phone", {"HELPDESK_KIT_CHANNELS": "email"})
    assert not channel_enabled("phone", {})
    assert env_settings("x", ["A"], ["B", "C"], {"A": " 1 ", "B": "2", "C": " "}) == {
        "A": "1",
        "B": "2",
    }
    with pytest.raises(PluginError, match="A, B are not set"):
        env_settings("x", ["A", "B"], environ={})
    with pytest.raises(PluginError, match="not a channel"):
        ChannelPlugin(object())

    store = DirectoryAttachmentStore(tmp_path / "files")
    url = store.save("../../etc/passwd.txt", "text/plain", b"hello")
    assert url.endswith(".txt")
    assert store.save("other.txt", "text/plain", b"hello") == url  # one file per content
    assert store.load(url) == b"hello"
    assert Path(url.removeprefix("file://")).parent == (tmp_path / "files").resolve()
    with pytest.raises(NotFound):
        store.load("file:///etc/passwd")
    with pytest.raises(NotFound):
        store.load(url[:-5] + "0.txt")

    m = Message(
        "t",
        "agent",
        "See the files.",
        datetime(2026, 11, 2, tzinfo=UTC),
        attachments=[
            AttachmentMeta("a.pdf", url="https://x/a.pdf"),
            AttachmentMeta("logo.png", url=None, inline=True),
        ],
    )
    assert text_with_links(m) == "See the files.\n\na.pdf: https://x/a.pdf"
    bad = Message(
        "t", "agent", "x", datetime(2026, 11, 2, tzinfo=UTC), attachments=[AttachmentMeta("b.pdf")]
    )
    with pytest.raises(ChannelError, match="no URL"):
        text_with_links(bad)


def test_the_example_plugin_runs(capsys):
    runpy.run_path(str(ROOT / "examples" / "custom_channel.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "#1001 opened on acme, assigned to Ann" in out
    assert "re-delivered webhook: duplicate = True" in out
