from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from academy.accounts.models import Creator
from academy.accounts.tests.factories import make_creator_user
from academy.catalog.choices import PublishStatus
from academy.catalog.models import Course
from academy.catalog.services import content_archive
from academy.catalog.tests.factories import make_published_course
from academy.core.errors import NotFound, ValidationFailed
from academy.core.tests.helpers import lessons_of
from academy.events.capture import read_segment
from academy.learning.models import BadgeAward, Certificate, Enrollment, QuizAttempt
from academy.learning.selectors import continue_learning, course_progress, streak_for
from academy.learning.services import (
    lesson_complete,
    lesson_progress_record,
    lesson_start,
    quiz_submit,
    weekly_goal_set,
)

pytestmark = pytest.mark.django_db
MONDAY = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)


@pytest.fixture
def creator() -> Creator:
    return make_creator_user().creator


class TestProgress:
    def test_watching_past_90_percent_completes_a_video(self, creator: Creator) -> None:
        video = lessons_of(make_published_course())["video"]  # 120 s long
        result = lesson_progress_record(creator=creator, lesson=video, position_seconds=60)
        assert (result.progress.watch_percent, result.lesson_completed) == (50, False)
        # Seeking back to the start never lowers the furthest point watched.
        result = lesson_progress_record(creator=creator, lesson=video, position_seconds=5)
        assert (result.progress.position_seconds, result.progress.watch_percent) == (5, 50)
        result = lesson_progress_record(creator=creator, lesson=video, position_seconds=110)
        assert result.lesson_completed
        assert result.progress.watch_percent == 92
        assert Enrollment.objects.filter(creator=creator).count() == 1

    def test_positions_past_the_end_are_clamped(self, creator: Creator) -> None:
        video = lessons_of(make_published_course())["video"]
        result = lesson_progress_record(creator=creator, lesson=video, position_seconds=10_000)
        assert result.progress.furthest_seconds == 120

    def test_bad_progress_is_refused(self, creator: Creator) -> None:
        lessons = lessons_of(make_published_course())
        with pytest.raises(ValidationFailed):
            lesson_progress_record(creator=creator, lesson=lessons["video"], position_seconds=-1)
        with pytest.raises(ValidationFailed):
            lesson_progress_record(creator=creator, lesson=lessons["article"], percent=101)
        with pytest.raises(ValidationFailed, match="Pass the quiz"):
            lesson_complete(creator=creator, lesson=lessons["quiz"])

    def test_unpublished_or_retired_lessons_cannot_be_taken(self, creator: Creator) -> None:
        course = make_published_course()
        lesson = lessons_of(course)["article"]
        content_archive(item=lesson)
        with pytest.raises(NotFound):
            lesson_start(creator=creator, lesson=lesson)


class TestQuiz:
    def test_scores_with_feedback_and_passing_completes(self, creator: Creator) -> None:
        quiz = lessons_of(make_published_course())["quiz"]  # pass mark 0.5, 2 questions
        failed = quiz_submit(creator=creator, lesson=quiz, answers={1: [1], 2: [0]})
        assert (failed.attempt.score, failed.attempt.passed) == (0.0, False)
        assert [item.correct for item in failed.feedback] == [[0], [0, 2]]
        assert not failed.lesson_completed
        # Half right meets the pass mark; the multi-answer question needs every right choice.
        passed = quiz_submit(creator=creator, lesson=quiz, answers={1: [0], 2: [0]})
        assert (passed.attempt.correct_count, passed.attempt.passed) == (1, True)
        assert passed.lesson_completed
        assert QuizAttempt.objects.filter(creator=creator).count() == 2

    def test_answers_for_another_quiz_are_refused(self, creator: Creator) -> None:
        quiz = lessons_of(make_published_course())["quiz"]
        with pytest.raises(ValidationFailed, match="not part of this quiz"):
            quiz_submit(creator=creator, lesson=quiz, answers={7: [0]})
        with pytest.raises(ValidationFailed, match="no such choice"):
            quiz_submit(creator=creator, lesson=quiz, answers={1: [5]})
        assert not QuizAttempt.objects.exists()


