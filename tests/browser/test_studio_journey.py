"""The editor's journey (PRODUCT.md §5, journey 3): draft a course and a lesson in Studio, send
them through review, schedule them, translate the lesson into Spanish, and watch a Spanish-speaking
creator get it once its time has come.

Time moves through the server's clock file (academy.core.clock), never by sleeping; the scheduled
job is run the way an operator would, with `academy content publish-due`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import EXPECT_TIMEOUT_MS, ContextFactory, LiveServer, Screenshots
from tests.browser.pages import assert_no_horizontal_overflow, main_of

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

expect.set_options(timeout=EXPECT_TIMEOUT_MS)

PASSWORD = "Studio-Planner-8812!"
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
LESSON_TITLE = "Write a hook in three seconds"
SPANISH_TITLE = "Escribe un gancho en tres segundos"


def in_spanish(message: str) -> str:
    """The server's own Spanish for an interface string, so locators still go by labels."""
    with translation.override("es"):
        return translation.gettext(message)


def sign_in(page: Page, server: LiveServer, *, email: str) -> None:
    page.goto(server.url("/accounts/login/"))
    main = main_of(page)
    main.get_by_label("E-mail address").fill(email)
    main.get_by_label("Password").fill(PASSWORD)
    main.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(server.url("/home/"))


def local_input(moment: datetime) -> str:
    """What a person types into a datetime-local box for ``moment`` in São Paulo."""
    return moment.astimezone(SAO_PAULO).strftime("%Y-%m-%dT%H:%M")


def schedule(page: Page, moment: datetime) -> None:
    workflow = page.get_by_role("region", name="Publishing")
    workflow.get_by_label("Publish at (local time)").fill(local_input(moment))
    workflow.get_by_label("Time zone").select_option("America/Sao_Paulo")
    workflow.get_by_role("button", name="Schedule", exact=True).click()


def status_message(page: Page) -> Locator:
    return page.get_by_role("status")


