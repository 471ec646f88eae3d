"""Every write to accounts, creators, roles and API keys."""

from __future__ import annotations

import hashlib
import secrets
import threading
import uuid
import zoneinfo
from collections.abc import Sequence
from datetime import datetime, timedelta

from cachetools import TTLCache
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from academy.accounts.choices import (
    ApiScope,
    Goal,
    Level,
    Niche,
    Region,
    Role,
    follower_tier_for,
)
from academy.accounts.models import ApiKey, Creator, User
from academy.accounts.roles import ROLE_PERMISSIONS
from academy.core.errors import Conflict, ValidationFailed
from academy.core.validation import require_choice, require_language

MINIMUM_AGE = 13
ADULT_AGE = 18
API_KEY_PREFIX_BYTES = 6
API_KEY_SECRET_BYTES = 32
# Recording every use would turn each API read into a write; once a minute is enough to tell
# whether a key is still in use.
API_KEY_LAST_USED_RESOLUTION = timedelta(minutes=1)


# ---------------------------------------------------------------------------------------------
# Roles


def roles_sync() -> None:
    """Create the role groups and give each exactly its permissions. Idempotent."""
    with transaction.atomic():
        permissions = {
            permission.codename: permission
            for permission in Permission.objects.filter(
                content_type__app_label="accounts",
                codename__in=set().union(*ROLE_PERMISSIONS.values()),
            )
        }
        for role, codenames in ROLE_PERMISSIONS.items():
            group, _created = Group.objects.get_or_create(name=role.value)
            group.permissions.set([permissions[codename] for codename in sorted(codenames)])


def user_set_role(*, user: User, role: Role) -> User:
    """Give the user exactly one role; admins are also Django staff superusers."""
    with transaction.atomic():
        roles_sync()
        user.groups.set([Group.objects.get(name=role.value)])
        user.is_staff = role == Role.ADMIN
        user.is_superuser = role == Role.ADMIN
        user.save(update_fields=["is_staff", "is_superuser"])
    return user


# ---------------------------------------------------------------------------------------------
# Age


def age_bounds(*, birth_year: int, today: datetime) -> tuple[int, int]:
    """The youngest and oldest a person born in ``birth_year`` can be today."""
    oldest = today.year - birth_year
    return max(oldest - 1, 0), oldest


def age_check(*, birth_year: int | None, today: datetime) -> bool:
    """Validate a birth year; return whether the creator may be a minor.

    Only the year is known, so the check is conservative: someone who *may* still be 12 is
    refused, and someone who *may* still be 17 is treated as a minor.
    """
    if birth_year is None:
        raise ValidationFailed(
            _("Tell us your birth year."), errors={"birth_year": _("This field is required.")}
        )
    if birth_year < 1900 or birth_year > today.year:
        raise ValidationFailed(
            _("Enter a real birth year."),
            errors={
                "birth_year": _("Enter a year between 1900 and %(year)s.") % {"year": today.year}
            },
        )
    youngest, _oldest = age_bounds(birth_year=birth_year, today=today)
    if youngest < MINIMUM_AGE:
        raise ValidationFailed(
            _("You must be at least 13 to have a Creator Academy account."),
            errors={"birth_year": _("Creator Academy accounts are for people aged 13 and over.")},
        )
    return youngest < ADULT_AGE


# ---------------------------------------------------------------------------------------------
# Creators


def _normalise_goals(goals: Sequence[str]) -> list[str]:
    for goal in goals:
        require_choice("goals", goal, Goal.values)
    # Keep the creator's order, drop repeats.
    return list(dict.fromkeys(goals))


def _validate_new_password(password: str, *, email: str, display_name: str) -> None:
    candidate = User(username=email, email=email, display_name=display_name.strip())
    try:
        validate_password(password, user=candidate)
    except DjangoValidationError as error:
        raise ValidationFailed(
            _("Choose a stronger password."), errors={"password": " ".join(error.messages)}
        ) from error


def user_sign_up(
    *,
    email: str,
    password: str,
    display_name: str,
    birth_year: int | None,
    language: str,
    region: str,
    now: datetime | None = None,
) -> User:
    """Create a creator account: a user with the creator role and a creator profile."""
    now = now or timezone.now()
    email = email.strip()
    is_minor = age_check(birth_year=birth_year, today=now)
    require_language(language)
    require_choice("region", region, Region.values)
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict(
            _("An account with this e-mail address already exists. Sign in instead."),
            errors={"email": _("This e-mail address is already registered.")},
        )
    _validate_new_password(password, email=email, display_name=display_name)
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username=email, email=email, password=password, display_name=display_name.strip()
            )
            Creator.objects.create(
                user=user,
                external_id=f"web-{uuid.uuid4().hex}",
                handle=display_name.strip()[:40],
                language=language,
                region=region,
                birth_year=birth_year,
                is_minor=is_minor,
            )
            user_set_role(user=user, role=Role.CREATOR)
    except IntegrityError as error:
        raise Conflict(
            _("An account with this e-mail address already exists. Sign in instead."),
            errors={"email": _("This e-mail address is already registered.")},
        ) from error
    return user


