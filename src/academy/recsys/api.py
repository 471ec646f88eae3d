"""JSON API of For You: the feed (`/feed`), the host app's entry points
(`/entry-points/for-you-card`, `/entry-points/hashtag/{tag}`) and the creator's controls.

A signed-in creator reads and controls their own feed; a host app names the creator with
`?creator=` and needs the `feed:read` scope (reads) or `feed:write` (controls).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from academy.accounts.acting import acting_creator
from academy.accounts.choices import ApiScope
from academy.accounts.models import Creator
from academy.accounts.selectors import creator_get
from academy.core.auth import require_scope
from academy.core.errors import NotFound
from academy.core.schemas import PROBLEM_RESPONSES
from academy.recsys.models import FeedPreference
from academy.recsys.schemas import (
    CreatorParam,
    EntryCardOut,
    EntryPointParams,
    FeedOut,
    FeedParams,
    FeedSettingsIn,
    FeedSettingsOut,
    HashtagEntryOut,
    HashtagEntryParams,
    NotInterestedIn,
    SuppressionOut,
)
from academy.recsys.selectors import FeedCard, suppressions_of
from academy.recsys.services import (
    feed_not_interested,
    feed_reset,
    feed_serve,
    feed_settings_update,
    feed_suppression_remove,
    for_you_card,
    hashtag_cards,
)

router = Router(tags=["for you"])


def _named_creator(creator_id: str) -> Creator:
    creator = creator_get(external_id=creator_id)
    if creator is None:
        raise NotFound(
            _("There is no creator with the id “%(id)s”. Create them with PUT /creators/{id}.")
            % {"id": creator_id}
        )
    return creator


def feed_owner(request: HttpRequest, creator_id: str | None, *, scope: str) -> Creator:
    """Whose feed: the signed-in creator's own, or `?creator=` for a host app with ``scope``."""
    return acting_creator(
        request, creator_id, scope=scope, not_a_creator=_("Only creators have a For You feed.")
    )


def card_fields(card: FeedCard) -> dict[str, Any]:
    """A card as `CardOut`'s fields."""
    item_kind, _sep, item_id = card.item.partition(":")
    return {
        "kind": card.kind, "item_kind": item_kind, "id": item_id, "item": card.item,
        "title": card.title, "summary": card.summary, "course_title": card.course_title,
        "url": card.url, "topic": card.topic, "level": card.level, "language": card.language,
        "reason": card.reason, "reason_code": card.reason_code, "position": card.position,
        "score": float(card.score), "propensity": float(card.propensity),
    }  # fmt: skip


def cards_response(body: dict[str, Any]) -> JsonResponse:
    """A page of cards as JSON, written directly. Through the response model, validating our own
    dataclasses field by field cost about a fifth of a feed request's CPU (docs/RECSYS.md,
    "Speed"); the tests check these answers against the documented schemas."""
    return JsonResponse(body)


@router.get(
    "/feed",
    response={200: FeedOut, **PROBLEM_RESPONSES},
    operation_id="feed_get",
    summary="A page of the creator's For You feed: ranked, explained cards with a request id",
)
def feed_get(request: HttpRequest, params: Query[FeedParams]) -> HttpResponse:
    creator = feed_owner(request, params.creator, scope=ApiScope.FEED_READ)
    page = feed_serve(creator=creator, limit=params.limit, cursor=params.cursor)
    return cards_response({
        "request_id": page.request_id, "creator": creator.external_id,
        "personalised": page.personalised, "model_version": page.model_version,
        "cursor": page.cursor, "cards": [card_fields(card) for card in page.cards],
    })  # fmt: skip


@router.get(
    "/entry-points/for-you-card",
    response={200: EntryCardOut, 204: None, **PROBLEM_RESPONSES},
    operation_id="entry_point_for_you_card",
    summary="The host app's For You card: one Academy card for the creator now, or 204",
    description=(
        "204 when the creator turned Academy cards off, already had today's cards (at most 3 "
        "a day, never the same one twice), or nothing is relevant enough. Never a card the "
        "creator said 'not interested' to."
    ),
)
def entry_point_for_you_card(request: HttpRequest, params: Query[EntryPointParams]) -> HttpResponse:
    require_scope(request, ApiScope.FEED_READ)
    creator = _named_creator(params.creator)
    found = for_you_card(creator=creator)
    if found is None:
        return HttpResponse(status=204)
    card, request_id = found
    return cards_response(
        {"request_id": request_id, "creator": creator.external_id, "card": card_fields(card)}
    )


