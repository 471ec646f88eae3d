"""The shipped content pack: complete, valid, and loaded idempotently."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from academy.catalog.choices import PublishStatus
from academy.catalog.content_pack import LEVELS, TOPICS, ContentPack, PackError, load_pack
from academy.catalog.loader import content_pack_load
from academy.catalog.models import Course, Lesson, LessonText, WikiArticle, WikiRevision
from academy.catalog.selectors import course_for_reader, lesson_for_reader, wiki_article_for_reader


@pytest.fixture(scope="module")
def pack() -> ContentPack:
    return load_pack()


def test_the_pack_covers_every_topic_level_and_kind(pack: ContentPack) -> None:
    assert len(pack.courses) >= 12
    assert len(pack.lessons) >= 60
    assert len(pack.wiki) >= 40
    assert {course.topic for course in pack.courses} == set(TOPICS)
    assert {course.level for course in pack.courses} == set(LEVELS)
    kinds = Counter(lesson.kind for lesson in pack.lessons)
    assert set(kinds) == {"video", "article", "quiz", "live"}
    assert any(lesson.recording_url for lesson in pack.lessons if lesson.kind == "live")


def test_a_quarter_is_fully_translated_into_both_languages(pack: ContentPack) -> None:
    items = len(pack.lessons) + len(pack.wiki)
    for language in ("es", "pt-br"):
        translated = sum(language in lesson.translations for lesson in pack.lessons) + sum(
            language in article.translations for article in pack.wiki
        )
        assert translated * 4 >= items, f"{language}: {translated} of {items}"
        for course in pack.courses:
            if all(language in lesson.translations for lesson in course.lessons):
                assert language in course.translations, course.slug


@pytest.mark.django_db
def test_loading_twice_changes_nothing(pack: ContentPack) -> None:
    first = content_pack_load(pack=pack)
    assert first.created == len(pack.courses) + len(pack.lessons) + len(pack.wiki)
    stamps = list(Lesson.objects.order_by("pk").values_list("updated_at", flat=True))
    second = content_pack_load(pack=pack)
    assert (second.created, second.updated) == (0, 0)
    assert list(Lesson.objects.order_by("pk").values_list("updated_at", flat=True)) == stamps
    assert WikiRevision.objects.count() == sum(1 + len(a.translations) for a in pack.wiki)
    assert not Course.objects.exclude(status=PublishStatus.PUBLISHED).exists()


@pytest.mark.django_db
def test_loaded_content_reads_in_three_languages(pack: ContentPack) -> None:
    content_pack_load(pack=pack)
    course = next(
        c for c in pack.courses if all("es" in lesson.translations for lesson in c.lessons)
    )
    lesson = course.lessons[0]
    spanish = lesson_for_reader(course_slug=course.slug, lesson_slug=lesson.slug, language="es")
    assert not spanish.localised.is_fallback
    assert spanish.title == lesson.translations["es"].title
    untranslated = next(c for c in pack.courses if not c.lessons[0].translations)
    fallback = course_for_reader(slug=untranslated.slug, language="pt-br").lessons[0]
    assert fallback.localised.is_fallback
    article = next(a for a in pack.wiki if "pt-br" in a.translations)
    assert wiki_article_for_reader(slug=article.slug, language="pt-br").card.title == (
        article.translations["pt-br"].title
    )


@pytest.mark.django_db
def test_an_edited_file_updates_only_what_changed(pack: ContentPack, tmp_path: Path) -> None:
    content_pack_load(pack=pack)
    article = pack.wiki[0]
    article.body += "\n\nOne more tip."
    report = content_pack_load(pack=pack)
    assert report.items == [f"updated wiki {article.slug}"]
    assert WikiArticle.objects.get(slug=article.slug).revisions.filter(language="en").count() == 2
    assert LessonText.objects.count() == sum(1 + len(x.translations) for x in pack.lessons)


def test_a_broken_pack_lists_every_problem_with_its_file(tmp_path: Path) -> None:
    course = tmp_path / "courses" / "broken"
    course.mkdir(parents=True)
    (course / "course.yaml").write_text("title: X\ntopic: astrology\nlevel: guru\nlanguage: en\n")
    (course / "01-quiz.md").write_text(
        "---\nkind: quiz\ntitle: Q\nsummary: S\nquestions:\n  - prompt: P\n    choices: [a]\n"
        "    answer: 3\n    explanation: E\n---\nIntro [x](wiki:missing)\n"
    )
    (course / "02-bad.md").write_text("---\ntitle: : :\n---\nbody\n")
    with pytest.raises(PackError) as raised:
        load_pack(tmp_path)
    problems = "\n".join(raised.value.problems)
    for expected in (
        "courses/broken/course.yaml: 'summary' is required",
        "'topic' must be one of",
        "'level' must be one of",
        "question 1 needs at least two choices",
        "not a choice index",
        "links to an unknown wiki: 'missing'",
        "courses/broken/02-bad.md: the front matter is not valid YAML",
    ):
        assert expected in problems
