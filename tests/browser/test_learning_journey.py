"""The learning journey on a phone: sign up, find a course, read, fail then pass a quiz, earn the
badge, and let anyone check the certificate.

The course comes from a tiny content pack written for this test and loaded into the running
server's database with `academy content load`, exactly as an editor would import one.
"""

from __future__ import annotations

import re
import textwrap
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Locator, expect

from tests.browser.conftest import EXPECT_TIMEOUT_MS, ContextFactory, LiveServer, Screenshots
from tests.browser.pages import assert_no_horizontal_overflow, main_of

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

expect.set_options(timeout=EXPECT_TIMEOUT_MS)

PASSWORD = "Hook-Writer-5150!"
COURSE_SLUG = "journey-hooks-in-five-minutes"
COURSE_TITLE = "Hooks in five minutes"
ARTICLE_TITLE = "Why the first second matters"

PACK = {
    f"courses/{COURSE_SLUG}/course.yaml": f"""
        title: {COURSE_TITLE}
        summary: >-
          Write an opening that keeps viewers watching past the first second.
        topic: creation-essentials
        level: beginner
        language: en
        hashtags: [hook, retention]
        """,
    f"courses/{COURSE_SLUG}/01-why-the-first-second-matters.md": f"""
        ---
        kind: article
        title: {ARTICLE_TITLE}
        summary: Viewers decide in a moment whether to stay.
        hashtags: [hook]
        reading_minutes: 2
        ---
        Most people decide whether to keep watching **before the first second is over**.

        ## Say the payoff first

        Open with the result, the question or the surprise. Greetings and backstory can wait.
        """,
    f"courses/{COURSE_SLUG}/02-check-your-hooks.md": """
        ---
        kind: quiz
        title: Check your hooks
        summary: Two quick questions.
        hashtags: [hook]
        pass_mark: 1
        questions:
          - prompt: Which opening keeps viewers watching?
            choices:
              - Hey everyone, welcome back!
              - Why does supermarket basil die in a week?
            answer: 1
            explanation: A specific question opens a gap that only the video closes.
          - prompt: What makes on-screen hook text work?
            choices:
              - Three to seven words
              - Tiny grey letters
              - Visible from the first frame
            answers: [0, 2]
            explanation: Short text that is there from the first frame works with the sound off.
        ---
        Two questions to check the lesson stuck.
        """,
}


def write_pack(root: Path) -> Path:
    for name, text in PACK.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root


def choice(main: Locator, text: str) -> Locator:
    """A quiz choice by its text; once scored, its label also says "(your answer)" and so on."""
    return main.get_by_label(re.compile(rf"^\s*{re.escape(text)}"))