class TestCourseCompletion:
    def complete_all(self, creator: Creator, course: Course) -> list[bool]:
        lessons = lessons_of(course)
        return [
            lesson_complete(creator=creator, lesson=lessons["video"]).course_completed,
            lesson_complete(creator=creator, lesson=lessons["article"]).course_completed,
            quiz_submit(
                creator=creator, lesson=lessons["quiz"], answers={1: [0], 2: [0, 2]}
            ).course_completed,
        ]

    def test_badge_and_certificate_exactly_once(self, creator: Creator) -> None:
        course = make_published_course()
        assert self.complete_all(creator, course) == [False, False, True]
        # Doing it all again awards nothing more.
        assert self.complete_all(creator, course) == [False, False, False]
        quiz_submit(creator=creator, lesson=lessons_of(course)["quiz"], answers={1: [0], 2: [0, 2]})
        assert BadgeAward.objects.filter(creator=creator, course=course).count() == 1
        certificate = Certificate.objects.get(creator=creator, course=course)
        assert certificate.holder_name == "Test Creator"
        assert len(certificate.code) == 20
        assert course_progress(creator=creator, course=course).percent == 100

    def test_continue_learning_points_at_the_next_unfinished_lesson(self, creator: Creator) -> None:
        first = make_published_course(title="First")
        second = make_published_course(title="Second", kinds=("article", "video"))
        lesson_complete(creator=creator, lesson=lessons_of(first)["video"], now=MONDAY)
        lesson_start(
            creator=creator, lesson=lessons_of(second)["article"], now=MONDAY + timedelta(hours=1)
        )
        items = continue_learning(creator=creator, language="en")
        assert [
            (item.course_title, item.lesson.kind, item.completed, item.total) for item in items
        ] == [
            ("Second", "article", 0, 2),
            ("First", "article", 1, 3),
        ]
        self_complete = lessons_of(second)
        lesson_complete(creator=creator, lesson=self_complete["article"])
        lesson_complete(creator=creator, lesson=self_complete["video"])
        assert [
            item.course_title for item in continue_learning(creator=creator, language="en")
        ] == ["First"]


class TestStreaks:
    def complete_on(self, creator: Creator, when: datetime, count: int) -> None:
        course = make_published_course(kinds=("article",) * count)
        for lesson in course.lessons.filter(status=PublishStatus.PUBLISHED):
            lesson_complete(creator=creator, lesson=lesson, now=when)

    def test_weeks_in_a_row_with_the_goal_met(self, creator: Creator) -> None:
        weekly_goal_set(creator=creator, lessons_per_week=2)
        self.complete_on(creator, MONDAY - timedelta(weeks=2), 2)
        self.complete_on(creator, MONDAY - timedelta(weeks=1), 3)
        streak = streak_for(creator=creator, now=MONDAY)
        # This week has not met its goal yet: it neither adds nor breaks the streak.
        assert (streak.weeks, streak.done_this_week, streak.goal_met_this_week) == (2, 0, False)
        self.complete_on(creator, MONDAY, 2)
        assert streak_for(creator=creator, now=MONDAY).weeks == 3

    def test_a_missed_week_breaks_the_streak(self, creator: Creator) -> None:
        weekly_goal_set(creator=creator, lessons_per_week=1)
        self.complete_on(creator, MONDAY - timedelta(weeks=3), 1)
        self.complete_on(creator, MONDAY - timedelta(weeks=1), 1)
        assert streak_for(creator=creator, now=MONDAY).weeks == 1

    def test_weeks_are_cut_in_the_creators_time_zone(self, creator: Creator) -> None:
        weekly_goal_set(creator=creator, lessons_per_week=1)
        # Sunday 23:30 in São Paulo is already Monday 02:30 in UTC.
        sunday_night_sao_paulo = datetime(2026, 11, 16, 2, 30, tzinfo=UTC)
        self.complete_on(creator, sunday_night_sao_paulo, 1)
        now = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
        assert streak_for(creator=creator, now=now).done_this_week == 1  # UTC: this week
        creator.timezone = "America/Sao_Paulo"
        creator.save(update_fields=["timezone"])
        streak = streak_for(creator=creator, now=now)
        assert (streak.done_this_week, streak.weeks) == (0, 1)  # last week, which met its goal

    def test_goal_bounds(self, creator: Creator) -> None:
        with pytest.raises(ValidationFailed):
            weekly_goal_set(creator=creator, lessons_per_week=0)


class TestServerSideEvents:
    def test_learning_is_tracked_once_the_transaction_commits(
        self,
        creator: Creator,
        events_dir: Path,
        django_capture_on_commit_callbacks: Callable[..., Any],
    ) -> None:
        course = make_published_course()
        lessons = lessons_of(course)
        with django_capture_on_commit_callbacks(execute=True):
            lesson_complete(creator=creator, lesson=lessons["video"])
            lesson_complete(creator=creator, lesson=lessons["article"])
            quiz_submit(creator=creator, lesson=lessons["quiz"], answers={1: [0], 2: [0, 2]})
        records = [
            record
            for path in sorted((events_dir / "capture").iterdir())
            for record in read_segment(path)
        ]
        names = [record["name"] for record in records]
        assert names.count("enroll") == 1
        assert names.count("lesson_start") == 3
        assert names.count("lesson_complete") == 3
        assert names.count("badge_earned") == 1
        quiz = next(record for record in records if record["name"] == "quiz_submit")
        assert quiz["properties"] == {"score": 1.0, "passed": True}
        assert {record["creator_id"] for record in records} == {creator.external_id}

    def test_nothing_is_tracked_when_the_transaction_rolls_back(
        self, creator: Creator, events_dir: Path
    ) -> None:
        video = lessons_of(make_published_course())["video"]

        def complete_then_fail() -> None:
            with transaction.atomic():
                lesson_complete(creator=creator, lesson=video)
                raise RuntimeError

        with pytest.raises(RuntimeError):
            complete_then_fail()
        assert not (events_dir / "capture").exists()
