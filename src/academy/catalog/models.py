"""Academy content: topics, hashtags, courses with ordered lessons, quizzes, the Creator Wiki.

Text lives in per-language rows (`*Text`, wiki revisions) beside language-neutral items, so each
translation has its own status and the original is just the row in `original_language`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from academy.catalog.choices import (
    LessonKind,
    Level,
    PublishStatus,
    TranslationStatus,
    WikiCategory,
)


class Topic(models.Model):
    slug = models.SlugField(max_length=40, unique=True)
    position = models.PositiveSmallIntegerField(default=0)
    names = models.JSONField(default=dict, help_text="Name per language code.")

    class Meta:
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.name_in("en")

    def name_in(self, language: str) -> str:
        return str(self.names.get(language) or self.names.get("en") or self.slug)


class Hashtag(models.Model):
    """A free tag, stored normalised (case-folded, without '#'); see services.hashtag_normalise."""

    name = models.CharField(max_length=100, unique=True)

    def __str__(self) -> str:
        return f"#{self.name}"


class Publishable(models.Model):
    status = models.CharField(
        max_length=16, choices=PublishStatus.choices, default=PublishStatus.DRAFT, db_index=True
    )
    original_language = models.CharField(max_length=8, default="en")
    publish_at = models.DateTimeField(null=True, blank=True, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Course(Publishable):
    slug = models.SlugField(max_length=80, unique=True)
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="courses")
    level = models.CharField(max_length=16, choices=Level.choices)
    hashtags = models.ManyToManyField(Hashtag, blank=True, related_name="courses")
    regions = models.JSONField(default=list, blank=True)
    editorial_pick = models.BooleanField(default=False)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class CourseText(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(max_length=8)
    title = models.CharField(max_length=160)
    summary = models.TextField(blank=True)
    status = models.CharField(
        max_length=16, choices=TranslationStatus.choices, default=TranslationStatus.DRAFT
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "language"], name="catalog_course_text_once")
        ]

    def __str__(self) -> str:
        return f"{self.course_id}:{self.language}"


class Lesson(Publishable):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    slug = models.SlugField(max_length=80)
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=16, choices=LessonKind.choices)
    hashtags = models.ManyToManyField(Hashtag, blank=True, related_name="lessons")
    video_url = models.URLField(blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    reading_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    pass_mark = models.FloatField(default=0.7)
    starts_at = models.DateTimeField(null=True, blank=True)
    timezone = models.CharField(max_length=64, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    capacity = models.PositiveIntegerField(null=True, blank=True)
    join_url = models.URLField(blank=True)
    recording_url = models.URLField(blank=True)

    class Meta:
        ordering = ["course_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="catalog_lesson_slug_in_course")
        ]

    def __str__(self) -> str:
        return f"{self.course.slug}/{self.slug}"


class LessonText(models.Model):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(max_length=8)
    title = models.CharField(max_length=160)
    summary = models.TextField(blank=True)
    body = models.TextField(blank=True, help_text="Markdown: article, transcript or description.")
    status = models.CharField(
        max_length=16, choices=TranslationStatus.choices, default=TranslationStatus.DRAFT
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lesson", "language"], name="catalog_lesson_text_once")
        ]

    def __str__(self) -> str:
        return f"{self.lesson_id}:{self.language}"


class QuizQuestion(models.Model):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    choice_count = models.PositiveSmallIntegerField(default=0)
    correct = models.JSONField(default=list, help_text="Indexes of the correct choices.")

    class Meta:
        ordering = ["lesson_id", "position"]

    def __str__(self) -> str:
        return f"{self.lesson_id}#{self.position}"


class QuizQuestionText(models.Model):
    question = models.ForeignKey(QuizQuestion, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(max_length=8)
    prompt = models.TextField()
    choices = models.JSONField(default=list)
    explanation = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["question", "language"], name="catalog_question_text_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.question_id}:{self.language}"


class WikiArticle(Publishable):
    slug = models.SlugField(max_length=80, unique=True)
    category = models.CharField(max_length=20, choices=WikiCategory.choices)
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="wiki_articles")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    last_reviewed_at = models.DateField(null=True, blank=True)
    hashtags = models.ManyToManyField(Hashtag, blank=True, related_name="wiki_articles")

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class WikiRevision(models.Model):
    """One saved version of an article in one language; never changed after it is written."""

    article = models.ForeignKey(WikiArticle, on_delete=models.CASCADE, related_name="revisions")
    language = models.CharField(max_length=8)
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=160)
    summary = models.TextField(blank=True)
    body = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["article_id", "language", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "language", "number"], name="catalog_wiki_revision_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.article_id}:{self.language} r{self.number}"


class WikiText(models.Model):
    """An article's version in one language: its status and its current revision."""

    article = models.ForeignKey(WikiArticle, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(max_length=8)
    status = models.CharField(
        max_length=16, choices=TranslationStatus.choices, default=TranslationStatus.DRAFT
    )
    current = models.ForeignKey(WikiRevision, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "language"], name="catalog_wiki_text_once")
        ]

    def __str__(self) -> str:
        return f"{self.article_id}:{self.language}"
