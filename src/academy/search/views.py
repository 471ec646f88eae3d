"""Search pages: the creator's search with filters and autocomplete, the click-through that
records which result was opened, hashtag pages, and Studio's content gaps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from academy.catalog.choices import Level
from academy.catalog.selectors import topics
from academy.catalog.services import hashtag_normalise
from academy.catalog.views import reader_creator, reader_error, reader_language
from academy.core import clock
from academy.core.errors import AcademyError
from academy.search.analytics import (
    LOW_CLICK_CTR,
    LOW_CLICK_MIN_SEARCHES,
)
from academy.search.analytics import (
    content_gaps as gaps_between,
)
from academy.search.forms import GapRangeForm, ResultClickForm, SearchForm, kind_label
from academy.search.ranking import SearcherProfile
from academy.search.selectors import (
    SearchHit,
    hashtag_page,
    popular_hashtags,
    result_url,
    search_documents,
    search_suggestions,
    searcher_profile,
)
from academy.search.services import (
    Searcher,
    new_request_id,
    search_click_logged,
    search_logged,
)
from academy.search.text import MAX_QUERY_LENGTH


def _searcher(request: HttpRequest) -> Searcher:
    return Searcher(creator=reader_creator(request), language=reader_language(request))


def _profile(request: HttpRequest) -> SearcherProfile:
    return searcher_profile(creator=reader_creator(request), language=reader_language(request))


def _cards(
    hits: list[SearchHit], *, language: str, link: Callable[[SearchHit], str]
) -> list[dict[str, Any]]:
    """What a result card shows besides the hit: labels, and where its link goes."""
    return [
        {
            "hit": hit,
            "position": hit.rank - 1,
            "kind_label": kind_label(hit.kind),
            "level_label": str(Level(hit.level).label) if hit.level in Level.values else "",
            "language_name": (
                str(get_language_info(hit.language)["name_local"]).capitalize()
                if hit.language != language
                else ""
            ),
            "link": link(hit),
        }
        for hit in hits
    ]


def _result_link(hit: SearchHit, *, request_id: str, query: str) -> str:
    """The click-through address that records the click, then opens the result."""
    params = {"rid": request_id, "q": query, "item": hit.item, "rank": hit.rank}
    return f"{reverse('search:go')}?{urlencode(params)}"


def _page_url(request: HttpRequest, **changes: Any) -> str:
    params = {key: value for key, value in request.GET.items() if value}
    params.update({key: str(value) for key, value in changes.items() if value})
    return f"{request.path}?{urlencode(params)}"


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    language = reader_language(request)
    form = SearchForm(request.GET or None, topic_rows=topics(), language=language)
    context: dict[str, Any] = {"form": form, "max_length": MAX_QUERY_LENGTH}
    if not form.is_bound:
        context["popular_hashtags"] = popular_hashtags()
        return render(request, "search/search.html", context)
    if not form.is_valid():
        return render(request, "search/search.html", context, status=400)
    searcher, profile = _searcher(request), _profile(request)
    page_number = form.cleaned_data["page"] or 1
    results = search_documents(
        query=form.cleaned_data["q"],
        profile=profile,
        filters=form.filters(),
        page=page_number,
    )
    if results.query.is_empty:
        context["popular_hashtags"] = popular_hashtags()
        return render(request, "search/search.html", context)
    request_id = form.cleaned_data["rid"] if page_number > 1 else ""
    if not request_id:
        request_id = new_request_id()
        search_logged(
            searcher=searcher, query=results.query.text, results=results.total,
            request_id=request_id, surface="web",
            details={"page": results.page, **asdict(form.filters())},
        )  # fmt: skip
    context.update(
        results=results,
        cards=_cards(
            results.hits,
            language=profile.language,
            link=lambda hit: _result_link(hit, request_id=request_id, query=results.searched),
        ),
        request_id=request_id,
        filtered=any(asdict(form.filters()).values()),
        previous_url=(
            _page_url(request, page=results.page - 1, rid=request_id) if results.page > 1 else None
        ),
        next_url=(
            _page_url(request, page=results.page + 1, rid=request_id) if results.has_next else None
        ),
    )
    return render(request, "search/search.html", context)


@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    """The autocomplete list under the search box (an htmx fragment)."""
    profile = _profile(request)
    query = request.GET.get("q", "")[: MAX_QUERY_LENGTH * 2]
    suggestions = search_suggestions(query=query, profile=profile)
    return render(
        request,
        "search/_suggestions.html",
        {
            "suggestions": [
                {"item": item, "kind_label": kind_label(item.kind) if item.url else ""}
                for item in suggestions
            ]
        },
    )


@require_GET
def go(request: HttpRequest) -> HttpResponse:
    """Record that a result was opened (a `search_click` event), then open it."""
    form = ResultClickForm(request.GET)
    if not form.is_valid():
        return render(
            request,
            "web/error.html",
            {"status": 400, "message": _("This link to a search result is broken.")},
            status=400,
        )
    data = form.cleaned_data
    try:
        url = result_url(item=data["item"])
    except AcademyError as error:
        return reader_error(request, error)
    search_click_logged(
        searcher=_searcher(request), query=data["q"][:MAX_QUERY_LENGTH], item=data["item"],
        rank=data["rank"], request_id=data["rid"],
    )  # fmt: skip
    return redirect(url)


@require_GET
def hashtag(request: HttpRequest, tag: str) -> HttpResponse:
    try:
        name = hashtag_normalise(tag)
    except AcademyError as error:
        return reader_error(request, error)
    if name != tag:
        return redirect("search:hashtag", tag=name, permanent=True)
    profile = _profile(request)
    try:
        page_number = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        page_number = 1
    try:
        page = hashtag_page(tag=name, profile=profile, page=page_number)
    except AcademyError as error:
        return reader_error(request, error)
    request_id = new_request_id()
    context = {
        "page": page,
        "cards": _cards(page.hits, language=profile.language, link=lambda hit: hit.url),
        "request_id": request_id,
        "previous_url": _page_url(request, page=page.page - 1) if page.page > 1 else None,
        "next_url": _page_url(request, page=page.page + 1) if page.has_next else None,
    }
    return render(request, "search/hashtag.html", context)


@permission_required("accounts.access_studio", raise_exception=True)
@require_GET
def content_gaps(request: HttpRequest) -> HttpResponse:
    """Studio: what creators search for, what they click, and what finds nothing."""
    today = clock.now().date()
    form = GapRangeForm(request.GET, today=today)
    context: dict[str, Any] = {
        "form": form,
        "studio_section": "gaps",
        "low_click_min": LOW_CLICK_MIN_SEARCHES,
        "low_click_percent": round(LOW_CLICK_CTR * 100),
    }
    if not form.is_valid():
        return render(request, "search/content_gaps.html", context, status=400)
    data = form.cleaned_data
    if not request.GET:  # show the default range in the fields
        context["form"] = GapRangeForm(
            initial={"start": data["start"], "end": data["end"]}, today=today
        )
    context["gaps"] = gaps_between(
        events_dir=Path(settings.ACADEMY_EVENTS_DIR), start=data["start"], end=data["end"]
    )
    return render(request, "search/content_gaps.html", context)
