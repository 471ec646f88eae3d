"""Writes of the For You feed: serving a page (and logging it), the creator's controls, the
host app's card, real-time signals from events, and training (training.py)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.db import transaction
from django.utils.translation import gettext as _

from academy.accounts.models import Creator
from academy.accounts.services import creator_set_personalisation
from academy.core import clock
from academy.core.errors import NotFound, ValidationFailed
from academy.events import taxonomy
from academy.events.services import server_event, track_event, track_events
from academy.recsys.catalogue import catalogue
from academy.recsys.interleaving import interleaved_page
from academy.recsys.models import (
    CardDelivery,
    FeedPreference,
    FeedSession,
    InteractionKind,
    RecentInteraction,
    Suppression,
)
from academy.recsys.selectors import FeedCard, cards_for, feed_session_get
from academy.search.services import new_request_id

MAX_PAGE = 50
MAX_SHOWN = 1000  # an endless feed forgets its oldest cards after this many
CARDS_PER_DAY = 3
CARD_THRESHOLD = 0.2  # a card's ranking score below this is not worth interrupting a feed for
RECENT_KEEP = 200


@dataclass(frozen=True)
class FeedPage:
    request_id: str
    cards: list[FeedCard]
    cursor: str
    personalised: bool
    model_version: str


def _log_served(
    creator: Creator,
    cards: Sequence[FeedCard],
    *,
    request_id: str,
    entry_point: str,
    extra: Sequence[Mapping[str, str]] | None = None,
) -> None:
    """One `recommended` event per card, appended together after the commit (``extra``: more
    properties per card, e.g. an interleaved page's teams)."""
    track_events(
        [
            server_event(
                taxonomy.Recommended,
                creator_id=creator.external_id,
                entry_point=entry_point,
                item_kind=card.item.partition(":")[0],
                item_id=card.item.partition(":")[2],
                request_id=request_id,
                position=card.position,
                properties={
                    "score": card.score,
                    "propensity": card.propensity,
                    "source": card.reason_code,
                    **(extra[index] if extra else {}),
                },
            )
            for index, card in enumerate(cards)
        ]
    )


def _check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE:
        message = _("limit must be between 1 and %(max)d.") % {"max": MAX_PAGE}
        raise ValidationFailed(message, errors={"limit": message})
    return limit


def feed_serve(
    *, creator: Creator, limit: int = 10, cursor: str = "", entry_point: str = "academy_home"
) -> FeedPage:
    """The next page of the creator's endless feed. ``cursor`` (from the previous page)
    continues it without repeating a card; every page is ranked afresh, so what the creator
    did since the last page counts."""
    _check_limit(limit)
    now = clock.now()
    session = None
    if cursor:
        session = feed_session_get(session_id=cursor, creator=creator)
        if session is None:
            message = _("This cursor is unknown or expired; start again without one.")
            raise ValidationFailed(message, errors={"cursor": message})
    shown = list(session.shown) if session else []
    request_id = new_request_id()
    seed = int(request_id[:8], 16)
    # Interleaving two rankers when the flag is on for the creator (docs/RECSYS.md).
    interleaved = interleaved_page(creator, limit=limit, exclude=shown, seed=seed)
    if interleaved is None:
        cards, version = cards_for(creator, limit=limit, exclude=shown, seed=seed)
    else:
        cards, version = interleaved.cards, interleaved.model_version
    shown = [*shown, *(card.item for card in cards)][-MAX_SHOWN:]
    # Only the writes in a transaction: on SQLite a transaction holds the database's write
    # lock from its first statement, and ranking inside it made feed requests wait for each
    # other (docs/RECSYS.md, "Speed").
    with transaction.atomic():
        if session is None:
            session = FeedSession.objects.create(
                id=secrets.token_hex(12),
                creator=creator,
                shown=shown,
                created_at=now,
                updated_at=now,
            )
        else:
            session.shown = shown
            session.updated_at = now
            session.save(update_fields=["shown", "updated_at"])
        _log_served(
            creator,
            cards,
            request_id=request_id,
            entry_point=entry_point,
            extra=interleaved.properties if interleaved else None,
        )
    return FeedPage(
        request_id=request_id,
        cards=cards,
        cursor=session.id,
        personalised=creator.personalisation_consent,
        model_version=version,
    )


def _preference(creator: Creator) -> FeedPreference:
    preference, _created = FeedPreference.objects.get_or_create(
        creator=creator, defaults={"updated_at": clock.now()}
    )
    return preference


def _delivered_today(creator: Creator, now: datetime) -> list[str]:
    return list(
        CardDelivery.objects.filter(
            creator=creator, delivered_at__gte=now - timedelta(days=1)
        ).values_list("item", flat=True)
    )


def for_you_card(*, creator: Creator) -> tuple[FeedCard, str] | None:
    """The host app's For You card for the creator right now, or None: cards off, the daily
    cap reached, or nothing relevant enough. A card is never an item the creator said "not
    interested" to, nor one already given in the last day."""
    preference = FeedPreference.objects.filter(creator=creator).first()
    if preference is not None and preference.cards_off:
        return None
    now = clock.now()
    today = _delivered_today(creator, now)
    if len(today) >= CARDS_PER_DAY:
        return None
    cards, _version = cards_for(creator, limit=1, exclude=today, explore=False)
    if not cards or cards[0].score < CARD_THRESHOLD:
        return None
    card = cards[0]
    request_id = new_request_id()
    # Ranked outside the transaction (it would hold SQLite's write lock); the cap and the
    # card are checked again inside it, so two requests at once cannot both deliver.
    with transaction.atomic():
        again = _delivered_today(creator, now)
        if len(again) >= CARDS_PER_DAY or card.item in again:
            return None
        CardDelivery.objects.create(
            creator=creator, item=card.item, request_id=request_id, delivered_at=now
        )
        _log_served(creator, [card], request_id=request_id, entry_point="for_you_card")
    return card, request_id


def hashtag_cards(*, creator: Creator, tag: str, limit: int = 10) -> tuple[list[FeedCard], str]:
    """The creator's personalised Academy content for a hashtag, and the request id."""
    _check_limit(limit)
    cat = catalogue()
    name = tag.lstrip("#").lower()
    tagged = np.zeros(len(cat), dtype=np.bool_)
    tagged[cat.hashtag_items.get(name, np.zeros(0, np.int64))] = True
    cards, _version = cards_for(creator, limit=limit, only=tagged, explore=False)
    request_id = new_request_id()
    _log_served(creator, cards, request_id=request_id, entry_point="hashtag")
    return cards, request_id


# ---------------------------------------------------------------------------------------------
# Controls


def _check_item(item: str) -> str:
    if item not in catalogue().index:
        raise NotFound(_("There is no published item “%(item)s”.") % {"item": item})
    return item


def _check_topic(topic: str) -> str:
    if topic not in catalogue().topic_codes:
        raise NotFound(_("There is no topic “%(topic)s”.") % {"topic": topic})
    return topic


@transaction.atomic
def feed_not_interested(
    *, creator: Creator, item: str = "", topic: str = "", request_id: str = ""
) -> Suppression:
    """Never show this item (or any item of this topic) again, from the next page on."""
    if bool(item) == bool(topic):
        message = _("Name either an item or a topic.")
        raise ValidationFailed(message, errors={"item": message})
    item = _check_item(item) if item else ""
    topic = _check_topic(topic) if topic else ""
    now = clock.now()
    suppression, _created = Suppression.objects.get_or_create(
        creator=creator, item=item, topic=topic, defaults={"created_at": now}
    )
    kind, _sep, item_id = item.partition(":")
    track_event(
        server_event(
            taxonomy.NotInterested,
            creator_id=creator.external_id,
            entry_point="academy_home",
            item_kind=kind if item else "",
            item_id=item_id,
            request_id=request_id,
            properties={"topic": topic} if topic else {},
        )
    )
    return suppression


@transaction.atomic
def feed_suppression_remove(*, creator: Creator, item: str = "", topic: str = "") -> int:
    """Undo a "not interested" or a hidden topic; returns how many were removed."""
    deleted, _rows = Suppression.objects.filter(creator=creator, item=item, topic=topic).delete()
    return deleted


@transaction.atomic
def feed_reset(*, creator: Creator) -> None:
    """Start over: forget the creator's hidden items and topics, recent signals, feeds and
    cards, and make the trained model ignore their history until it learns it again."""
    now = clock.now()
    Suppression.objects.filter(creator=creator).delete()
    RecentInteraction.objects.filter(creator=creator).delete()
    FeedSession.objects.filter(creator=creator).delete()
    preference = _preference(creator)
    preference.history_reset_at = now
    preference.updated_at = now
    preference.save(update_fields=["history_reset_at", "updated_at"])


@transaction.atomic
def feed_settings_update(
    *, creator: Creator, personalised: bool | None = None, cards_off: bool | None = None
) -> tuple[bool, bool]:
    """Personalisation on or off (a non-personalised feed is the same for everyone in a
    language), and Academy cards in the host app's feed on or off."""
    if personalised is not None:
        creator = creator_set_personalisation(creator=creator, enabled=personalised)
    preference = _preference(creator)
    if cards_off is not None:
        preference.cards_off = cards_off
        preference.updated_at = clock.now()
        preference.save(update_fields=["cards_off", "updated_at"])
    return creator.personalisation_consent, preference.cards_off


# ---------------------------------------------------------------------------------------------
# Real-time signals


SIGNAL_EVENTS = {
    "click": InteractionKind.CLICK,
    "search_click": InteractionKind.CLICK,
    "lesson_complete": InteractionKind.COMPLETE,
    "not_interested": InteractionKind.NOT_INTERESTED,
}


def feed_signals_record(*, records: Sequence[Mapping[str, Any]]) -> int:
    """Remember creators' clicks, completions and "not interested" as they arrive (the next
    page reads them); returns how many were kept."""
    wanted = [
        r for r in records
        if r.get("name") in SIGNAL_EVENTS and r.get("creator_id") and r.get("item_id")
    ]  # fmt: skip
    if not wanted:
        return 0
    creators = dict(
        Creator.objects.filter(external_id__in={str(r["creator_id"]) for r in wanted}).values_list(
            "external_id", "pk"
        )
    )
    rows = []
    for record in wanted:
        creator_pk = creators.get(str(record["creator_id"]))
        if creator_pk is None:
            continue
        kind = "lesson" if record["name"] == "lesson_complete" else record.get("item_kind")
        rows.append(
            RecentInteraction(
                creator_id=creator_pk,
                item=f"{kind}:{record['item_id']}",
                kind=SIGNAL_EVENTS[str(record["name"])],
                at=clock.now(),
            )
        )
    RecentInteraction.objects.bulk_create(rows)
    return len(rows)


def feed_click_record(*, creator: Creator, item: str, request_id: str, position: int) -> None:
    """A card of the web feed was opened: a click event and a real-time signal."""
    kind, _sep, item_id = item.partition(":")
    RecentInteraction.objects.create(
        creator=creator, item=item, kind=InteractionKind.CLICK, at=clock.now()
    )
    track_event(
        server_event(
            taxonomy.Click,
            creator_id=creator.external_id,
            entry_point="academy_home",
            item_kind=kind,
            item_id=item_id,
            request_id=request_id,
            position=position,
        )
    )


def recent_interactions_prune(*, keep_days: int = 2) -> int:
    """Drop real-time signals older than the models need (training has them from the lake)."""
    deleted, _rows = RecentInteraction.objects.filter(
        at__lt=clock.now() - timedelta(days=keep_days)
    ).delete()
    return deleted
