"""Account pages: sign up, onboarding, and the admin's API key page. Sign-in, sign-out and
password reset are Django's own views with our templates (see urls.py)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from academy.accounts.forms import ApiKeyCreateForm, OnboardingForm, ProfileForm, SignUpForm
from academy.accounts.models import ApiKey, User
from academy.accounts.selectors import api_keys_list, creator_for_user
from academy.accounts.services import (
    api_key_create,
    api_key_revoke,
    creator_onboard,
    creator_profile_update,
    user_sign_up,
)
from academy.core.errors import AcademyError
from academy.privacy.services import creator_export


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("web:home")
    form = SignUpForm(request.POST or None, initial={"language": request.LANGUAGE_CODE})
    if request.method == "POST" and form.is_valid():
        try:
            user = user_sign_up(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                display_name=form.cleaned_data["display_name"],
                birth_year=form.cleaned_data["birth_year"],
                language=form.cleaned_data["language"],
                region=form.cleaned_data["region"],
            )
        except AcademyError as error:
            form.add_service_error(error)
        else:
            login(request, user, backend="academy.accounts.backends.EmailOrUsernameBackend")
            return redirect("accounts:onboarding")
    return render(
        request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def onboarding(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    creator = creator_for_user(user=request.user)
    if creator is None:
        return redirect("web:home")
    initial = {"goals": creator.goals, "niche": creator.niche, "level": creator.level}
    form = OnboardingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            creator_onboard(
                creator=creator,
                goals=form.cleaned_data["goals"],
                niche=form.cleaned_data["niche"],
                level=form.cleaned_data["level"],
            )
        except AcademyError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Thanks! Your Academy is now tuned to you."))
            return redirect("web:home")
    return render(
        request, "accounts/onboarding.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    creator = creator_for_user(user=request.user)
    if creator is None:
        return redirect("web:home")
    initial = {
        "display_name": request.user.display_name,
        "handle": creator.handle,
        "region": creator.region,
        "language": creator.language,
        "timezone": creator.timezone,
        "personalisation_consent": creator.personalisation_consent,
    }
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            creator_profile_update(
                creator=creator,
                display_name=form.cleaned_data["display_name"],
                handle=form.cleaned_data["handle"],
                region=form.cleaned_data["region"],
                language=form.cleaned_data["language"],
                timezone_name=form.cleaned_data["timezone"],
                personalisation_consent=form.cleaned_data["personalisation_consent"],
            )
        except AcademyError as error:
            form.add_service_error(error)
        else:
            translation.activate(creator.language)
            messages.success(request, _("Your profile is saved."))
            return redirect("accounts:profile")
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "creator": creator},
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def data_export(request: HttpRequest) -> HttpResponse:
    """Download everything the platform holds about the signed-in creator, as JSON."""
    assert isinstance(request.user, User)
    creator = creator_for_user(user=request.user)
    if creator is None:
        return redirect("web:home")
    response = JsonResponse(
        creator_export(creator=creator), json_dumps_params={"indent": 2, "default": str}
    )
    response["Content-Disposition"] = 'attachment; filename="creator-academy-my-data.json"'
    return response


@permission_required("accounts.manage_api_keys", raise_exception=True)
@require_http_methods(["GET", "POST"])
def api_keys(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    form = ApiKeyCreateForm(request.POST or None)
    new_key: str | None = None
    if request.method == "POST" and form.is_valid():
        try:
            _api_key, new_key = api_key_create(
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                created_by=request.user,
            )
        except AcademyError as error:
            form.add_service_error(error)
        else:
            form = ApiKeyCreateForm()
    return render(
        request,
        "accounts/api_keys.html",
        {"form": form, "api_keys": api_keys_list(), "new_key": new_key},
        status=400 if form.errors else 200,
    )


@permission_required("accounts.manage_api_keys", raise_exception=True)
@require_POST
def api_key_revoke_view(request: HttpRequest, key_id: int) -> HttpResponse:
    api_key = get_object_or_404(ApiKey, pk=key_id)
    api_key_revoke(api_key=api_key)
    messages.success(request, _("The key “%(name)s” has been revoked.") % {"name": api_key.name})
    return redirect("accounts:api_keys")
