from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from academy.accounts.choices import Role
from academy.accounts.models import ApiKey, User
from academy.accounts.tests.factories import PASSWORD, make_creator_user, make_staff_user

pytestmark = pytest.mark.django_db


def signup_form(**overrides: str) -> dict[str, str]:
    form = {
        "display_name": "Lina",
        "email": "lina@example.com",
        "password": PASSWORD,
        "birth_year": "2001",
        "language": "es",
        "region": "MX",
    }
    form.update(overrides)
    return form


class TestSignUpAndOnboarding:
    def test_new_creator_is_signed_in_and_sent_to_onboarding(self, client: Client) -> None:
        response = client.post("/accounts/signup/", signup_form())
        assert response.status_code == 302
        assert response["Location"] == "/accounts/onboarding/"
        # Until they answer, every page leads back to onboarding.
        assert client.get("/home/")["Location"] == "/accounts/onboarding/"
        assert client.get("/accounts/onboarding/").status_code == 200
        done = client.post(
            "/accounts/onboarding/",
            {"goals": ["grow_audience", "monetise"], "niche": "food", "level": "beginner"},
        )
        assert done["Location"] == "/home/"
        home = client.get("/home/")
        assert home.status_code == 200
        assert "Lina" in home.content.decode()
        assert '<html lang="es">' in home.content.decode()

    def test_under_13_sees_the_reason_and_no_account_exists(self, client: Client) -> None:
        response = client.post("/accounts/signup/", signup_form(birth_year="2020", language="en"))
        assert response.status_code == 400
        assert "13 and over" in response.content.decode()
        assert not User.objects.exists()

    def test_taken_email_is_shown_on_the_field(self, client: Client) -> None:
        make_creator_user(email="lina@example.com")
        response = client.post(
            "/accounts/signup/", signup_form(email="LINA@example.com", language="en")
        )
        assert response.status_code == 400
        assert "already registered" in response.content.decode()

    def test_onboarding_needs_a_goal(self, client: Client) -> None:
        client.force_login(make_creator_user(onboarded=False))
        response = client.post("/accounts/onboarding/", {"niche": "food", "level": "beginner"})
        assert response.status_code == 400
        assert 'aria-invalid="true"' in response.content.decode()


class TestSignInAndPasswordReset:
    def test_sign_in_with_email_in_any_case(self, client: Client) -> None:
        make_creator_user(email="rui@example.com")
        response = client.post(
            "/accounts/login/", {"username": "RUI@example.com", "password": PASSWORD}
        )
        assert response.status_code == 302
        assert client.get("/home/").status_code == 200

    def test_wrong_password_says_so(self, client: Client) -> None:
        make_creator_user(email="rui@example.com")
        response = client.post("/accounts/login/", {"username": "rui@example.com", "password": "x"})
        assert response.status_code == 200
        assert "do not match" in response.content.decode()

    def test_sign_out(self, client: Client) -> None:
        client.force_login(make_creator_user())
        client.post("/accounts/logout/")
        assert client.get("/home/").status_code == 302

    def test_password_reset_by_email(self, client: Client) -> None:
        make_creator_user(email="rui@example.com")
        client.post("/accounts/password-reset/", {"email": "rui@example.com"})
        assert len(mail.outbox) == 1
        link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", str(mail.outbox[0].body))
        assert link is not None
        form_page = client.get(link.group(1), follow=True)
        new_password = "another-Long-passphrase-7"
        client.post(
            form_page.redirect_chain[-1][0],
            {"new_password1": new_password, "new_password2": new_password},
        )
        assert User.objects.get(email="rui@example.com").check_password(new_password)


class TestApiKeyPage:
    def test_admin_creates_a_key_shown_once_and_revokes_it(self, client: Client) -> None:
        client.force_login(make_staff_user(role=Role.ADMIN))
        page = client.post("/accounts/api-keys/", {"name": "host", "scopes": ["feed:read"]})
        html = page.content.decode()
        shown = re.search(r'value="(ca_[^"]+)"', html)
        assert shown is not None
        assert (
            Client(headers={"Authorization": f"Bearer {shown.group(1)}"})
            .get("/api/v1/me")
            .status_code
            == 200
        )
        assert shown.group(1) not in client.get("/accounts/api-keys/").content.decode()
        api_key = ApiKey.objects.get()
        client.post(f"/accounts/api-keys/{api_key.pk}/revoke/")
        assert (
            Client(headers={"Authorization": f"Bearer {shown.group(1)}"})
            .get("/api/v1/me")
            .status_code
            == 401
        )

    @pytest.mark.parametrize("role", [Role.CREATOR, Role.EDITOR, Role.ANALYST])
    def test_other_roles_are_refused(self, client: Client, role: Role) -> None:
        user = make_creator_user() if role == Role.CREATOR else make_staff_user(role=role)
        client.force_login(user)
        assert client.get("/accounts/api-keys/").status_code == 403
        assert (
            client.post("/accounts/api-keys/", {"name": "x", "scopes": ["admin"]}).status_code
            == 403
        )
        assert not ApiKey.objects.exists()


class TestProfile:
    def test_creator_edits_profile_and_language_follows(self, client: Client) -> None:
        user = make_creator_user(display_name="Lina", language="en")
        client.force_login(user)
        assert client.get("/accounts/profile/").status_code == 200
        response = client.post(
            "/accounts/profile/",
            {
                "display_name": "Lina M.",
                "handle": "lina.cooks",
                "region": "BR",
                "language": "pt-br",
                "timezone": "America/Sao_Paulo",
            },
        )
        assert response.status_code == 302
        user.refresh_from_db()
        user.creator.refresh_from_db()
        assert user.display_name == "Lina M."
        assert (user.creator.timezone, user.creator.language) == ("America/Sao_Paulo", "pt-br")
        # An unchecked box is an explicit "no".
        assert user.creator.personalisation_consent is False
        assert '<html lang="pt-br">' in client.get("/accounts/profile/").content.decode()

    def test_unknown_time_zone_is_400_and_nothing_changes(self, client: Client) -> None:
        user = make_creator_user()
        client.force_login(user)
        response = client.post(
            "/accounts/profile/",
            {"display_name": "X", "region": "US", "language": "en", "timezone": "Mars/Olympus"},
        )
        assert response.status_code == 400
        user.creator.refresh_from_db()
        assert user.creator.timezone == "UTC"

    def test_data_export_downloads_every_store(self, client: Client) -> None:
        user = make_creator_user(display_name="Rui")
        client.force_login(user)
        response = client.get("/accounts/profile/my-data.json")
        assert response["Content-Disposition"].startswith("attachment")
        body = response.json()
        assert body["stores"]["accounts"]["account"]["display_name"] == "Rui"
        assert "learning" in body["stores"]
