"""The creator's For You page: an endless feed of explained cards, the click-through that
records which card was opened, the card controls and the feed settings.

Every control is a plain form that works without JavaScript (it redirects back); `for_you.js`
posts the same forms with `Accept: application/json` and gets JSON (or problem+json) instead.
The views call the same services as the JSON API (`recsys/api.py`), so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from academy.accounts.models import Creator
from academy.catalog.choices import Level
from academy.catalog.selectors import topics
from academy.catalog.views import reader_creator, reader_error, reader_language
from academy.core.errors import AcademyError, NotFound
from academy.core.problems import problem_from_error, problem_response
from academy.recsys.catalogue import catalogue
from academy.recsys.forms import CardClickForm, FeedPageForm, FeedSettingsForm, HideForm
from academy.recsys.models import FeedPreference
from academy.recsys.selectors import FeedCard, suppressions_of
from academy.recsys.services import (
    feed_click_record,
    feed_not_interested,
    feed_reset,
    feed_serve,
    feed_settings_update,
    feed_suppression_remove,
)
from academy.search.forms import kind_label

PAGE_SIZE = 10
ENTRY_POINT = "academy_home"

CreatorView = Callable[[HttpRequest, Creator], HttpResponse]


def _creators_only(request: HttpRequest) -> HttpResponse:
    message = _("For You recommendations are made for creator accounts only.")
    return render(request, "web/error.html", {"status": 403, "message": message}, status=403)


def creator_page(view: CreatorView) -> Callable[[HttpRequest], HttpResponse]:
    """Signed-in creators only: visitors go to sign in, staff without a profile are told why."""

    def wrapped(request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        creator = reader_creator(request)
        if creator is None:
            return _creators_only(request)
        return view(request, creator)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _wants_json(request: HttpRequest) -> bool:
    """The page's script posts with ``Accept: application/json``; a plain form does not."""
    return "application/json" in request.headers.get("Accept", "")


def _broken(request: HttpRequest, message: str, *, status: int = 400) -> HttpResponse:
    if _wants_json(request):
        return problem_response(request, status=status, detail=message)
    return render(request, "web/error.html", {"status": status, "message": message}, status=status)


def _failed(request: HttpRequest, error: AcademyError) -> HttpResponse:
    if _wants_json(request):
        return problem_from_error(request, error)
    return reader_error(request, error)


# ---------------------------------------------------------------------------------------------
# The feed


def _card_link(card: FeedCard, request_id: str) -> str:
    params = {"item": card.item, "rid": request_id, "pos": card.position}
    return f"{reverse('for_you:go')}?{urlencode(params)}"


def _cards(cards: list[FeedCard], *, request_id: str, language: str) -> list[dict[str, Any]]:
    """What a card shows besides the recommendation: labels, names and its click-through."""
    topic_names = {topic.slug: topic.name_in(language) for topic in topics()}
    return [
        {
            "card": card,
            "item_id": card.item.partition(":")[2],
            "kind_label": kind_label(card.kind),
            "level_label": str(Level(card.level).label) if card.level in Level.values else "",
            "topic_name": topic_names.get(card.topic, card.topic),
            # Content not yet translated into the reader's language says which language it is in.
            "language_name": (
                str(get_language_info(card.language)["name_local"]).capitalize()
                if card.language != language
                else ""
            ),
            "link": _card_link(card, request_id),
        }
        for card in cards
    ]


@require_GET
@creator_page
def feed(request: HttpRequest, creator: Creator) -> HttpResponse:
    """The For You page; with ``partial=1``, only the next page's cards (the endless scroll)."""
    form = FeedPageForm(request.GET)
    if not form.is_valid():
        return _broken(request, _("This link to your For You feed is broken."))
    cursor, partial = form.cleaned_data["cursor"], form.cleaned_data["partial"]
    try:
        page = feed_serve(creator=creator, limit=PAGE_SIZE, cursor=cursor, entry_point=ENTRY_POINT)
    except AcademyError:
        # The only bad input left is a cursor the feed no longer knows (e.g. after a reset).
        context = {"status": 400, "message": _("This page of your feed has expired.")}
        return render(request, "recsys/expired.html", context, status=400)
    context = {
        "page": page,
        "cards": _cards(page.cards, request_id=page.request_id, language=reader_language(request)),
        "request_id": page.request_id,
        "entry_point": ENTRY_POINT,
        "more_url": f"{reverse('for_you:feed')}?{urlencode({'cursor': page.cursor})}",
        "continued": bool(cursor),
    }
    template = "recsys/_feed_page.html" if partial else "recsys/for_you.html"
    return render(request, template, context)


