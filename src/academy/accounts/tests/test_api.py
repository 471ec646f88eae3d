from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from academy.accounts.choices import Role
from academy.accounts.models import ApiKey, Creator
from academy.accounts.services import api_key_revoke
from academy.accounts.tests.factories import make_api_key, make_creator_user, make_staff_user

pytestmark = pytest.mark.django_db
ClientFactory = Callable[..., Client]


def problem(response: object) -> dict[str, object]:
    assert response["Content-Type"] == "application/problem+json"  # type: ignore[index]
    body: dict[str, object] = json.loads(response.content)  # type: ignore[attr-defined]
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == response.status_code  # type: ignore[attr-defined]
    return body


class TestMe:
    def test_key_sees_itself_and_its_scopes(self, api_key_client: ClientFactory) -> None:
        response = api_key_client("feed:read", "events:write").get("/api/v1/me")
        assert response.status_code == 200
        body = response.json()
        assert body["kind"] == "api_key"
        assert body["scopes"] == ["events:write", "feed:read"]
        assert body["api_key"]["name"] == "host app"
        assert body["user"] is None

    def test_signed_in_creator_sees_their_profile(self, client: Client) -> None:
        user = make_creator_user(display_name="Rui", language="pt-br")
        client.force_login(user)
        body = client.get("/api/v1/me").json()
        assert body["kind"] == "user"
        assert body["user"]["display_name"] == "Rui"
        assert body["user"]["role"] == "creator"
        assert body["creator"]["language"] == "pt-br"
        assert body["creator"]["onboarded"] is True

    def test_no_credentials_is_401_problem(self, client: Client) -> None:
        response = client.get("/api/v1/me")
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        problem(response)

    @pytest.mark.parametrize(
        "header", ["Bearer ca_000000000000_wrong", "Bearer nonsense", "Basic dXNlcjpwYXNz"]
    )
    def test_wrong_key_is_401_problem(self, header: str) -> None:
        response = Client(headers={"Authorization": header}).get("/api/v1/me")
        assert response.status_code == 401
        assert "key" in str(problem(response)["detail"]).lower()

    def test_revoked_key_is_401_problem(self) -> None:
        api_key, raw = make_api_key(scopes=["feed:read"])
        host = Client(headers={"Authorization": f"Bearer {raw}"})
        assert host.get("/api/v1/me").status_code == 200
        api_key_revoke(api_key=api_key)
        response = host.get("/api/v1/me")
        assert response.status_code == 401
        assert "revoked" in str(problem(response)["detail"])


class TestCreators:
    def test_put_creates_then_updates(self, api_key_client: ClientFactory) -> None:
        host = api_key_client("creators:write", "creators:read")
        payload = {"handle": "dani", "follower_count": 12_000, "region": "ES", "language": "es"}
        created = host.put("/api/v1/creators/host-42", payload, content_type="application/json")
        assert created.status_code == 201
        assert created.json()["follower_tier"] == "micro"
        payload["follower_count"] = 150_000
        updated = host.put("/api/v1/creators/host-42", payload, content_type="application/json")
        assert updated.status_code == 200
        assert host.get("/api/v1/creators/host-42").json()["follower_tier"] == "mid"
        assert Creator.objects.count() == 1

    def test_missing_scope_is_403_naming_it(self, api_key_client: ClientFactory) -> None:
        response = api_key_client("feed:read").put(
            "/api/v1/creators/x", {}, content_type="application/json"
        )
        assert response.status_code == 403
        assert "creators:write" in str(problem(response)["detail"])
        assert not Creator.objects.exists()

    def test_unknown_creator_is_404(self, api_key_client: ClientFactory) -> None:
        response = api_key_client("creators:read").get("/api/v1/creators/nobody")
        assert response.status_code == 404
        assert "nobody" in str(problem(response)["detail"])

    def test_malformed_json_is_400_naming_the_body(self, api_key_client: ClientFactory) -> None:
        response = api_key_client("creators:write").put(
            "/api/v1/creators/x", '{"handle": "a",', content_type="application/json"
        )
        assert response.status_code == 400
        body = problem(response)
        assert body["errors"] == [
            {"field": "body", "message": "Expecting property name enclosed in double quotes"}
        ]
        assert "line 1" in str(body["detail"])
        assert not Creator.objects.exists()

    def test_invalid_field_is_400_naming_the_field(self, api_key_client: ClientFactory) -> None:
        response = api_key_client("creators:write").put(
            "/api/v1/creators/x",
            {"follower_count": -5, "region": "Narnia"},
            content_type="application/json",
        )
        assert response.status_code == 400
        body = problem(response)
        fields = {error["field"] for error in body["errors"]}  # type: ignore[attr-defined]
        assert fields == {"follower_count", "region"}
        assert "follower_count" in str(body["detail"])
        assert not Creator.objects.exists()

    def test_under_13_is_400_naming_birth_year(self, api_key_client: ClientFactory) -> None:
        response = api_key_client("creators:write").put(
            "/api/v1/creators/kid", {"birth_year": 2022}, content_type="application/json"
        )
        assert response.status_code == 400
        assert problem(response)["errors"][0]["field"] == "birth_year"  # type: ignore[index]

    def test_bad_external_id_is_400(self, api_key_client: ClientFactory) -> None:
        response = api_key_client("creators:read").get("/api/v1/creators/has%20space")
        assert response.status_code == 400
        problem(response)


