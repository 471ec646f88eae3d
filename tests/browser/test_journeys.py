"""End-to-end journeys through the real server in Chromium: a creator, the staff, the keyboard.

Pages a Spanish-speaking creator sees are located through the Spanish catalogue the server itself
uses (``in_spanish``), so the locators keep checking that every field has its label.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

import academy
from tests.browser.conftest import EXPECT_TIMEOUT_MS, ContextFactory, LiveServer, Screenshots
from tests.browser.pages import assert_no_horizontal_overflow, main_of

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

expect.set_options(timeout=EXPECT_TIMEOUT_MS)

SPANISH_CATALOGUE = Path(academy.__file__).parent / "locale" / "es" / "LC_MESSAGES" / "django.mo"
PASSWORD = "Wave-Rider-2741!"
STUDIO_LINK = re.compile(r"^\s*(Studio|Estudio)\s*$", re.IGNORECASE)

_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def in_spanish(message: str) -> str:
    with translation.override("es"):
        return translation.gettext(message)


def this_year() -> int:
    return datetime.now(UTC).year


def unique_email(who: str) -> str:
    return f"{who}-{uuid.uuid4().hex[:8]}@example.com"


def sign_in(page: Page, server: LiveServer, *, email: str, password: str) -> None:
    page.goto(server.url("/accounts/login/"))
    main = main_of(page)
    main.get_by_label("E-mail address").fill(email)
    main.get_by_label("Password").fill(password)
    main.get_by_role("button", name="Sign in").click()


def api_get(url: str, *, api_key: str) -> tuple[int, str, bytes]:
    """GET with a bearer key, as a host app would; returns status, content type and body."""
    request = urllib.request.Request(  # noqa: S310 - a fixed http:// URL of the test server
        url, headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
    )
    try:
        with _direct.open(request, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers.get("Content-Type", ""), error.read()


# ---------------------------------------------------------------------------------------------
# Journey 1: a new creator, on a phone, in Spanish


def test_new_creator_signs_up_in_spanish_onboards_and_is_greeted(
    academy_server: LiveServer, new_context: ContextFactory, screenshot: Screenshots
) -> None:
    assert SPANISH_CATALOGUE.exists(), (
        f"{SPANISH_CATALOGUE} is missing: compile the translations (academy compilemessages)"
    )
    page = new_context("mobile").new_page()
    name = "Lucía"

    page.goto(academy_server.url("/"))
    screenshot(page, "01-landing")
    assert_no_horizontal_overflow(page)
    main_of(page).get_by_role("button", name="Start learning").click()

    expect(page).to_have_url(academy_server.url("/accounts/signup/"))
    main = main_of(page)
    main.get_by_label("Your name").fill(name)
    main.get_by_label("E-mail address").fill(unique_email("lucia"))
    main.get_by_label("Password").fill(PASSWORD)
    main.get_by_label("Birth year").select_option(str(this_year() - 24))
    main.get_by_label("Language").select_option("es")
    main.get_by_label("Region").select_option("ES")
    screenshot(page, "02-signup-filled")
    assert_no_horizontal_overflow(page)
    main.get_by_role("button", name="Create account").click()

    # From here on the creator's profile language rules every page.
    expect(page).to_have_url(academy_server.url("/accounts/onboarding/"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text(in_spanish("Three quick questions"))
    screenshot(page, "03-onboarding")
    assert_no_horizontal_overflow(page)
    main.get_by_label(in_spanish("Grow my audience"), exact=True).check()
    main.get_by_label(in_spanish("Work with brands"), exact=True).check()
    main.get_by_label(in_spanish("Food and cooking"), exact=True).check()
    main.get_by_label(in_spanish("Beginner"), exact=True).check()
    main.get_by_role("button", name=in_spanish("Show me my Academy")).click()

    expect(page).to_have_url(academy_server.url("/home/"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    greeting = page.get_by_role("heading", level=1)
    expect(greeting).to_contain_text(name)
    expect(greeting).to_contain_text("Hola")
    expect(greeting).to_have_text(in_spanish("Hi, %(name)s!") % {"name": name})
    expect(main.get_by_text(in_spanish("Food and cooking"))).to_be_visible()

    nav = page.get_by_role("navigation", name=in_spanish("Main"))
    expect(nav.get_by_role("link", name=in_spanish("Home"), exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name=in_spanish("My learning"), exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name=STUDIO_LINK)).to_have_count(0)
    expect(page.get_by_role("link", name=STUDIO_LINK)).to_have_count(0)
    screenshot(page, "04-home")
    assert_no_horizontal_overflow(page)

    response = page.goto(academy_server.url("/studio/"))
    assert response is not None
    assert response.status == 403
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        in_spanish("You do not have access to this page.")
    )
    screenshot(page, "05-studio-forbidden")
    assert_no_horizontal_overflow(page)


# ---------------------------------------------------------------------------------------------
# Journey 2: an editor opens the Studio; an admin creates, uses and revokes an API key


def test_editor_opens_studio_and_admin_creates_uses_and_revokes_an_api_key(
    academy_server: LiveServer, new_context: ContextFactory, screenshot: Screenshots
) -> None:
    editor_email, admin_email = unique_email("editor"), unique_email("admin")
    academy_server.create_user(email=editor_email, name="Eli", role="editor", password=PASSWORD)
    academy_server.create_user(email=admin_email, name="Ada", role="admin", password=PASSWORD)

    # The editor sees the Studio and nothing above their role.
    page = new_context("desktop").new_page()
    sign_in(page, academy_server, email=editor_email, password=PASSWORD)
    expect(page).to_have_url(academy_server.url("/home/"))
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Console", exact=True)).to_have_count(0)
    expect(nav.get_by_role("link", name="Admin", exact=True)).to_have_count(0)
    screenshot(page, "01-editor-home")
    nav.get_by_role("link", name="Studio", exact=True).click()
    expect(page).to_have_url(academy_server.url("/studio/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Studio")
    expect(nav.get_by_role("link", name="Studio", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    screenshot(page, "02-editor-studio")

    # The admin, in a browser of their own.
    page = new_context("desktop").new_page()
    sign_in(page, academy_server, email=admin_email, password=PASSWORD)
    expect(page).to_have_url(academy_server.url("/home/"))
    nav = page.get_by_role("navigation", name="Main")
    for area in ("Studio", "Console"):
        expect(nav.get_by_role("link", name=area, exact=True)).to_be_visible()
    nav.get_by_role("link", name="Admin", exact=True).click()
    expect(page).to_have_url(academy_server.url("/operator/"))
    screenshot(page, "03-admin-hub")
    main = main_of(page)
    main.get_by_role("link", name="Manage API keys").click()

    expect(page).to_have_url(academy_server.url("/accounts/api-keys/"))
    key_name = "Journey host app"
    main.get_by_label(re.compile(r"^Name")).fill(key_name)
    main.get_by_label("Read feeds and entry points").check()
    main.get_by_role("button", name="Create key").click()

    key_field = main.get_by_label("New API key")
    expect(key_field).to_have_value(re.compile(r"^ca_[0-9a-f]+_[\w-]{20,}$"))
    api_key = key_field.input_value()
    prefix = api_key.split("_")[1]
    row = main.get_by_role("row").filter(has_text=key_name)
    expect(row).to_contain_text(f"ca_{prefix}_")
    expect(row).to_contain_text("feed:read")
    expect(row).not_to_contain_text(api_key)
    screenshot(page, "04-api-key-created")

    # Shown once: the same page, opened again, no longer holds the key.
    page.goto(academy_server.url("/accounts/api-keys/"))
    expect(main.get_by_label("New API key")).to_have_count(0)
    assert api_key not in page.content()

    status, content_type, body = api_get(academy_server.url("/api/v1/me"), api_key=api_key)
    assert status == 200, body
    me = json.loads(body)
    assert me["kind"] == "api_key"
    assert me["scopes"] == ["feed:read"]
    assert me["api_key"]["prefix"] == prefix

    main.get_by_role("button", name=f"Revoke {key_name}").click()
    expect(page).to_have_url(academy_server.url("/accounts/api-keys/"))
    expect(page.get_by_role("status")).to_contain_text("has been revoked")
    expect(row).to_contain_text("Revoked on")
    expect(main.get_by_role("button", name=f"Revoke {key_name}")).to_have_count(0)
    screenshot(page, "05-api-key-revoked")

    status, content_type, body = api_get(academy_server.url("/api/v1/me"), api_key=api_key)
    assert status == 401, body
    assert content_type.startswith("application/problem+json"), content_type
    assert json.loads(body)["status"] == 401


# ---------------------------------------------------------------------------------------------
# Journey 3: keyboard and the age gate


def test_skip_link_comes_first_and_under_13_cannot_sign_up(
    academy_server: LiveServer, new_context: ContextFactory, screenshot: Screenshots
) -> None:
    page = new_context("desktop").new_page()
    page.goto(academy_server.url("/"))
    skip_link = page.get_by_role("link", name="Skip to content")
    expect(skip_link).not_to_be_in_viewport()

    page.keyboard.press("Tab")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport(ratio=1)
    screenshot(page, "01-skip-link-focused")
    page.keyboard.press("Enter")
    expect(page).to_have_url(academy_server.url("/#main"))
    expect(main_of(page)).to_be_focused()

    email = unique_email("young")
    page.goto(academy_server.url("/accounts/signup/"))
    main = main_of(page)
    main.get_by_label("Your name").fill("Young Creator")
    main.get_by_label("E-mail address").fill(email)
    main.get_by_label("Password").fill(PASSWORD)
    birth_year = main.get_by_label("Birth year")
    birth_year.select_option(str(this_year() - 10))
    main.get_by_label("Language").select_option("en")
    main.get_by_label("Region").select_option("US")
    main.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(academy_server.url("/accounts/signup/"))
    refusal = "Creator Academy accounts are for people aged 13 and over."
    error = main.get_by_text(refusal)
    expect(error).to_be_visible()
    expect(birth_year).to_have_attribute("aria-invalid", "true")
    expect(birth_year).to_have_accessible_description(re.compile(re.escape(refusal)))
    expect(main.locator("[aria-invalid='true']")).to_have_count(1)
    # "Next to the field": the message sits right above the select, not somewhere else on the page.
    error_box, field_box = error.bounding_box(), birth_year.bounding_box()
    assert error_box is not None
    assert field_box is not None
    gap = field_box["y"] - (error_box["y"] + error_box["height"])
    assert 0 <= gap <= 48, f"the birth-year error is {gap:.0f}px away from the field"
    screenshot(page, "02-under-13-refused")

    sign_in(page, academy_server, email=email, password=PASSWORD)
    expect(page).to_have_url(academy_server.url("/accounts/login/"))
    expect(main_of(page).get_by_role("alert")).to_contain_text(
        "That e-mail address and password do not match."
    )
    screenshot(page, "03-under-13-cannot-sign-in")
