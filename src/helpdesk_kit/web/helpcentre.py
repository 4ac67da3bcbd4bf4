"""The help centre: categories, article pages, search as you type, "did this help?", and
contact options at the bottom of every article. zh and en (the article's locale follows the
page's language)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from helpdesk_kit.errors import HelpdeskError, InvalidInput, NotFound
from helpdesk_kit.kb.model import Article, Category, locale_matches
from helpdesk_kit.web.markdown import render_markdown
from helpdesk_kit.web.security import check_csrf
from helpdesk_kit.web.texts import HELP_TEXTS

if TYPE_CHECKING:
    from helpdesk_kit.desk import Helpdesk
    from helpdesk_kit.web.context import WebContext

__all__ = ["category_name", "routes", "snippet"]

_MAX_QUERY = 200


def category_name(category: Category, lang: str) -> str:
    """The category's name in ``lang`` (its own name when there is no translation)."""
    for locale, name in category.names.items():
        if locale_matches(locale, lang):
            return name
    return category.name


def snippet(article: Article, length: int = 140) -> str:
    """The start of the article's text, without Markdown marks."""
    text = " ".join(
        line.strip().lstrip("#-*+> ").replace("**", "")
        for line in article.body.splitlines()
        if line.strip()
    )
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _published(desk: Helpdesk, lang: str, category_id: str | None = None) -> list[Article]:
    criteria: dict[str, Any] = {"status": "published"}
    if category_id is not None:
        criteria["category_id"] = category_id
    found: list[Article] = []
    after = None
    while True:
        page = desk.kb.articles(limit=500, after=after, **criteria)
        found += [a for a in page if locale_matches(a.locale, lang)]
        if len(page) < 500:
            break
        after = page[-1].id
    return sorted(found, key=lambda a: a.title)


def _overview(desk: Helpdesk, lang: str) -> list[dict[str, Any]]:
    articles = _published(desk, lang)
    by_category: dict[str | None, list[Article]] = {}
    for article in articles:
        by_category.setdefault(article.category_id, []).append(article)
    groups = []
    for node in desk.kb.category_tree():
        for _depth, category in node.walk():
            listed = by_category.get(category.id, [])
            if listed:
                groups.append(
                    {
                        "category": category,
                        "name": category_name(category, lang),
                        "articles": listed,
                    }
                )
    return groups


def _search(desk: Helpdesk, query: str, lang: str, limit: int, typing: bool) -> list[Article]:
    query = query.strip()[:_MAX_QUERY]
    if not query:
        return []
    try:
        if typing:
            hits = desk.kb.suggest(query, locale=lang, limit=limit)
        else:
            hits = desk.kb.search(query, locale=lang, limit=limit)
    except InvalidInput:
        return []
    return [h.article for h in hits]


def routes(ctx: WebContext) -> list[BaseRoute]:
    """The help centre's pages and its suggest API."""
    ctx.i18n.add(HELP_TEXTS)
    desk = ctx.desk

    def contact(lang: str) -> dict[str, Any]:
        return {
            "email": ctx.settings.contact_email,
            "phone": ctx.settings.contact_phone,
        }

    async def index(request: Request) -> Response:
        lang = ctx.language(request)
        groups = await ctx.run(_overview, desk, lang)
        return ctx.render(
            request, "help/index.html", groups=groups, query="", contact=contact(lang)
        )

    async def category(request: Request) -> Response:
        lang = ctx.language(request)
        try:
            found = await ctx.run(desk.kb.get_category, request.path_params["key"])
        except (NotFound, InvalidInput):
            raise HTTPException(404, "no such category") from None
        articles = await ctx.run(_published, desk, lang, found.id)
        return ctx.render(
            request,
            "help/category.html",
            category=found,
            name=category_name(found, lang),
            articles=articles,
            snippet=snippet,
            query="",
        )

    async def article(request: Request) -> Response:
        lang = ctx.language(request)
        try:
            found = await ctx.run(desk.kb.get_article, request.path_params["article_id"])
        except (NotFound, InvalidInput):
            raise HTTPException(404, "no such article") from None
        if not found.is_published:
            raise HTTPException(404, "no such article")
        if not locale_matches(found.locale, lang):
            group = await ctx.run(desk.kb.translations, found)
            other = next(
                (a for a in group if a.is_published and locale_matches(a.locale, lang)), None
            )
            if other is not None:
                root = request.scope.get("root_path", "")
                return RedirectResponse(f"{root}/help/article/{other.id}?lang={lang}", 303)
        with contextlib.suppress(HelpdeskError):  # a view count is not worth an error page
            await ctx.run(desk.kb.record_view, found)
        cat = None
        if found.category_id:
            try:
                cat = await ctx.run(desk.kb.get_category, found.category_id)
            except NotFound:
                cat = None
        try:
            related = await ctx.run(desk.kb.related_articles, found)
        except HelpdeskError:
            related = []
        return ctx.render(
            request,
            "help/article.html",
            article=found,
            body=render_markdown(found.body),
            category=cat,
            category_name=category_name(cat, lang) if cat else "",
            related=[a for a in related if a.is_published][:5],
            voted=request.query_params.get("voted"),
            contact=contact(lang),
            query="",
        )

    async def vote(request: Request) -> Response:
        ctx.limiter.check(request, "help.vote")
        await check_csrf(request)
        form = await request.form()
        article_id = request.path_params["article_id"]
        helpful = form.get("helpful") == "yes"
        reason = form.get("reason")
        reason_text = reason.strip()[:500] if isinstance(reason, str) and reason.strip() else None
        voter = request.cookies.get("hk_csrf") or None
        try:
            await ctx.run(desk.kb.vote, article_id, helpful, reason=reason_text, voter=voter)
        except (NotFound, InvalidInput):
            raise HTTPException(404, "no such article") from None
        root = request.scope.get("root_path", "")
        return RedirectResponse(
            f"{root}/help/article/{article_id}?voted={'yes' if helpful else 'no'}#feedback", 303
        )

    async def search(request: Request) -> Response:
        ctx.limiter.check(request, "help.search")
        lang = ctx.language(request)
        query = request.query_params.get("q", "")[:_MAX_QUERY]
        results = await ctx.run(_search, desk, query, lang, 20, False)
        return ctx.render(
            request,
            "help/search.html",
            query=query,
            results=results,
            snippet=snippet,
            contact=contact(lang),
        )

    async def suggest(request: Request) -> Response:
        ctx.limiter.check(request, "help.suggest")
        lang = ctx.language(request)
        query = request.query_params.get("q", "")
        results = await ctx.run(_search, desk, query, lang, 8, True)
        root = request.scope.get("root_path", "")
        return JSONResponse(
            {
                "query": query[:_MAX_QUERY],
                "results": [
                    {
                        "id": a.id,
                        "title": a.title,
                        "snippet": snippet(a, 90),
                        "url": f"{root}/help/article/{a.id}?lang={lang}",
                    }
                    for a in results
                ],
            }
        )

    return [
        Route("/help", index, name="help"),
        Route("/help/search", search, name="help_search"),
        Route("/help/api/suggest", suggest, name="help_suggest"),
        Route("/help/category/{key}", category, name="help_category"),
        Route("/help/article/{article_id}", article, name="help_article"),
        Route("/help/article/{article_id}/vote", vote, methods=["POST"], name="help_vote"),
    ]
