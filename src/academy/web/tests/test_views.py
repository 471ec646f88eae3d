from __future__ import annotations

import pytest
from django.test import Client

from academy.accounts.choices import Role
from academy.accounts.tests.factories import make_creator_user, make_staff_user

pytestmark = pytest.mark.django_db


def nav_labels(html: str) -> set[str]:
    return {label for label in ("Studio", "Console", "Admin") if f">{label}</a>" in html}


class TestNavigationByRole:
    @pytest.mark.parametrize(
        ("role", "visible"),
        [
            (Role.CREATOR, set()),
            (Role.EDITOR, {"Studio"}),
            (Role.ANALYST, {"Console"}),
            (Role.ADMIN, {"Studio", "Console", "Admin"}),
        ],
    )
    def test_each_role_sees_its_areas(self, client: Client, role: Role, visible: set[str]) -> None:
        user = make_creator_user() if role == Role.CREATOR else make_staff_user(role=role)
        client.force_login(user)
        assert nav_labels(client.get("/home/").content.decode()) == visible
        areas = {"Studio": "/studio/", "Console": "/console/", "Admin": "/operator/"}
        for label, url in areas.items():
            assert client.get(url).status_code == (200 if label in visible else 403)

    def test_anonymous_is_sent_to_sign_in(self, client: Client) -> None:
        response = client.get("/studio/")
        assert response.status_code == 403
        assert client.get("/home/")["Location"].startswith("/accounts/login/")


class TestLanguage:
    def test_switch_persists_on_the_creator_profile(self, client: Client) -> None:
        user = make_creator_user(language="en")
        client.force_login(user)
        response = client.post("/i18n/setlang/", {"language": "pt-br", "next": "/home/"})
        assert response.status_code == 302
        user.creator.refresh_from_db()
        assert user.creator.language == "pt-br"
        # Another device (no language cookie) still gets the profile's language.
        other = Client()
        other.force_login(user)
        assert '<html lang="pt-br">' in other.get("/home/").content.decode()

    def test_anonymous_visitor_uses_accept_language(self) -> None:
        html = Client(headers={"Accept-Language": "es"}).get("/").content.decode()
        assert '<html lang="es">' in html

    def test_unknown_language_is_400(self, client: Client) -> None:
        assert client.post("/i18n/setlang/", {"language": "tlh"}).status_code == 400


class TestHealthAndErrors:
    def test_liveness_and_readiness(self, client: Client) -> None:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["status"] == "ready"

    def test_unknown_page_is_html_and_unknown_api_path_is_problem(self, client: Client) -> None:
        page = client.get("/no-such-page/")
        assert page.status_code == 404
        assert page["Content-Type"].startswith("text/html")
        api = client.get("/api/v1/no-such-thing")
        assert api.status_code == 404
        assert api["Content-Type"] == "application/problem+json"
        assert api.json()["status"] == 404

    def test_landing_page_for_visitors(self, client: Client) -> None:
        html = client.get("/").content.decode()
        assert "Join free" in html
        assert "cdn" not in html.lower()
