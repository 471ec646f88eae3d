"""A creator's learning: enrolments, lesson progress, quiz attempts, badges, certificates, goals."""

from __future__ import annotations

from django.db import models

from academy.accounts.models import Creator
from academy.catalog.models import Course, Lesson


class Enrollment(models.Model):
    creator = models.ForeignKey(Creator, on_delete=models.CASCADE, related_name="enrollments")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    enrolled_at = models.DateTimeField()
    last_activity_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["creator", "course"], name="learning_enrol_once")
        ]
        indexes = [models.Index(fields=["creator", "-last_activity_at"])]

    def __str__(self) -> str:
        return f"{self.creator_id} in {self.course_id}"


class LessonProgress(models.Model):
    creator = models.ForeignKey(Creator, on_delete=models.CASCADE, related_name="lesson_progress")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="progress")
    started_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    position_seconds = models.PositiveIntegerField(default=0)
    furthest_seconds = models.PositiveIntegerField(default=0)
    watch_percent = models.PositiveSmallIntegerField(default=0)
    completed_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["creator", "lesson"], name="learning_progress_once")
        ]

    def __str__(self) -> str:
        return f"{self.creator_id} on {self.lesson_id}"


class QuizAttempt(models.Model):
    creator = models.ForeignKey(Creator, on_delete=models.CASCADE, related_name="quiz_attempts")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="quiz_attempts")
    submitted_at = models.DateTimeField()
    answers = models.JSONField(help_text="Question position -> chosen choice indexes.")
    correct_count = models.PositiveSmallIntegerField()
    question_count = models.PositiveSmallIntegerField()
    score = models.FloatField()
    passed = models.BooleanField()

    class Meta:
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return f"{self.creator_id} on {self.lesson_id}: {self.score:.0%}"


class BadgeAward(models.Model):
    """A course badge, earned by completing the course: awarded at most once."""

    creator = models.ForeignKey(Creator, on_delete=models.CASCADE, related_name="badges")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="badge_awards")
    awarded_at = models.DateTimeField()

    class Meta:
        ordering = ["-awarded_at"]
        constraints = [
            models.UniqueConstraint(fields=["creator", "course"], name="learning_badge_once")
        ]

    def __str__(self) -> str:
        return f"{self.creator_id} badge {self.course_id}"


class Certificate(models.Model):
    creator = models.ForeignKey(Creator, on_delete=models.CASCADE, related_name="certificates")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="certificates")
    code = models.CharField(max_length=32, unique=True)
    holder_name = models.CharField(max_length=80)
    issued_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["creator", "course"], name="learning_certificate_once")
        ]

    def __str__(self) -> str:
        return self.code


class WeeklyGoal(models.Model):
    creator = models.OneToOneField(Creator, on_delete=models.CASCADE, related_name="weekly_goal")
    lessons_per_week = models.PositiveSmallIntegerField(default=3)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.creator_id}: {self.lessons_per_week}/week"
