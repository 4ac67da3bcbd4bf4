"""Texts shared by every page (layout, login, errors)."""

from __future__ import annotations

__all__ = ["COMMON_TEXTS"]

COMMON_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "app.name": "Help desk",
        "nav.help": "Help centre",
        "nav.desk": "Workspace",
        "nav.dashboard": "Dashboard",
        "nav.logout": "Sign out",
        "nav.login": "Sign in",
        "nav.language": "中文",
        "login.title": "Sign in",
        "login.login": "User name",
        "login.password": "Password",
        "login.submit": "Sign in",
        "login.error": "The user name or password is wrong.",
    },
    "zh": {
        "app.name": "客服中心",
        "nav.help": "帮助中心",
        "nav.desk": "工作台",
        "nav.dashboard": "数据看板",
        "nav.logout": "退出",
        "nav.login": "登录",
        "nav.language": "English",
        "login.title": "登录",
        "login.login": "用户名",
        "login.password": "密码",
        "login.submit": "登录",
        "login.error": "用户名或密码错误。",
    },
}
