from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from academy.accounts.choices import Role
from academy.accounts.services import creator_upsert
from academy.accounts.tests.factories import make_creator_user, make_staff_user
from academy.catalog.models import Course, Lesson
from academy.catalog.tests.factories import make_published_course
from academy.learning.models import BadgeAward, LessonProgress, QuizAttempt

pytestmark = pytest.mark.django_db


@pytest.fixture
def course() -> Course:
    return make_published_course()


def lesson(course: Course, kind: str) -> Lesson:
    return course.lessons.get(kind=kind)


@pytest.fixture
def learner_client(client: Client) -> Client:
    client.force_login(make_creator_user())
    return client


def post(client: Client, url: str, body: object | None = None) -> Any:
    return client.post(url, body or {}, content_type="application/json")


class TestAsSignedInCreator:
    def test_progress_then_completion(self, learner_client: Client, course: Course) -> None:
        video = lesson(course, "video")
        response = post(
            learner_client, f"/api/v1/lessons/{video.pk}/progress", {"position_seconds": 60}
        )
        assert response.json() == {
            "lesson_id": video.pk, "watch_percent": 50, "position_seconds": 60, "completed": False,
            "course_completed": False,
        }  # fmt: skip
        response = post(
            learner_client, f"/api/v1/lessons/{video.pk}/progress", {"position_seconds": 115}
        )
        assert response.json()["completed"] is True

    def test_progress_needs_exactly_one_measure(
        self, learner_client: Client, course: Course
    ) -> None:
        video = lesson(course, "video")
        for body in ({}, {"position_seconds": 3, "percent": 4}):
            response = post(learner_client, f"/api/v1/lessons/{video.pk}/progress", body)
            assert response.status_code == 400
        assert (
            post(
                learner_client, f"/api/v1/lessons/{video.pk}/progress", {"percent": 101}
            ).status_code
            == 400
        )
        assert not LessonProgress.objects.exists()

    def test_quiz_feedback_explains_every_question(
        self, learner_client: Client, course: Course
    ) -> None:
        quiz = lesson(course, "quiz")
        body = post(
            learner_client,
            f"/api/v1/lessons/{quiz.pk}/quiz-attempts",
            {"answers": {"1": [0], "2": [0, 2]}},
        ).json()
        assert (body["score"], body["passed"], body["lesson_completed"]) == (1.0, True, True)
        assert [item["explanation"] for item in body["feedback"]] == ["Payoff first.", "Both."]

    def test_answers_for_another_quiz_are_400(self, learner_client: Client, course: Course) -> None:
        quiz = lesson(course, "quiz")
        response = post(
            learner_client, f"/api/v1/lessons/{quiz.pk}/quiz-attempts", {"answers": {"9": [0]}}
        )
        assert response.status_code == 400
        assert not QuizAttempt.objects.exists()

    def test_unknown_lesson_is_404(self, learner_client: Client) -> None:
        assert post(learner_client, "/api/v1/lessons/999999/completion").status_code == 404

    def test_completing_the_course_shows_in_the_summary(
        self, learner_client: Client, course: Course
    ) -> None:
        post(learner_client, f"/api/v1/courses/{course.slug}/enrollment")
        post(learner_client, f"/api/v1/lessons/{lesson(course, 'video').pk}/completion")
        post(learner_client, f"/api/v1/lessons/{lesson(course, 'article').pk}/completion")
        result = post(
            learner_client,
            f"/api/v1/lessons/{lesson(course, 'quiz').pk}/quiz-attempts",
            {"answers": {"1": [0], "2": [0, 2]}},
        ).json()
        assert result["course_completed"] is True
        summary = learner_client.get("/api/v1/me/learning").json()
        assert [badge["course_slug"] for badge in summary["badges"]] == [course.slug]
        assert summary["certificates"][0]["url"].endswith(
            f"/certificates/{summary['certificates'][0]['code']}/"
        )
        assert summary["continue_learning"] == []

    def test_staff_without_a_creator_profile_is_403(self, client: Client, course: Course) -> None:
        client.force_login(make_staff_user(role=Role.EDITOR))
        assert post(client, f"/api/v1/courses/{course.slug}/enrollment").status_code == 403


class TestAsHostApp:
    def test_host_app_records_for_a_named_creator(
        self, api_key_client: Callable[..., Client], course: Course
    ) -> None:
        creator, _created = creator_upsert(external_id="host-7")
        host = api_key_client("learning:write")
        response = post(
            host, f"/api/v1/lessons/{lesson(course, 'article').pk}/completion?creator=host-7"
        )
        assert response.status_code == 200
        assert LessonProgress.objects.get(creator=creator).completed_at is not None
        assert (
            post(host, f"/api/v1/lessons/{lesson(course, 'video').pk}/completion").status_code
            == 400
        )
        assert (
            post(
                host, f"/api/v1/lessons/{lesson(course, 'video').pk}/completion?creator=ghost"
            ).status_code
            == 404
        )

    def test_key_without_learning_scope_is_403(
        self, api_key_client: Callable[..., Client], course: Course
    ) -> None:
        creator_upsert(external_id="host-7")
        response = post(
            api_key_client("feed:read"),
            f"/api/v1/lessons/{lesson(course, 'video').pk}/completion?creator=host-7",
        )
        assert response.status_code == 403
        assert not BadgeAward.objects.exists()