def staff_user_create(*, email: str, display_name: str, password: str, role: Role) -> User:
    """Create an account for a member of the team (editor, analyst, admin) or a test creator."""
    email = email.strip()
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict(
            _("An account with this e-mail address already exists."),
            errors={"email": _("This e-mail address is already registered.")},
        )
    _validate_new_password(password, email=email, display_name=display_name)
    with transaction.atomic():
        user = User.objects.create_user(
            username=email, email=email, password=password, display_name=display_name.strip()
        )
        user_set_role(user=user, role=role)
    return user


def creator_onboard(
    *, creator: Creator, goals: Sequence[str], niche: str, level: str, now: datetime | None = None
) -> Creator:
    """Record the three onboarding answers; the feed's cold start reads them."""
    if not goals:
        raise ValidationFailed(
            _("Pick at least one goal."), errors={"goals": _("Pick at least one goal.")}
        )
    creator.goals = _normalise_goals(goals)
    require_choice("niche", niche, Niche.values)
    require_choice("level", level, Level.values)
    creator.niche = niche
    creator.level = level
    creator.onboarded_at = creator.onboarded_at or now or timezone.now()
    creator.save(update_fields=["goals", "niche", "level", "onboarded_at", "updated_at"])
    return creator


def creator_set_language(*, creator: Creator, language: str) -> Creator:
    require_language(language)
    if creator.language != language:
        creator.language = language
        creator.save(update_fields=["language", "updated_at"])
    return creator


def creator_upsert(
    *,
    external_id: str,
    handle: str = "",
    niche: str = "",
    follower_count: int = 0,
    region: str = Region.OTHER.value,
    language: str = "en",
    birth_year: int | None = None,
    personalisation_consent: bool = True,
    now: datetime | None = None,
) -> tuple[Creator, bool]:
    """Create or update a creator known to the host app by its id. Returns (creator, created)."""
    now = now or timezone.now()
    is_minor = age_check(birth_year=birth_year, today=now) if birth_year is not None else False
    if niche:
        require_choice("niche", niche, Niche.values)
    require_choice("region", region, Region.values)
    require_language(language)
    values = {
        "handle": handle,
        "niche": niche,
        "follower_count": follower_count,
        "follower_tier": follower_tier_for(follower_count).value,
        "region": region,
        "language": language,
        "birth_year": birth_year,
        "is_minor": is_minor,
        "personalisation_consent": personalisation_consent,
    }
    with transaction.atomic():
        creator, created = Creator.objects.select_for_update().get_or_create(
            external_id=external_id, defaults=values
        )
        if not created:
            for field, value in values.items():
                setattr(creator, field, value)
            creator.save(update_fields=[*values, "updated_at"])
    return creator, created