@require_GET
@creator_page
def go(request: HttpRequest, creator: Creator) -> HttpResponse:
    """Record that a card was opened (a `click` event and a real-time signal), then open it."""
    form = CardClickForm(request.GET)
    if not form.is_valid():
        return _broken(request, _("This link to a recommendation is broken."))
    data = form.cleaned_data
    cat = catalogue()
    index = cat.index.get(data["item"])
    if index is None:
        return reader_error(
            request,
            NotFound(_("This recommendation is no longer available: it may have been retired.")),
        )
    url = cat.items[index].text(creator.language)[0].url
    feed_click_record(
        creator=creator, item=data["item"], request_id=data["rid"], position=data["pos"]
    )
    return redirect(url)


# ---------------------------------------------------------------------------------------------
# Controls


def _back(request: HttpRequest, where: str) -> HttpResponse:
    return redirect("for_you:settings" if where == "settings" else "for_you:feed")


def _hidden_names(pairs: list[tuple[str, str]], language: str) -> list[str]:
    """How the creator knows what they hid: each (item, topic)'s title, or the topic's name.
    An item retired since it was hidden keeps its key as its name."""
    topic_names = {topic.slug: topic.name_in(language) for topic in topics()}
    cat = catalogue()
    names = []
    for item, topic in pairs:
        if topic:
            names.append(topic_names.get(topic, topic))
        else:
            index = cat.index.get(item)
            names.append(cat.items[index].text(language)[0].title if index is not None else item)
    return names


@require_POST
@creator_page
def not_interested(request: HttpRequest, creator: Creator) -> HttpResponse:
    """ "Not interested" in a card, or hide its whole topic."""
    form = HideForm(request.POST)
    if not form.is_valid():
        return _broken(request, _("Choose a recommendation or a topic to hide."))
    data = form.cleaned_data
    try:
        feed_not_interested(
            creator=creator, item=data["item"], topic=data["topic"], request_id=data["rid"]
        )
    except AcademyError as error:
        return _failed(request, error)
    [name] = _hidden_names([(data["item"], data["topic"])], reader_language(request))
    if data["topic"]:
        message = _("You won’t see “%(topic)s” in your feed any more.") % {"topic": name}
    else:
        message = _("You won’t see “%(title)s” again.") % {"title": name}
    if _wants_json(request):
        return JsonResponse(
            {"message": message, "item": data["item"], "topic": data["topic"]}, status=201
        )
    messages.success(request, message + " " + _("You can show it again in the feed settings."))
    return _back(request, data["back"])


@require_POST
@creator_page
def show_again(request: HttpRequest, creator: Creator) -> HttpResponse:
    """Undo a "not interested" or a hidden topic."""
    form = HideForm(request.POST)
    if not form.is_valid():
        return _broken(request, _("Choose a recommendation or a topic to show again."))
    data = form.cleaned_data
    removed = feed_suppression_remove(creator=creator, item=data["item"], topic=data["topic"])
    if not removed:
        return _broken(request, _("That item or topic is not hidden."), status=404)
    [name] = _hidden_names([(data["item"], data["topic"])], reader_language(request))
    message = _("“%(name)s” can appear in your feed again.") % {"name": name}
    if _wants_json(request):
        return JsonResponse({"message": message, "item": data["item"], "topic": data["topic"]})
    messages.success(request, message)
    return _back(request, data["back"])


# ---------------------------------------------------------------------------------------------
# Settings


def _hidden_rows(creator: Creator, language: str) -> list[dict[str, str]]:
    pairs = [(s.item, s.topic) for s in suppressions_of(creator=creator)]
    return [
        {"item": item, "topic": topic, "name": name}
        for (item, topic), name in zip(pairs, _hidden_names(pairs, language), strict=True)
    ]


@require_http_methods(["GET", "POST"])
@creator_page
def settings_page(request: HttpRequest, creator: Creator) -> HttpResponse:
    """Personalisation and Academy cards on or off, and what the creator hid."""
    preference = FeedPreference.objects.filter(creator=creator).first()
    current = {
        "personalised": creator.personalisation_consent,
        "cards_on": not (preference and preference.cards_off),
    }
    if request.method == "POST":
        form = FeedSettingsForm(request.POST, initial=current)
        if form.is_valid():
            feed_settings_update(
                creator=creator,
                personalised=form.cleaned_data["personalised"],
                cards_off=not form.cleaned_data["cards_on"],
            )
            messages.success(request, _("Your feed settings are saved."))
            return redirect("for_you:settings")
    else:
        form = FeedSettingsForm(initial=current)
    context = {
        "form": form,
        "hidden": _hidden_rows(creator, reader_language(request)),
        "personalised": creator.personalisation_consent,
    }
    return render(request, "recsys/settings.html", context)


@require_http_methods(["GET", "POST"])
@creator_page
def reset_page(request: HttpRequest, creator: Creator) -> HttpResponse:
    """ "Reset my recommendations", after a confirmation page."""
    if request.method == "POST":
        feed_reset(creator=creator)
        messages.success(
            request, _("Your recommendations start afresh. Hidden items and topics are back.")
        )
        return redirect("for_you:feed")
    return render(request, "recsys/reset.html")
