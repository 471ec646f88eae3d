from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from academy.accounts.choices import ApiScope, FollowerTier, Level, Region


class User(AbstractUser):
    """A person who signs in. Creators also have a `Creator` profile; staff may not."""

    email = models.EmailField(_("e-mail address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=80, blank=True)

    class Meta:
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]
        permissions = [
            ("access_studio", "Can use Studio (content authoring)"),
            ("access_console", "Can use the product Console"),
            ("access_admin", "Can use the operator Admin"),
            ("manage_api_keys", "Can create and revoke API keys"),
        ]

    @property
    def name_for_greeting(self) -> str:
        return self.display_name or self.first_name or self.username


class Creator(models.Model):
    """A short-video creator as the Academy knows them.

    A creator may exist only through the host app (no `user`), or sign in to the web app.
    `external_id` is the host app's id for the creator and is what every API speaks.
    """

    external_id = models.CharField(max_length=64, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="creator",
    )
    handle = models.CharField(max_length=40, blank=True)
    niche = models.CharField(max_length=32, blank=True)
    follower_count = models.PositiveIntegerField(default=0)
    follower_tier = models.CharField(
        max_length=16, choices=FollowerTier.choices, default=FollowerTier.STARTER
    )
    region = models.CharField(max_length=2, choices=Region.choices, default=Region.OTHER)
    language = models.CharField(max_length=8, default="en")
    timezone = models.CharField(max_length=64, default="UTC")
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    is_minor = models.BooleanField(
        default=False, help_text=_("Possibly under 18: restricted features stay off.")
    )
    goals = models.JSONField(default=list, blank=True)
    level = models.CharField(max_length=16, choices=Level.choices, blank=True)
    personalisation_consent = models.BooleanField(default=True)
    onboarded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["region", "language"]),
            models.Index(fields=["follower_tier"]),
        ]

    def __str__(self) -> str:
        return self.handle or self.external_id


class ApiKey(models.Model):
    """A host app's credential. Only a SHA-256 digest of the secret is stored.

    The key reads ``ca_<prefix>_<secret>``; the prefix is public and finds the row, the secret is
    shown once at creation.
    """

    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} (ca_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: ApiScope | str) -> bool:
        return ApiScope.ADMIN.value in self.scopes or str(scope) in self.scopes