class TestOnboardingApi:
    def test_creator_answers_through_the_api(self, client: Client) -> None:
        user = make_creator_user(onboarded=False)
        client.force_login(user)
        response = client.put(
            "/api/v1/me/onboarding",
            {"goals": ["go_live"], "niche": "music", "level": "intermediate"},
            content_type="application/json",
        )
        assert response.status_code == 200
        assert response.json()["onboarded"] is True

    def test_session_writes_need_the_csrf_token(self) -> None:
        user = make_creator_user(onboarded=False)
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(user)
        response = browser.put(
            "/api/v1/me/onboarding",
            {"goals": ["go_live"], "niche": "music", "level": "intermediate"},
            content_type="application/json",
        )
        assert response.status_code == 403
        assert "CSRF" in str(problem(response)["detail"])
        user.creator.refresh_from_db()
        assert user.creator.onboarded_at is None

    def test_a_key_cannot_onboard(self, api_key_client: ClientFactory) -> None:
        response = api_key_client("admin").put(
            "/api/v1/me/onboarding",
            {"goals": ["go_live"], "niche": "music", "level": "intermediate"},
            content_type="application/json",
        )
        assert response.status_code == 403


class TestApiKeysApi:
    def test_admin_creates_lists_and_revokes(
        self, api_key_client: ClientFactory, django_assert_num_queries: DjangoAssertNumQueries
    ) -> None:
        admin = api_key_client("admin")
        created = admin.post(
            "/api/v1/api-keys",
            {"name": "tiktok-like host", "scopes": ["events:write", "feed:read"]},
            content_type="application/json",
        )
        assert created.status_code == 201
        new_key = created.json()["key"]
        assert Client(headers={"Authorization": f"Bearer {new_key}"}).get("/api/v1/me").json()[
            "scopes"
        ] == ["events:write", "feed:read"]
        for index in range(5):
            make_api_key(scopes=["feed:read"], name=f"extra {index}")
        # The list itself, however many keys exist: the key was checked (and its use recorded)
        # by the previous call of this process.
        with django_assert_num_queries(1):
            listed = admin.get("/api/v1/api-keys")
        assert listed.status_code == 200
        assert len(listed.json()) == 7
        assert all("key" not in item and "secret_hash" not in item for item in listed.json())
        key_id = created.json()["id"]
        revoked = admin.delete(f"/api/v1/api-keys/{key_id}")
        assert revoked.json()["active"] is False
        assert (
            Client(headers={"Authorization": f"Bearer {new_key}"}).get("/api/v1/me").status_code
            == 401
        )

    def test_non_admin_is_403(self, client: Client, api_key_client: ClientFactory) -> None:
        assert api_key_client("feed:read").get("/api/v1/api-keys").status_code == 403
        client.force_login(make_staff_user(role=Role.EDITOR))
        response = client.get("/api/v1/api-keys")
        assert response.status_code == 403
        problem(response)

    def test_unknown_scope_is_400(self, api_key_client: ClientFactory) -> None:
        response = api_key_client("admin").post(
            "/api/v1/api-keys",
            {"name": "x", "scopes": ["everything"]},
            content_type="application/json",
        )
        assert response.status_code == 400
        assert problem(response)["errors"][0]["field"] == "scopes.0"  # type: ignore[index]
        assert ApiKey.objects.count() == 1  # only the admin's own key

    def test_revoking_unknown_key_is_404(self, api_key_client: ClientFactory) -> None:
        assert api_key_client("admin").delete("/api/v1/api-keys/999999").status_code == 404


class TestProtocolErrors:
    def test_wrong_method_is_405_problem_with_allow(self, api_key_client: ClientFactory) -> None:
        response = api_key_client("feed:read").post("/api/v1/me")
        assert response.status_code == 405
        assert "GET" in response["Allow"]
        assert "POST" in str(problem(response)["detail"])

    def test_oversized_body_is_413_problem(self, api_key_client: ClientFactory) -> None:
        body = '{"handle": "' + "x" * (3 * 1024 * 1024) + '"}'
        response = api_key_client("creators:write").put(
            "/api/v1/creators/big", body, content_type="application/json"
        )
        assert response.status_code == 413
        problem(response)
        assert not Creator.objects.exists()