def test_editor_drafts_schedules_and_translates_a_lesson_that_a_creator_then_gets_in_spanish(
    academy_server: LiveServer,
    new_context: ContextFactory,
    screenshot: Screenshots,
    server_clock: Callable[[datetime | None], None],
) -> None:
    suffix = uuid.uuid4().hex[:6]
    course_slug, lesson_slug = f"hooks-{suffix}", "write-a-hook"
    editor_email = f"editor-{suffix}@example.com"
    academy_server.create_user(email=editor_email, name="Eli", role="editor", password=PASSWORD)

    page = new_context("desktop").new_page()
    sign_in(page, academy_server, email=editor_email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Studio").click()
    expect(page).to_have_url(academy_server.url("/studio/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Studio")
    screenshot(page, "01-studio")

    # A course, as a draft.
    main_of(page).get_by_role("button", name="New course").first.click()
    main = main_of(page)
    main.get_by_label("Address (slug)").fill(course_slug)
    main.get_by_label("Title", exact=True).fill("Hooks that hold")
    main.get_by_label("Summary").fill("Keep viewers past the first second.")
    main.get_by_label("Topic").select_option("creation-essentials")
    main.get_by_label("Level").select_option("beginner")
    main.get_by_label("Original language").select_option("en")
    main.get_by_label("Hashtags").fill("#Hook, retention")
    screenshot(page, "02-new-course")
    main.get_by_role("button", name="Create course").click()
    expect(page).to_have_url(academy_server.url(f"/studio/courses/{course_slug}/"))
    expect(status_message(page)).to_contain_text("Course created as a draft")
    course_url = page.url

    # Its first lesson, an article.
    main.get_by_role("button", name="Add lesson").click()
    main.get_by_role("link", name="Article").click()
    main.get_by_label("Address (slug)").fill(lesson_slug)
    main.get_by_label("Title", exact=True).fill(LESSON_TITLE)
    main.get_by_label("Summary").fill("Say the payoff first.")
    main.get_by_label("Article (Markdown)").fill(
        "Most viewers decide **within a second**.\n\n## Say the payoff first\n\nThen explain."
    )
    main.get_by_label("Reading time (minutes)").fill("3")
    screenshot(page, "03-new-article-lesson")
    main.get_by_role("button", name="Create lesson").click()
    expect(page).to_have_url(
        academy_server.url(f"/studio/courses/{course_slug}/lessons/{lesson_slug}/")
    )
    lesson_url = page.url

    # Both go to review.
    main.get_by_role("button", name="Submit for review").click()
    expect(status_message(page)).to_contain_text("Submitted for review.")
    page.goto(course_url)
    main.get_by_role("button", name="Submit for review").click()
    expect(status_message(page)).to_contain_text("Submitted for review.")

    # The course cannot go live before one of its lessons: the page says why.
    main.get_by_role("button", name="Approve & publish now").click()
    expect(main.get_by_role("alert")).to_contain_text(
        "A course cannot be published before at least one of its lessons."
    )
    screenshot(page, "04-course-refused")

    # The lesson is approved for two hours from now (typed in São Paulo time); a time in the
    # past is refused first.
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    lesson_at = now + timedelta(hours=2)
    page.goto(lesson_url)
    schedule(page, now - timedelta(hours=1))
    expect(main.get_by_role("alert")).to_contain_text("A schedule cannot be in the past.")
    screenshot(page, "05-schedule-in-the-past")
    schedule(page, lesson_at)
    expect(status_message(page)).to_contain_text("(America/Sao_Paulo)")
    expect(main.get_by_role("region", name="Publishing")).to_contain_text("Goes live on")
    screenshot(page, "06-lesson-scheduled")

    # The course follows a minute after the lesson.
    page.goto(course_url)
    schedule(page, lesson_at + timedelta(minutes=1))
    expect(status_message(page)).to_contain_text("Approved and scheduled for")

    # The Spanish translation, side by side with the original, published.
    page.goto(lesson_url)
    main.get_by_role("link", name="Translate (ES)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Translate into Spanish")
    expect(main).to_contain_text("Most viewers decide **within a second**.")
    main.get_by_label("Title", exact=True).fill(SPANISH_TITLE)
    main.get_by_label("Summary").fill("Di primero la recompensa.")
    main.get_by_label("Body (Markdown)").fill(
        "La mayoría decide **en un segundo**.\n\n## Di primero la recompensa\n\nLuego explica."
    )
    main.get_by_label("Translation status").select_option("published")
    screenshot(page, "07-translate-into-spanish")
    main.get_by_role("button", name="Save translation").click()
    expect(page).to_have_url(lesson_url)
    expect(status_message(page)).to_contain_text("Spanish version saved.")

    # The preview shows what a Spanish-speaking creator will get, and that it is not live yet.
    main.get_by_role("link", name="Preview (ES)").click()
    expect(main).to_contain_text("Preview — not published")
    expect(page.get_by_role("heading", level=1)).to_have_text(SPANISH_TITLE)
    expect(main.locator(".prose strong")).to_have_text("en un segundo")
    screenshot(page, "08-preview-in-spanish")

    # The calendar lists both releases.
    page.goto(academy_server.url("/studio/calendar/"))
    upcoming = main.get_by_role("region", name="Upcoming releases")
    expect(upcoming).to_contain_text(LESSON_TITLE)
    expect(upcoming).to_contain_text("Hooks that hold")
    screenshot(page, "09-calendar")

    # A creator who reads Spanish finds nothing at the lesson's address yet.
    creator = new_context("desktop").new_page()
    creator.goto(academy_server.url("/accounts/signup/"))
    form = main_of(creator)
    form.get_by_label("Your name").fill("Lucía")
    form.get_by_label("E-mail address").fill(f"lucia-{suffix}@example.com")
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_label("Birth year").select_option(str(datetime.now(UTC).year - 25))
    form.get_by_label("Language").select_option("es")
    form.get_by_label("Region").select_option("MX")
    form.get_by_role("button", name="Create account").click()
    expect(creator).to_have_url(academy_server.url("/accounts/onboarding/"))
    form.get_by_label(in_spanish("Grow my audience"), exact=True).check()
    form.get_by_label(in_spanish("Education"), exact=True).check()
    form.get_by_label(in_spanish("Beginner"), exact=True).check()
    form.get_by_role("button", name=in_spanish("Show me my Academy")).click()
    expect(creator).to_have_url(academy_server.url("/home/"))
    lesson_page = academy_server.url(f"/learn/{course_slug}/{lesson_slug}/")
    response = creator.goto(lesson_page)
    assert response is not None
    assert response.status == 404
    screenshot(creator, "10-creator-not-yet")

    # Three hours later the scheduled job runs: the lesson, then its course, go live.
    server_clock(now + timedelta(hours=3))
    output = academy_server.academy("content", "publish-due")
    assert f"published lesson:{course_slug}/{lesson_slug}" in output
    assert f"published course:{course_slug}" in output

    response = creator.goto(lesson_page)
    assert response is not None
    assert response.status == 200
    expect(creator.locator("html")).to_have_attribute("lang", "es")
    expect(creator.get_by_role("heading", level=1)).to_have_text(SPANISH_TITLE)
    expect(main_of(creator)).to_contain_text("La mayoría decide en un segundo.")
    screenshot(creator, "11-creator-reads-in-spanish")

    # Studio now shows it live.
    page.goto(lesson_url)
    expect(main.get_by_role("region", name="Publishing")).to_contain_text("Published")
    expect(main.get_by_role("button", name="Archive")).to_be_visible()
    screenshot(page, "12-lesson-live")


def test_studio_pages_fit_a_phone(
    academy_server: LiveServer, new_context: ContextFactory, screenshot: Screenshots
) -> None:
    """The same pages on a 390 px screen: tables become cards, nothing scrolls sideways."""
    suffix = uuid.uuid4().hex[:6]
    email = f"phone-editor-{suffix}@example.com"
    academy_server.create_user(email=email, name="Pia", role="editor", password=PASSWORD)
    page = new_context("mobile").new_page()
    sign_in(page, academy_server, email=email)

    page.goto(academy_server.url("/studio/courses/new/"))
    main = main_of(page)
    main.get_by_label("Address (slug)").fill(f"phone-{suffix}")
    main.get_by_label("Title", exact=True).fill("Filming on a phone")
    main.get_by_label("Topic").select_option("creation-essentials")
    main.get_by_role("button", name="Create course").click()
    expect(status_message(page)).to_contain_text("Course created as a draft")
    course_url = page.url
    page.goto(f"{course_url}lessons/new/?kind=quiz")
    main.get_by_label("Address (slug)").fill("check")
    main.get_by_label("Title", exact=True).fill(f"Check your framing {suffix}")
    main.get_by_label("Questions").fill(
        "Q: Where do eyes go?\n* Top third\n- Bottom edge\nE: The top third reads as natural."
    )
    main.get_by_role("button", name="Create lesson").click()
    expect(status_message(page)).to_contain_text("Lesson created as a draft.")

    for step, path in (
        ("01-dashboard", "/studio/"),
        ("02-course", course_url),
        ("03-lesson", f"{course_url}lessons/check/"),
        ("04-translate-quiz", f"{course_url}lessons/check/translate/es/"),
        ("05-calendar", "/studio/calendar/"),
    ):
        page.goto(path if path.startswith("http") else academy_server.url(path))
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_no_horizontal_overflow(page)
        screenshot(page, step)
    expect(main.get_by_role("row").filter(has_text=f"Check your framing {suffix}")).to_have_count(1)


def test_editor_keeps_a_wiki_article_accurate_with_its_history(
    academy_server: LiveServer, new_context: ContextFactory, screenshot: Screenshots
) -> None:
    """Write an article, change it, compare two revisions, and restore the first."""
    suffix = uuid.uuid4().hex[:6]
    email = f"wiki-editor-{suffix}@example.com"
    academy_server.create_user(email=email, name="Wren", role="editor", password=PASSWORD)
    page = new_context("desktop").new_page()
    sign_in(page, academy_server, email=email)
    page.goto(academy_server.url("/studio/"))
    main = main_of(page)
    main.get_by_role("button", name="New wiki article").first.click()
    main.get_by_label("Address (slug)").fill(f"hook-{suffix}")
    main.get_by_label("Title", exact=True).fill("What is a hook?")
    main.get_by_label("Summary").fill("The first seconds of a video.")
    main.get_by_label("Body (Markdown)").fill("A hook is the first second.\nIt decides a lot.")
    main.get_by_label("Category").select_option("glossary")
    main.get_by_label("Topic").select_option("creation-essentials")
    screenshot(page, "01-new-article")
    main.get_by_role("button", name="Create article").click()
    expect(status_message(page)).to_contain_text("Wiki article created as a draft.")
    article_url = page.url

    main.get_by_role("button", name="Edit article").click()
    main.get_by_label("Body (Markdown)").fill(
        "A hook is the first <three> seconds.\nIt decides a lot.\nSay the payoff first."
    )
    main.get_by_label("What changed").fill("Three seconds, not one")
    main.get_by_role("button", name="Save article").click()
    expect(status_message(page)).to_contain_text("Wiki article saved.")
    main.get_by_role("button", name="Mark reviewed today").click()
    expect(status_message(page)).to_contain_text("Marked as reviewed today.")
    screenshot(page, "02-article")

    main.get_by_role("link", name="History (EN)").click()
    history = main.get_by_role("table")
    expect(history.get_by_role("row")).to_have_count(3)
    expect(history).to_contain_text("Three seconds, not one")
    screenshot(page, "03-history")
    main.get_by_role("button", name="Compare revisions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Changes from revision 1 to 2")
    removed = main.locator("tr.diff-removed")
    added = main.locator("tr.diff-added")
    expect(removed).to_contain_text("A hook is the first second.")
    expect(added.first).to_contain_text("A hook is the first <three> seconds.")
    expect(added.first.locator(".diff-marker")).to_contain_text("+")
    screenshot(page, "04-diff")

    main.get_by_role("button", name="Restore revision 1").click()
    expect(status_message(page)).to_contain_text("Revision 1 restored as revision 3.")
    page.goto(article_url)
    main.get_by_role("link", name="Preview (EN)").click()
    expect(main).to_contain_text("A hook is the first second.")
    screenshot(page, "05-preview")