def test_creator_learns_passes_a_quiz_and_shares_the_certificate(
    academy_server: LiveServer,
    new_context: ContextFactory,
    screenshot: Screenshots,
    tmp_path: Path,
) -> None:
    academy_server.academy("content", "load", str(write_pack(tmp_path / "pack")))
    name = f"Noa {uuid.uuid4().hex[:4].upper()}"
    page = new_context("mobile").new_page()

    # Sign up in English and answer the three onboarding questions.
    page.goto(academy_server.url("/accounts/signup/"))
    main = main_of(page)
    main.get_by_label("Your name").fill(name)
    main.get_by_label("E-mail address").fill(f"noa-{uuid.uuid4().hex[:8]}@example.com")
    main.get_by_label("Password").fill(PASSWORD)
    main.get_by_label("Birth year").select_option(str(datetime.now(UTC).year - 22))
    main.get_by_label("Language").select_option("en")
    main.get_by_label("Region").select_option("US")
    main.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(academy_server.url("/accounts/onboarding/"))
    main.get_by_label("Grow my audience", exact=True).check()
    main.get_by_label("Food and cooking", exact=True).check()
    main.get_by_label("Beginner", exact=True).check()
    main.get_by_role("button", name="Show me my Academy").click()

    expect(page).to_have_url(academy_server.url("/home/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hi, {name}!")
    expect(main.get_by_role("heading", name="Continue learning")).to_be_visible()
    expect(main.get_by_text("You have not started a course yet.")).to_be_visible()
    screenshot(page, "01-home")
    assert_no_horizontal_overflow(page)

    # Find the course in the catalogue.
    main.get_by_role("link", name="All courses").click()
    expect(page).to_have_url(academy_server.url("/learn/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Courses")
    screenshot(page, "02-courses")
    assert_no_horizontal_overflow(page)
    main.get_by_role("link", name=COURSE_TITLE, exact=True).click()

    expect(page).to_have_url(academy_server.url(f"/learn/{COURSE_SLUG}/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(COURSE_TITLE)
    expect(main.get_by_text("#retention")).to_be_visible()
    screenshot(page, "03-course")
    assert_no_horizontal_overflow(page)

    # Enrol, then start with the article.
    main.get_by_role("button", name="Enrol — it's free").click()
    expect(page).to_have_url(academy_server.url(f"/learn/{COURSE_SLUG}/"))
    expect(page.get_by_role("status")).to_contain_text(f"You are enrolled in “{COURSE_TITLE}”")
    expect(main.get_by_text("0 of 2 lessons done")).to_be_visible()
    expect(main.get_by_text("Not started")).to_have_count(2)
    screenshot(page, "04-enrolled")
    main.get_by_role("button", name=f"Start the course: {ARTICLE_TITLE}").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(ARTICLE_TITLE)
    expect(main.get_by_role("heading", name="Say the payoff first")).to_be_visible()
    screenshot(page, "05-article")
    assert_no_horizontal_overflow(page)
    main.get_by_role("button", name="Mark as done").click()
    expect(page.get_by_role("status").filter(has_text="Lesson marked as done.")).to_be_visible()
    expect(main.locator("[data-lesson-status]")).to_contain_text("Done")
    expect(main.get_by_role("button", name="Mark as done")).to_have_count(0)
    screenshot(page, "06-article-done")
    page.get_by_role("navigation", name="Lessons in this course").get_by_role(
        "link", name="Next lesson"
    ).click()

    # The quiz: wrong first, with the explanations; then right.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your hooks")
    screenshot(page, "07-quiz")
    choice(main, "Hey everyone, welcome back!").check()
    choice(main, "Tiny grey letters").check()
    main.get_by_role("button", name="Check my answers").click()
    result = main.locator("#quiz-result")
    expect(result).to_contain_text("Not passed yet")
    expect(result).to_contain_text("You got 0 of 2 right (0%)")
    expect(result).to_be_focused()
    expect(main.get_by_text("A specific question opens a gap")).to_be_visible()
    expect(
        main.get_by_text("Correct answers: Three to seven words, Visible from the first frame")
    ).to_be_visible()
    # htmx swapped the answer in: the address is still the lesson's.
    expect(page).to_have_url(academy_server.url(f"/learn/{COURSE_SLUG}/check-your-hooks/"))
    screenshot(page, "08-quiz-not-passed")
    assert_no_horizontal_overflow(page)

    choice(main, "Why does supermarket basil die in a week?").check()
    choice(main, "Tiny grey letters").uncheck()
    choice(main, "Three to seven words").check()
    choice(main, "Visible from the first frame").check()
    main.get_by_role("button", name="Check my answers again").click()
    expect(result).to_contain_text("Passed")
    expect(result).to_contain_text("You got 2 of 2 right (100%)")
    expect(result).to_contain_text(f"You earned the “{COURSE_TITLE}” badge!")
    certificate_link = result.get_by_role("link", name="See your certificate")
    certificate_path = certificate_link.get_attribute("href")
    assert certificate_path is not None
    assert re.fullmatch(r"/certificates/[0-9a-f]{20}/", certificate_path), certificate_path
    screenshot(page, "09-quiz-passed-badge")
    assert_no_horizontal_overflow(page)

    # My learning lists the badge and the certificate.
    page.goto(academy_server.url("/me/learning/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My learning")
    badges = main.get_by_role("region", name="Badges")
    expect(badges).to_contain_text(COURSE_TITLE)
    expect(badges).to_contain_text("Earned on")
    certificates = main.get_by_role("region", name="Certificates")
    expect(certificates.get_by_role("link", name=f"Certificate: {COURSE_TITLE}")).to_have_attribute(
        "href", certificate_path
    )
    expect(main.get_by_text("This week: 2 of 3 lessons")).to_be_visible()
    screenshot(page, "10-my-learning")
    assert_no_horizontal_overflow(page)

    # Anyone, signed out, can check the certificate.
    visitor = new_context("mobile").new_page()
    response = visitor.goto(academy_server.url(certificate_path))
    assert response is not None
    assert response.status == 200
    expect(visitor.get_by_role("heading", level=1)).to_have_text(name)
    expect(main_of(visitor)).to_contain_text(COURSE_TITLE)
    expect(main_of(visitor)).to_contain_text("This certificate is genuine")
    expect(visitor.get_by_role("button", name="Sign out")).to_have_count(0)
    screenshot(visitor, "11-public-certificate")
    assert_no_horizontal_overflow(visitor)