def creator_profile_update(
    *,
    creator: Creator,
    display_name: str,
    handle: str,
    region: str,
    language: str,
    timezone_name: str,
    personalisation_consent: bool,
) -> Creator:
    """The fields a creator edits themselves; follower counts belong to the host app."""
    display_name = _required_text("display_name", display_name)
    require_choice("region", region, Region.values)
    require_language(language)
    try:
        zoneinfo.ZoneInfo(timezone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationFailed(
            _("“%(value)s” is not a time zone we know.") % {"value": timezone_name},
            errors={"timezone": _("Choose your time zone from the list.")},
        ) from error
    with transaction.atomic():
        creator.handle = handle.strip()[:40]
        creator.region = region
        creator.language = language
        creator.timezone = timezone_name
        creator.personalisation_consent = personalisation_consent
        creator.save(
            update_fields=[
                "handle", "region", "language", "timezone", "personalisation_consent", "updated_at",
            ]
        )  # fmt: skip
        user = creator.user
        if user is not None and user.display_name != display_name:
            user.display_name = display_name
            user.save(update_fields=["display_name"])
    return creator


def _required_text(field: str, value: str) -> str:
    if not value.strip():
        raise ValidationFailed(
            _("Fill in every required field."), errors={field: _("This field is required.")}
        )
    return value.strip()


def creator_set_personalisation(*, creator: Creator, enabled: bool) -> Creator:
    if creator.personalisation_consent != enabled:
        creator.personalisation_consent = enabled
        creator.save(update_fields=["personalisation_consent", "updated_at"])
    return creator


# ---------------------------------------------------------------------------------------------
# API keys


def hash_api_secret(secret: str) -> str:
    # Keys carry 256 random bits, so a fast digest is safe; a slow KDF would only slow every call.
    return hashlib.sha256(secret.encode()).hexdigest()


def _validate_scopes(scopes: Sequence[str]) -> list[str]:
    if not scopes:
        raise ValidationFailed(
            _("Give the key at least one scope."), errors={"scopes": _("At least one scope.")}
        )
    unknown = sorted(set(scopes) - set(ApiScope.values))
    if unknown:
        raise ValidationFailed(
            _("Unknown scope: %(scopes)s. Known scopes: %(known)s.")
            % {"scopes": ", ".join(unknown), "known": ", ".join(ApiScope.values)},
            errors={"scopes": _("Unknown scope: %(scopes)s.") % {"scopes": ", ".join(unknown)}},
        )
    return sorted(set(scopes))


def api_key_create(
    *, name: str, scopes: Sequence[str], created_by: User | None
) -> tuple[ApiKey, str]:
    """Create a key and return it with its plain text, which is never stored or shown again."""
    name = name.strip()
    if not name:
        raise ValidationFailed(_("Name the key."), errors={"name": _("This field is required.")})
    clean_scopes = _validate_scopes(scopes)
    prefix = secrets.token_hex(API_KEY_PREFIX_BYTES)
    secret = secrets.token_urlsafe(API_KEY_SECRET_BYTES)
    api_key = ApiKey.objects.create(
        name=name,
        prefix=prefix,
        secret_hash=hash_api_secret(secret),
        scopes=clean_scopes,
        created_by=created_by,
    )
    return api_key, f"ca_{prefix}_{secret}"


# Active keys by prefix, per process, so that a host app's calls do not each pay a query for
# what the previous call learned. Revoking a key forgets it in the revoking process at once;
# every other process refuses it within API_KEY_CACHE_SECONDS (docs/API.md).
API_KEY_CACHE_SECONDS = 5
active_api_keys: TTLCache[str, ApiKey] = TTLCache(maxsize=1024, ttl=API_KEY_CACHE_SECONDS)
active_api_keys_lock = threading.Lock()


def api_key_revoke(*, api_key: ApiKey, now: datetime | None = None) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = now or timezone.now()
        api_key.save(update_fields=["revoked_at"])
    with active_api_keys_lock:
        active_api_keys.pop(api_key.prefix, None)
    return api_key


def api_key_record_use(*, api_key: ApiKey, now: datetime | None = None) -> None:
    now = now or timezone.now()
    last = api_key.last_used_at
    if last is None or now - last >= API_KEY_LAST_USED_RESOLUTION:
        # A conditional UPDATE, so concurrent requests do not fight over the row.
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now


# ---------------------------------------------------------------------------------------------
# Demo


DEMO_PASSWORD = "academy-demo"  # noqa: S105 - printed on purpose by `academy demo`
DEMO_ACCOUNTS: tuple[tuple[Role, str, str], ...] = (
    (Role.CREATOR, "creator@demo.academy", "Maya"),
    (Role.EDITOR, "editor@demo.academy", "Eli"),
    (Role.ANALYST, "analyst@demo.academy", "Ana"),
    (Role.ADMIN, "admin@demo.academy", "Ada"),
)


def demo_accounts_ensure(*, now: datetime | None = None) -> list[tuple[Role, str]]:
    """Create one account per role for the demo (idempotent). Returns (role, e-mail) pairs."""
    now = now or timezone.now()
    created: list[tuple[Role, str]] = []
    with transaction.atomic():
        for role, email, name in DEMO_ACCOUNTS:
            user = User.objects.filter(email__iexact=email).first()
            if user is None:
                user = User.objects.create_user(
                    username=email, email=email, password=DEMO_PASSWORD, display_name=name
                )
            if role == Role.CREATOR and not Creator.objects.filter(user=user).exists():
                creator = Creator.objects.create(
                    user=user,
                    external_id="demo-creator",
                    handle="maya.makes",
                    region=Region.US,
                    language="en",
                    birth_year=now.year - 24,
                    follower_count=4_200,
                    follower_tier=follower_tier_for(4_200).value,
                )
                creator_onboard(
                    creator=creator,
                    goals=[Goal.GROW_AUDIENCE.value, Goal.MONETISE.value],
                    niche=Niche.FOOD.value,
                    level=Level.BEGINNER.value,
                    now=now,
                )
            user_set_role(user=user, role=role)
            created.append((role, email))
    return created
