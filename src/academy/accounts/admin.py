from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from academy.accounts.models import ApiKey, Creator, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):  # type: ignore[type-arg]
    list_display = ("email", "display_name", "is_staff", "is_active", "date_joined")
    search_fields = ("email", "display_name", "username")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,  # type: ignore[misc]
        ("Creator Academy", {"fields": ("display_name",)}),
    )


@admin.register(Creator)
class CreatorAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("external_id", "handle", "region", "language", "follower_tier", "is_minor")
    list_filter = ("region", "language", "follower_tier", "is_minor", "personalisation_consent")
    search_fields = ("external_id", "handle", "user__email")
    raw_id_fields = ("user",)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "secret_hash", "created_at", "last_used_at")
    search_fields = ("name", "prefix")
