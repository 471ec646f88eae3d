"""What the feed reads about a creator per request comes in one query and says exactly what
the plain reads — one query per table, written out here as first written — say."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from academy.accounts.models import Creator
from academy.accounts.services import creator_upsert
from academy.catalog.choices import PublishStatus
from academy.catalog.models import Course, Lesson
from academy.core import clock
from academy.learning.models import Enrollment, LessonProgress
from academy.recsys.catalogue import Catalogue, catalogue
from academy.recsys.models import FeedPreference, InteractionKind, RecentInteraction, Suppression
from academy.recsys.selectors import (
    INTERACTION_WEIGHTS,
    RECENT_LIMIT,
    RECENT_WINDOW,
    CreatorState,
    _next_lessons,
    creator_state,
)
from academy.recsys.tests.conftest import Committed
from academy.search.tests.factories import published_course

pytestmark = pytest.mark.django_db


def state_by_definition(creator: Creator, cat: Catalogue) -> CreatorState:
    """The creator's state read table by table."""
    suppressions = list(Suppression.objects.filter(creator=creator).values_list("item", "topic"))
    personalised = creator.personalisation_consent
    completed = {
        f"lesson:{pk}"
        for pk in LessonProgress.objects.filter(creator=creator, completed_at__isnull=False)
        .order_by("lesson_id")
        .values_list("lesson_id", flat=True)
    }
    recent: dict[str, float] = {}
    next_lessons: dict[str, str] = {}
    if personalised:
        since = clock.now() - RECENT_WINDOW
        signals = RecentInteraction.objects.filter(creator=creator, at__gte=since)
        for item, kind in signals.order_by("-at", "-pk").values_list("item", "kind")[:RECENT_LIMIT]:
            recent[item] = recent.get(item, 0.0) + INTERACTION_WEIGHTS[InteractionKind(kind)]
        for lesson_id in (
            LessonProgress.objects.filter(creator=creator, completed_at__gte=since)
            .order_by("lesson_id")
            .values_list("lesson_id", flat=True)
        ):
            item = f"lesson:{lesson_id}"
            recent[item] = recent.get(item, 0.0) + INTERACTION_WEIGHTS[InteractionKind.COMPLETE]
        courses = list(
            Enrollment.objects.filter(creator=creator, completed_at__isnull=True)
            .order_by("-last_activity_at", "pk")
            .values_list("course__slug", flat=True)[:6]
        )
        next_lessons = _next_lessons(creator, courses, completed, cat)
    editorial = Course.objects.filter(editorial_pick=True, status=PublishStatus.PUBLISHED)
    return CreatorState(
        personalised=personalised,
        suppressed_items=frozenset(item for item, _topic in suppressions if item),
        suppressed_topics=frozenset(topic for _item, topic in suppressions if topic),
        completed=frozenset(completed),
        recent={item: weight for item, weight in recent.items() if weight > 0},
        next_lessons=next_lessons,
        history_reset_at=FeedPreference.objects.filter(creator=creator)
        .values_list("history_reset_at", flat=True)
        .first(),
        editorial=frozenset(f"course:{slug}" for slug in editorial.values_list("slug", flat=True)),
    )


@pytest.fixture
def courses(committed: Committed) -> list[Course]:
    with committed():
        made = [
            published_course(title=f"Course {number}", lessons=[("One", "x"), ("Two", "y")])
            for number in range(8)
        ]
    Course.objects.filter(pk__in=[made[0].pk, made[3].pk]).update(editorial_pick=True)
    draft_pick = made[5]
    Course.objects.filter(pk=draft_pick.pk).update(editorial_pick=True, status=PublishStatus.DRAFT)
    return made


def busy_creator(external_id: str, courses: list[Course], **fields: Any) -> Creator:
    """A creator with something in every table the feed reads."""
    creator, _created = creator_upsert(external_id=external_id, **fields)
    now = clock.now()
    lessons = list(Lesson.objects.filter(course__in=courses).order_by("pk"))
    Suppression.objects.create(creator=creator, item=f"lesson:{lessons[3].pk}", created_at=now)
    Suppression.objects.create(creator=creator, topic="live", created_at=now)
    for number, lesson in enumerate(lessons[:5]):
        LessonProgress.objects.create(
            creator=creator, lesson=lesson, started_at=now, updated_at=now,
            completed_at=now - timedelta(hours=2 if number % 2 else 30),
        )  # fmt: skip
    kinds = [InteractionKind.CLICK, InteractionKind.COMPLETE, InteractionKind.NOT_INTERESTED]
    for number in range(RECENT_LIMIT + 15):  # more than are read; repeats; the same moments
        RecentInteraction.objects.create(
            creator=creator,
            item=f"lesson:{lessons[number % len(lessons)].pk}",
            kind=kinds[number % 3],
            at=now - timedelta(minutes=(number // 4) * 20),
        )
    for number, course in enumerate(courses[:8]):
        Enrollment.objects.create(
            creator=creator, course=course, enrolled_at=now,
            last_activity_at=now - timedelta(hours=number // 3),
            completed_at=now if number == 2 else None,
        )  # fmt: skip
    FeedPreference.objects.create(
        creator=creator, history_reset_at=now - timedelta(hours=5), updated_at=now
    )
    return creator


@pytest.mark.parametrize("personalised", [True, False])
def test_one_query_reads_what_the_table_by_table_reads_say(
    courses: list[Course], personalised: bool
) -> None:
    busy_creator("someone-else", courses)
    creator = busy_creator("c-1", courses[2:], personalisation_consent=personalised)
    cat = catalogue()
    expected = state_by_definition(creator, cat)
    with CaptureQueriesContext(connection) as queries:
        state = creator_state(creator, cat)
    assert len(queries) == 1
    assert state == expected
    assert state.editorial == {f"course:{courses[0].slug}", f"course:{courses[3].slug}"}
    assert len(state.suppressed_items) == len(state.suppressed_topics) == 1
    assert len(state.completed) == 5
    if personalised:
        assert state.recent
        assert state.next_lessons
        assert isinstance(state.history_reset_at, datetime)


def test_a_creator_with_nothing_yet(courses: list[Course]) -> None:
    busy_creator("someone-else", courses)
    creator, _created = creator_upsert(external_id="new")
    cat = catalogue()
    state = creator_state(creator, cat)
    assert state == state_by_definition(creator, cat)
    assert not state.recent
    assert not state.completed
    assert not state.next_lessons
    assert state.history_reset_at is None
