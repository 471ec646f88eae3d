"""The creator's learning pages: enrol, mark done, quizzes, achievements, certificates, home."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from academy.accounts.choices import Role
from academy.accounts.models import User
from academy.accounts.tests.factories import make_creator_user, make_staff_user
from academy.catalog.models import Lesson
from academy.catalog.services import content_archive
from academy.catalog.tests.factories import make_published_course
from academy.core.tests.helpers import SetTime, lessons_of, signed_in
from academy.core.tests.helpers import visible_text as text_of
from academy.learning.models import Certificate, Enrollment, LessonProgress, QuizAttempt, WeeklyGoal
from academy.learning.services import enrollment_ensure, lesson_complete, lesson_start

pytestmark = pytest.mark.django_db

CLOCK_START = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)
WRONG = {"q1": "1", "q2": ["0"]}
RIGHT = {"q1": "0", "q2": ["0", "2"]}


@pytest.fixture
def creator_user() -> User:
    return make_creator_user(display_name="Maya Rivera")


def url(lesson: Lesson, action: str = "") -> str:
    return f"/learn/{lesson.course.slug}/{lesson.slug}/{action + '/' if action else ''}"


class TestEnrol:
    def test_enrolling_records_it_and_returns_to_the_course(self, creator_user: User) -> None:
        course = make_published_course()
        client = signed_in(creator_user)
        response = client.post(f"/learn/{course.slug}/enrol/", follow=True)
        assert response.redirect_chain == [(f"/learn/{course.slug}/", 302)]
        page = text_of(response.content.decode())
        assert "You are enrolled in “Hooks that hold”" in page
        assert "0 of 3 lessons done" in page
        assert "Start the course: A video lesson" in page
        assert Enrollment.objects.filter(creator=creator_user.creator, course=course).count() == 1
        client.post(f"/learn/{course.slug}/enrol/")  # twice is still once
        assert Enrollment.objects.filter(creator=creator_user.creator).count() == 1

    def test_only_a_signed_in_creator_enrols_and_only_by_post(self, creator_user: User) -> None:
        course = make_published_course()
        response = Client().post(f"/learn/{course.slug}/enrol/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
        assert f"next=/learn/{course.slug}/" in response["Location"]
        staff = signed_in(make_staff_user(role=Role.EDITOR))
        assert staff.post(f"/learn/{course.slug}/enrol/").status_code == 403
        assert signed_in(creator_user).get(f"/learn/{course.slug}/enrol/").status_code == 405
        assert not Enrollment.objects.exists()

    def test_retired_course_cannot_be_joined(self, creator_user: User) -> None:
        course = make_published_course()
        content_archive(item=course)
        response = signed_in(creator_user).post(f"/learn/{course.slug}/enrol/")
        assert response.status_code == 410
        assert not Enrollment.objects.exists()


class TestMarkDone:
    def test_marking_done_completes_the_lesson(self, creator_user: User) -> None:
        article = lessons_of(make_published_course())["article"]
        client = signed_in(creator_user)
        response = client.post(url(article, "done"), follow=True)
        assert response.redirect_chain == [(url(article), 302)]
        html = response.content.decode()
        assert "Lesson marked as done." in html
        assert "✓ Done" in text_of(html)
        assert "Mark as done" not in html
        progress = LessonProgress.objects.get(creator=creator_user.creator, lesson=article)
        assert progress.completed_at is not None

    def test_finishing_the_last_lesson_awards_the_badge(self, creator_user: User) -> None:
        course = make_published_course(kinds=("video", "article"))
        lessons = lessons_of(course)
        client = signed_in(creator_user)
        client.post(url(lessons["video"], "done"))
        response = client.post(url(lessons["article"], "done"), follow=True)
        assert response.redirect_chain[-1] == (f"/learn/{course.slug}/", 302)
        html = response.content.decode()
        assert "You completed “Hooks that hold” and earned its badge!" in html
        code = Certificate.objects.get(creator=creator_user.creator).code
        assert f"/certificates/{code}/" in html

    def test_a_quiz_is_not_marked_done_by_hand(self, creator_user: User) -> None:
        quiz = lessons_of(make_published_course())["quiz"]
        response = signed_in(creator_user).post(url(quiz, "done"), follow=True)
        assert "Pass the quiz to complete it." in response.content.decode()
        assert not LessonProgress.objects.filter(completed_at__isnull=False).exists()


class TestQuiz:
    def test_wrong_answers_show_what_was_right_and_why(self, creator_user: User) -> None:
        quiz = lessons_of(make_published_course())["quiz"]
        response = signed_in(creator_user).post(url(quiz, "quiz"), WRONG)
        assert response.status_code == 200
        page = text_of(response.content.decode())
        assert "Not passed yet" in page
        assert "You got 0 of 2 right (0%)" in page
        assert "You need 50% to pass." in page
        assert "Correct answer: The payoff" in page
        assert "Correct answers: Question, Bold claim" in page
        assert "Payoff first." in page
        assert "Both." in page
        assert "(your answer)" in page
        assert "<html" in response.content.decode()  # without htmx: the whole lesson page
        attempt = QuizAttempt.objects.get()
        assert (attempt.passed, attempt.correct_count) == (False, 0)
        assert not LessonProgress.objects.filter(completed_at__isnull=False).exists()

    def test_passing_with_htmx_returns_the_quiz_part_and_completes_it(
        self, creator_user: User
    ) -> None:
        quiz = lessons_of(make_published_course())["quiz"]
        client = signed_in(creator_user)
        response = client.post(url(quiz, "quiz"), RIGHT, headers={"HX-Request": "true"})
        assert response.status_code == 200
        html = response.content.decode()
        assert "<html" not in html
        assert html.lstrip().startswith('<section id="quiz"')
        assert "Passed" in html
        assert "You got 2 of 2 right (100%)" in text_of(html)
        assert "Next lesson" not in html  # the quiz is the course's last lesson
        progress = LessonProgress.objects.get(creator=creator_user.creator, lesson=quiz)
        assert progress.completed_at is not None

    def test_passing_the_last_lesson_shows_the_badge_and_certificate(
        self, creator_user: User
    ) -> None:
        course = make_published_course(kinds=("article", "quiz"))
        lessons = lessons_of(course)
        client = signed_in(creator_user)
        client.post(url(lessons["article"], "done"))
        html = client.post(url(lessons["quiz"], "quiz"), RIGHT).content.decode()
        assert "You earned the “Hooks that hold” badge!" in html
        code = Certificate.objects.get(creator=creator_user.creator).code
        assert f'href="/certificates/{code}/"' in html

    def test_unanswered_questions_are_a_400_with_errors_and_no_attempt(
        self, creator_user: User
    ) -> None:
        quiz = lessons_of(make_published_course())["quiz"]
        response = signed_in(creator_user).post(
            url(quiz, "quiz"), {"q1": "0"}, headers={"HX-Request": "true"}
        )
        assert response.status_code == 400
        html = response.content.decode()
        assert 'role="alert"' in html
        assert "Choose at least one answer." in html
        assert 'aria-invalid="true"' in html
        assert "checked" in html  # the answer given is kept
        assert not QuizAttempt.objects.exists()

    def test_a_choice_that_does_not_exist_is_refused(self, creator_user: User) -> None:
        quiz = lessons_of(make_published_course())["quiz"]
        response = signed_in(creator_user).post(url(quiz, "quiz"), {"q1": "7", "q2": ["0"]})
        assert response.status_code == 400
        assert not QuizAttempt.objects.exists()

    def test_visitors_are_sent_to_sign_in_and_other_lessons_have_no_quiz(
        self, creator_user: User
    ) -> None:
        lessons = lessons_of(make_published_course())
        response = Client().post(url(lessons["quiz"], "quiz"), RIGHT)
        assert response["Location"].startswith("/accounts/login/")
        not_a_quiz = signed_in(creator_user).post(url(lessons["article"], "quiz"), RIGHT)
        assert not_a_quiz.status_code == 404
        assert not QuizAttempt.objects.exists()


class TestAchievements:
    def test_lists_streak_badges_and_certificates(
        self, creator_user: User, frozen_clock: SetTime
    ) -> None:
        course = make_published_course(kinds=("article",))
        lesson_complete(creator=creator_user.creator, lesson=course.lessons.get())
        certificate = Certificate.objects.get()
        response = signed_in(creator_user).get("/me/learning/")
        assert response.status_code == 200
        page = text_of(response.content.decode())
        assert "This week: 1 of 3 lessons" in page
        assert "0 weeks in a row" in page
        assert "Hooks that hold" in page
        assert "Earned on Nov. 16, 2026" in page
        assert f'href="/certificates/{certificate.code}/"' in response.content.decode()

    def test_changing_the_weekly_goal(self, creator_user: User) -> None:
        client = signed_in(creator_user)
        response = client.post("/me/learning/", {"lessons_per_week": "5"}, follow=True)
        assert response.redirect_chain == [("/me/learning/", 302)]
        assert "Your weekly goal is now 5 lessons." in response.content.decode()
        assert WeeklyGoal.objects.get(creator=creator_user.creator).lessons_per_week == 5

        response = client.post("/me/learning/", {"lessons_per_week": "0"})
        assert response.status_code == 400
        assert 'aria-invalid="true"' in response.content.decode()
        assert WeeklyGoal.objects.get().lessons_per_week == 5

    def test_for_creators_only(self) -> None:
        assert Client().get("/me/learning/")["Location"].startswith("/accounts/login/")
        staff = signed_in(make_staff_user(role=Role.ANALYST))
        assert staff.get("/me/learning/").status_code == 403

    def test_query_count_does_not_grow_with_badges(
        self, creator_user: User, django_assert_num_queries: DjangoAssertNumQueries
    ) -> None:
        client = signed_in(creator_user)
        lesson_complete(
            creator=creator_user.creator,
            lesson=make_published_course(kinds=("article",)).lessons.get(),
        )
        with django_assert_num_queries(11):
            client.get("/me/learning/")
        for _ in range(3):
            lesson_complete(
                creator=creator_user.creator,
                lesson=make_published_course(kinds=("article",)).lessons.get(),
            )
        with django_assert_num_queries(11):
            client.get("/me/learning/")


class TestCertificate:
    def test_anyone_can_verify_it_and_learns_nothing_else(self, creator_user: User) -> None:
        course = make_published_course(kinds=("article",))
        lesson_complete(creator=creator_user.creator, lesson=course.lessons.get())
        certificate = Certificate.objects.get()
        response = Client().get(f"/certificates/{certificate.code}/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "Maya Rivera" in html
        assert "Hooks that hold" in html
        assert "This certificate is genuine" in html
        assert certificate.code in html
        assert creator_user.email not in html
        assert creator_user.creator.external_id not in html
        assert 'name="robots" content="noindex"' in html

    def test_unknown_code_is_a_clear_404(self, client: Client) -> None:
        response = client.get("/certificates/0123456789abcdef0123/")
        assert response.status_code == 404
        assert "No certificate has this code" in response.content.decode()


class TestHome:
    def test_continue_learning_new_popular_and_streak(self, creator_user: User) -> None:
        started = make_published_course(title="Hooks that hold")
        make_published_course(title="Editing for retention")
        lessons = lessons_of(started)
        lesson_complete(creator=creator_user.creator, lesson=lessons["video"])
        lesson_start(creator=creator_user.creator, lesson=lessons["article"])
        response = signed_in(creator_user).get("/home/")
        html = response.content.decode()
        page = text_of(html)
        assert "Hi, Maya Rivera!" in page
        continuing = page.split("Continue learning")[1].split("Your streak")[0]
        assert "A article lesson" in continuing
        assert "1 of 3 lessons done" in continuing
        new = page.split("New this week")[1]
        assert "Editing for retention" in new
        assert "Hooks that hold" not in new  # already taken: not suggested again
        assert "This week: 1 of 3 lessons" in page
        assert "What you told us" in page
        for link in ('href="/learn/"', 'href="/wiki/"', 'href="/me/learning/"'):
            assert link in html

    def test_newest_courses_when_nothing_is_new_this_week(
        self, creator_user: User, frozen_clock: SetTime
    ) -> None:
        make_published_course(title="An older course")
        frozen_clock(datetime(2026, 12, 20, tzinfo=UTC))
        page = text_of(signed_in(creator_user).get("/home/").content.decode())
        assert "New this week" not in page
        assert "Newest courses" in page
        assert "An older course" in page
        assert "You have not started a course yet" in page

    def test_popular_follows_learners_of_the_creators_language(
        self, creator_user: User, frozen_clock: SetTime
    ) -> None:
        quiet = make_published_course(title="Quiet course")
        loved = make_published_course(title="Loved course")
        for _ in range(2):
            enrollment_ensure(creator=make_creator_user(language="en").creator, course=loved)
        enrollment_ensure(creator=make_creator_user(language="es").creator, course=quiet)
        frozen_clock(datetime(2026, 12, 20, tzinfo=UTC))
        make_published_course(title="Fresh course")
        page = text_of(signed_in(creator_user).get("/home/").content.decode())
        new, popular = page.split("New this week")[1].split("Popular in your language")
        assert "Fresh course" in new
        assert "Fresh course" not in popular  # shown once, as new
        assert popular.index("Loved course") < popular.index("Quiet course")

    def test_staff_without_a_creator_profile_get_their_areas(self) -> None:
        html = signed_in(make_staff_user(role=Role.EDITOR)).get("/home/").content.decode()
        assert "Your account has no creator profile" in html
        assert 'href="/studio/"' in html
        assert "Continue learning" not in html
