from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from academy.accounts.models import ApiKey, User
from academy.accounts.selectors import user_role
from academy.accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_apikey_create_prints_only_a_working_key() -> None:
    printed = run("apikey", "create", "--name", "host", "--scopes", "feed:read")
    key = printed.strip()
    assert printed == key + "\n"
    assert key.startswith("ca_")
    response = Client(headers={"Authorization": f"Bearer {key}"}).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["scopes"] == ["feed:read"]


def test_apikey_create_refuses_unknown_scopes() -> None:
    with pytest.raises(CommandError, match="Unknown scope"):
        run("apikey", "create", "--name", "host", "--scopes", "feed:read,root")
    assert not ApiKey.objects.exists()


def test_apikey_list_and_revoke() -> None:
    key = run("apikey", "create", "--name", "host", "--scopes", "feed:read").strip()
    api_key = ApiKey.objects.get()
    assert "host" in run("apikey", "list")
    assert key not in run("apikey", "list")
    run("apikey", "revoke", str(api_key.pk))
    assert "revoked" in run("apikey", "list")
    assert Client(headers={"Authorization": f"Bearer {key}"}).get("/api/v1/me").status_code == 401


def test_user_create_and_set_role() -> None:
    run("user", "create", "--email", "ed@example.com", "--role", "editor", "--password", PASSWORD)
    user = User.objects.get(email="ed@example.com")
    assert user_role(user=user) == "editor"
    run("user", "set-role", "--email", "ED@example.com", "--role", "analyst")
    assert user_role(user=User.objects.get(pk=user.pk)) == "analyst"
    with pytest.raises(CommandError, match="already exists"):
        run(
            "user", "create", "--email", "ed@example.com", "--role", "admin", "--password", PASSWORD
        )
    with pytest.raises(CommandError, match="stronger password"):
        run("user", "create", "--email", "new@example.com", "--role", "admin", "--password", "123")


def test_demo_prepares_accounts_for_every_role_and_is_repeatable() -> None:
    run("demo", "--no-serve")
    run("demo", "--no-serve")
    roles = {user_role(user=user) for user in User.objects.all()}
    assert roles == {"creator", "editor", "analyst", "admin"}
    assert User.objects.count() == 4
