from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest
from django.contrib.auth.models import Group

from academy.accounts.choices import ApiScope, FollowerTier, Role, follower_tier_for
from academy.accounts.models import ApiKey, Creator, User
from academy.accounts.roles import ROLE_PERMISSIONS
from academy.accounts.selectors import api_key_for_secret, user_role
from academy.accounts.services import (
    API_KEY_CACHE_SECONDS,
    active_api_keys,
    age_check,
    api_key_create,
    api_key_record_use,
    api_key_revoke,
    creator_onboard,
    creator_upsert,
    roles_sync,
    user_set_role,
    user_sign_up,
)
from academy.accounts.tests.factories import PASSWORD, make_creator_user, make_staff_user
from academy.core.errors import Conflict, ValidationFailed

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def sign_up(**overrides: object) -> User:
    values: dict[str, object] = {
        "email": "new@example.com",
        "password": PASSWORD,
        "display_name": "Lina",
        "birth_year": 2000,
        "language": "es",
        "region": "MX",
        "now": NOW,
    }
    values.update(overrides)
    return user_sign_up(**values)  # type: ignore[arg-type]


class TestSignUp:
    def test_creates_a_creator_with_profile_and_role(self) -> None:
        user = sign_up()
        assert user.check_password(PASSWORD)
        assert user_role(user=user) == Role.CREATOR
        assert user.creator.language == "es"
        assert user.creator.region == "MX"
        assert user.creator.external_id.startswith("web-")
        assert user.creator.onboarded_at is None
        assert not user.creator.is_minor

    @pytest.mark.parametrize("birth_year", [2014, 2020, 2026])
    def test_refuses_anyone_who_may_be_under_13_and_writes_nothing(self, birth_year: int) -> None:
        with pytest.raises(ValidationFailed) as raised:
            sign_up(birth_year=birth_year)
        assert "birth_year" in raised.value.errors
        assert not User.objects.exists()
        assert not Creator.objects.exists()

    def test_flags_who_may_be_under_18(self) -> None:
        assert sign_up(birth_year=2008).creator.is_minor  # 17 or 18 in 2026
        assert not sign_up(email="b@example.com", birth_year=2007).creator.is_minor

    def test_year_bounds(self) -> None:
        assert age_check(birth_year=2012, today=NOW) is True  # 13 or 14: allowed, a minor
        with pytest.raises(ValidationFailed):
            age_check(birth_year=2013, today=NOW)  # may still be 12
        with pytest.raises(ValidationFailed):
            age_check(birth_year=1800, today=NOW)
        with pytest.raises(ValidationFailed):
            age_check(birth_year=None, today=NOW)

    def test_email_is_unique_whatever_its_case(self) -> None:
        sign_up(email="Lina@Example.com")
        with pytest.raises(Conflict) as raised:
            sign_up(email="lina@example.COM")
        assert "email" in raised.value.errors
        assert User.objects.count() == 1

    def test_weak_password_names_the_field(self) -> None:
        with pytest.raises(ValidationFailed) as raised:
            sign_up(password="12345678")
        assert "password" in raised.value.errors
        assert not User.objects.exists()

    def test_unknown_language_or_region_is_refused(self) -> None:
        with pytest.raises(ValidationFailed):
            sign_up(language="xx")
        with pytest.raises(ValidationFailed):
            sign_up(region="Atlantis")


class TestOnboarding:
    def test_records_answers_once_and_keeps_first_time(self) -> None:
        creator = make_creator_user(onboarded=False).creator
        creator_onboard(
            creator=creator,
            goals=["monetise", "go_live", "monetise"],
            niche="gaming",
            level="advanced",
            now=NOW,
        )
        creator.refresh_from_db()
        assert creator.goals == ["monetise", "go_live"]
        assert (creator.niche, creator.level, creator.onboarded_at) == ("gaming", "advanced", NOW)
        creator_onboard(creator=creator, goals=["stay_safe"], niche="pets", level="beginner")
        creator.refresh_from_db()
        assert creator.onboarded_at == NOW
        assert creator.goals == ["stay_safe"]

    @pytest.mark.parametrize(
        ("goals", "niche", "level", "field"),
        [
            ([], "food", "beginner", "goals"),
            (["get_rich_quick"], "food", "beginner", "goals"),
            (["monetise"], "astrology", "beginner", "niche"),
            (["monetise"], "food", "guru", "level"),
        ],
    )
    def test_rejects_unknown_answers(
        self, goals: list[str], niche: str, level: str, field: str
    ) -> None:
        creator = make_creator_user(onboarded=False).creator
        with pytest.raises(ValidationFailed) as raised:
            creator_onboard(creator=creator, goals=goals, niche=niche, level=level)
        assert field in raised.value.errors
        creator.refresh_from_db()
        assert creator.onboarded_at is None