@router.get(
    "/entry-points/hashtag/{tag}",
    response={200: HashtagEntryOut, **PROBLEM_RESPONSES},
    operation_id="entry_point_hashtag",
    summary="The host app's hashtag entry point: the creator's Academy content for a hashtag",
)
def entry_point_hashtag(
    request: HttpRequest, tag: str, params: Query[HashtagEntryParams]
) -> HttpResponse:
    require_scope(request, ApiScope.FEED_READ)
    creator = _named_creator(params.creator)
    cards, request_id = hashtag_cards(creator=creator, tag=tag, limit=params.limit)
    return cards_response({
        "request_id": request_id, "creator": creator.external_id,
        "tag": tag.lstrip("#").lower(), "cards": [card_fields(card) for card in cards],
    })  # fmt: skip


def _settings_out(creator: Creator) -> FeedSettingsOut:
    preference = FeedPreference.objects.filter(creator=creator).first()
    return FeedSettingsOut(
        creator=creator.external_id,
        personalised=creator.personalisation_consent,
        cards_off=bool(preference and preference.cards_off),
        hidden=[
            SuppressionOut(item=s.item, topic=s.topic, created_at=s.created_at.isoformat())
            for s in suppressions_of(creator=creator)
        ],
    )


@router.get(
    "/feed/settings",
    response={200: FeedSettingsOut, **PROBLEM_RESPONSES},
    operation_id="feed_settings_get",
    summary="The creator's feed controls: personalisation, Academy cards, hidden items and topics",
)
def feed_settings_get(request: HttpRequest, params: Query[CreatorParam]) -> FeedSettingsOut:
    creator = feed_owner(request, params.creator, scope=ApiScope.FEED_READ)
    return _settings_out(creator)


@router.patch(
    "/feed/settings",
    response={200: FeedSettingsOut, **PROBLEM_RESPONSES},
    operation_id="feed_settings_update",
    summary="Turn personalisation or Academy cards in the host app's feed on or off",
)
def feed_settings_patch(request: HttpRequest, payload: FeedSettingsIn) -> FeedSettingsOut:
    creator = feed_owner(request, payload.creator, scope=ApiScope.FEED_WRITE)
    feed_settings_update(
        creator=creator, personalised=payload.personalised, cards_off=payload.cards_off
    )
    creator.refresh_from_db()
    return _settings_out(creator)


@router.post(
    "/feed/not-interested",
    response={201: SuppressionOut, **PROBLEM_RESPONSES},
    operation_id="feed_not_interested",
    summary="Not interested: never show this item (or this topic) again",
)
def feed_not_interested_post(
    request: HttpRequest, payload: NotInterestedIn
) -> Status[SuppressionOut]:
    creator = feed_owner(request, payload.creator, scope=ApiScope.FEED_WRITE)
    suppression = feed_not_interested(
        creator=creator, item=payload.item, topic=payload.topic, request_id=payload.request_id
    )
    return Status(
        201,
        SuppressionOut(
            item=suppression.item,
            topic=suppression.topic,
            created_at=suppression.created_at.isoformat(),
        ),
    )


@router.delete(
    "/feed/not-interested",
    response={204: None, **PROBLEM_RESPONSES},
    operation_id="feed_not_interested_undo",
    summary="Undo a 'not interested' or show a hidden topic again",
)
def feed_not_interested_delete(request: HttpRequest, payload: NotInterestedIn) -> Status[None]:
    creator = feed_owner(request, payload.creator, scope=ApiScope.FEED_WRITE)
    if not feed_suppression_remove(creator=creator, item=payload.item, topic=payload.topic):
        raise NotFound(_("That item or topic is not hidden."))
    return Status(204, None)


@router.post(
    "/feed/reset",
    response={204: None, **PROBLEM_RESPONSES},
    operation_id="feed_reset",
    summary="Reset: forget hidden items and topics and what the feed learned from the creator",
)
def feed_reset_post(request: HttpRequest, payload: CreatorParam) -> Status[None]:
    creator = feed_owner(request, payload.creator, scope=ApiScope.FEED_WRITE)
    feed_reset(creator=creator)
    return Status(204, None)
