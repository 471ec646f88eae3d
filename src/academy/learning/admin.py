from django.contrib import admin

from academy.learning.models import BadgeAward, Certificate, Enrollment


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("creator", "course", "enrolled_at", "completed_at")
    raw_id_fields = ("creator",)


@admin.register(BadgeAward)
class BadgeAwardAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("creator", "course", "awarded_at")
    raw_id_fields = ("creator",)


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "holder_name", "course", "issued_at")
    search_fields = ("code", "holder_name")
    raw_id_fields = ("creator",)