class TestCreatorUpsert:
    def test_creates_then_updates_with_tier(self) -> None:
        creator, created = creator_upsert(external_id="host-1", follower_count=25_000, now=NOW)
        assert created
        assert creator.follower_tier == FollowerTier.MICRO
        creator, created = creator_upsert(
            external_id="host-1", follower_count=2_500_000, region="BR", language="pt-br"
        )
        assert not created
        creator.refresh_from_db()
        assert (creator.follower_tier, creator.region) == (FollowerTier.MACRO, "BR")
        assert Creator.objects.count() == 1

    def test_under_13_is_refused(self) -> None:
        with pytest.raises(ValidationFailed):
            creator_upsert(external_id="kid", birth_year=2020, now=NOW)
        assert not Creator.objects.exists()

    @pytest.mark.parametrize(
        ("followers", "tier"),
        [(0, "starter"), (999, "starter"), (1_000, "nano"), (99_999, "micro"), (10**6, "macro")],
    )
    def test_follower_tier_bands(self, followers: int, tier: str) -> None:
        assert follower_tier_for(followers) == tier


class TestRoles:
    def test_sync_is_idempotent_and_exact(self) -> None:
        roles_sync()
        roles_sync()
        for role, codenames in ROLE_PERMISSIONS.items():
            group = Group.objects.get(name=role.value)
            assert {p.codename for p in group.permissions.all()} == codenames

    def test_role_decides_permissions(self) -> None:
        editor = make_staff_user(role=Role.EDITOR)
        assert editor.has_perm("accounts.access_studio")
        assert not editor.has_perm("accounts.access_console")
        assert not editor.is_staff
        user_set_role(user=editor, role=Role.ADMIN)
        editor = User.objects.get(pk=editor.pk)
        assert editor.is_staff
        assert editor.has_perm("accounts.manage_api_keys")
        assert user_role(user=editor) == Role.ADMIN


class TestApiKeys:
    def test_only_a_digest_is_stored_and_the_key_authenticates(self) -> None:
        api_key, raw = api_key_create(name="host", scopes=["feed:read"], created_by=None)
        assert raw.startswith(f"ca_{api_key.prefix}_")
        stored = ApiKey.objects.get(pk=api_key.pk)
        assert raw.split("_", 2)[2] not in stored.secret_hash
        assert api_key_for_secret(raw_key=raw) == api_key
        assert api_key_for_secret(raw_key=raw + "x") is None
        assert api_key_for_secret(raw_key="ca_nope_nope") is None
        assert api_key_for_secret(raw_key="garbage") is None

    def test_revoked_key_stops_working(self) -> None:
        api_key, raw = api_key_create(name="host", scopes=["feed:read"], created_by=None)
        api_key_revoke(api_key=api_key, now=NOW)
        assert api_key_for_secret(raw_key=raw) is None
        api_key_revoke(api_key=api_key)  # revoking twice keeps the first time
        assert ApiKey.objects.get(pk=api_key.pk).revoked_at == NOW

    def test_a_key_revoked_by_another_process_is_refused_within_the_cache_time(
        self, django_assert_num_queries: Any
    ) -> None:
        api_key, raw = api_key_create(name="host", scopes=["feed:read"], created_by=None)
        assert api_key_for_secret(raw_key=raw) == api_key
        with django_assert_num_queries(0):  # the process remembers the key it just checked
            assert api_key_for_secret(raw_key=raw) == api_key
            assert api_key_for_secret(raw_key=raw + "x") is None  # the secret is still checked
        # Another server process revokes it: this one learns of it when its entry expires.
        ApiKey.objects.filter(pk=api_key.pk).update(revoked_at=NOW)
        assert api_key_for_secret(raw_key=raw) == api_key
        active_api_keys.expire(time.monotonic() + API_KEY_CACHE_SECONDS + 0.1)
        assert api_key_for_secret(raw_key=raw) is None

    def test_unknown_or_missing_scope_is_refused(self) -> None:
        with pytest.raises(ValidationFailed) as raised:
            api_key_create(name="host", scopes=["feed:read", "root"], created_by=None)
        assert "root" in raised.value.detail
        with pytest.raises(ValidationFailed):
            api_key_create(name="host", scopes=[], created_by=None)
        with pytest.raises(ValidationFailed):
            api_key_create(name="  ", scopes=["feed:read"], created_by=None)
        assert not ApiKey.objects.exists()

    def test_admin_scope_implies_all(self) -> None:
        api_key, _raw = api_key_create(name="ops", scopes=["admin"], created_by=None)
        assert api_key.has_scope(ApiScope.EVENTS_WRITE)
        api_key, _raw = api_key_create(name="feed", scopes=["feed:read"], created_by=None)
        assert not api_key.has_scope(ApiScope.EVENTS_WRITE)

    def test_last_use_is_recorded_at_most_once_a_minute(self) -> None:
        api_key, _raw = api_key_create(name="host", scopes=["feed:read"], created_by=None)
        api_key_record_use(api_key=api_key, now=NOW)
        api_key_record_use(api_key=api_key, now=NOW.replace(second=30))
        assert ApiKey.objects.get(pk=api_key.pk).last_used_at == NOW
        later = NOW.replace(minute=5)
        api_key_record_use(api_key=api_key, now=later)
        assert ApiKey.objects.get(pk=api_key.pk).last_used_at == later
