from __future__ import annotations

import json

import pytest
from django.apps import apps

from academy.accounts.models import Creator, User
from academy.accounts.tests.factories import make_creator_user
from academy.catalog.models import Course
from academy.catalog.tests.factories import make_published_course
from academy.learning.services import lesson_complete, quiz_submit, weekly_goal_set
from academy.privacy.registry import stores
from academy.privacy.services import creator_erase, creator_export

pytestmark = pytest.mark.django_db


def creator_rows(creator: Creator) -> dict[str, int]:
    """Rows of every model with a foreign key to Creator that still point at this creator."""
    counts = {}
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if getattr(field, "related_model", None) is Creator and field.many_to_one:
                counts[model.__name__] = model.objects.filter(**{field.name: creator.pk}).count()  # type: ignore[attr-defined]
    return counts


def learner_with_history() -> tuple[Creator, Course]:
    creator = make_creator_user(display_name="Rui").creator
    course = make_published_course()
    for lesson in course.lessons.exclude(kind="quiz"):
        lesson_complete(creator=creator, lesson=lesson)
    quiz = course.lessons.get(kind="quiz")
    quiz_submit(creator=creator, lesson=quiz, answers={1: [0], 2: [0, 2]})
    weekly_goal_set(creator=creator, lessons_per_week=4)
    return creator, course


def test_every_app_holding_creator_rows_registers_a_store() -> None:
    names = {store.name for store in stores()}
    assert {"accounts", "learning"} <= names


def test_export_holds_every_store_and_is_json() -> None:
    creator, course = learner_with_history()
    export = json.loads(json.dumps(creator_export(creator=creator), default=str))
    learning = export["stores"]["learning"]
    assert export["stores"]["accounts"]["account"]["display_name"] == "Rui"
    assert len(learning["lesson_progress"]) == 3
    assert learning["badges"][0]["course__slug"] == course.slug
    assert learning["certificates"][0]["holder_name"] == "Rui"
    assert learning["weekly_goal"] == 4


def test_erasure_leaves_no_row_of_the_creator() -> None:
    creator, _course = learner_with_history()
    other = make_creator_user().creator
    user_id = creator.user_id
    assert user_id is not None
    before = creator_rows(creator)
    assert sum(before.values()) > 0
    receipt = creator_erase(creator=creator)
    assert sum(creator_rows(creator).values()) == 0
    assert not User.objects.filter(pk=user_id).exists()
    assert receipt.removed["learning"] >= 7
    assert creator.external_id not in json.dumps(receipt.removed)
    assert Creator.objects.filter(pk=other.pk).exists()
