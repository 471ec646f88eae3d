"""Operator views of the catalog. Editors work in Studio; the admin is for fixes and the topic
taxonomy, which operators manage here."""

from django.contrib import admin

from academy.catalog.models import Course, Hashtag, Lesson, Topic, WikiArticle, WikiRevision


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("slug", "position", "names")
    ordering = ("position",)


@admin.register(Hashtag)
class HashtagAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    search_fields = ("name",)


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("slug", "topic", "level", "status", "published_at", "editorial_pick")
    list_filter = ("status", "level", "topic", "editorial_pick")
    search_fields = ("slug", "texts__title")
    readonly_fields = ("status", "published_at", "archived_at", "publish_at")


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("slug", "course", "position", "kind", "status")
    list_filter = ("status", "kind")
    search_fields = ("slug", "course__slug", "texts__title")
    readonly_fields = ("status", "published_at", "archived_at", "publish_at")


@admin.register(WikiArticle)
class WikiArticleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("slug", "category", "topic", "status", "last_reviewed_at", "owner")
    list_filter = ("status", "category", "topic")
    search_fields = ("slug",)
    readonly_fields = ("status", "published_at", "archived_at", "publish_at")


@admin.register(WikiRevision)
class WikiRevisionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("article", "language", "number", "author", "created_at", "note")
    list_filter = ("language",)

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False  # history is append-only
