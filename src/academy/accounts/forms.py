"""Forms parse and present input; the rules live in services, whose errors land on fields."""

from __future__ import annotations

import functools
import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from academy.accounts.choices import ApiScope, Goal, Level, Niche, Region
from academy.core.errors import AcademyError


@functools.cache
def time_zone_names() -> list[str]:
    """IANA zones people pick from (Area/City), plus UTC."""
    names = {
        name
        for name in zoneinfo.available_timezones()
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/"))
    }
    return ["UTC", *sorted(names)]


class ServiceErrorsMixin(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def add_service_error(self, error: AcademyError) -> None:
        # The summary at the top is announced (role="alert"); the field messages sit by fields.
        self.add_error(None, error.detail)
        for field, message in error.errors.items():
            self.add_error(field if field in self.fields else None, message)


class SignUpForm(ServiceErrorsMixin):
    display_name = forms.CharField(
        label=_("Your name"), max_length=80, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label=_("E-mail address"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only numbers, not a common password."),
    )
    birth_year = forms.TypedChoiceField(
        label=_("Birth year"),
        coerce=int,
        help_text=_("You must be 13 or older. We only keep the year."),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        # Each language in its own name, as in the footer's switcher.
        choices=[(code, get_language_info(code)["name_local"]) for code, _n in settings.LANGUAGES],
    )
    region = forms.ChoiceField(label=_("Region"), choices=Region.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        this_year = timezone.now().year
        years = [(str(year), str(year)) for year in range(this_year, 1919, -1)]
        field = self.fields["birth_year"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("Choose a year")), *years]


class OnboardingForm(ServiceErrorsMixin):
    goals = forms.MultipleChoiceField(
        label=_("What do you want to achieve?"),
        choices=Goal.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Pick as many as you like."),
    )
    niche = forms.ChoiceField(
        label=_("What are your videos about?"), choices=Niche.choices, widget=forms.RadioSelect
    )
    level = forms.ChoiceField(
        label=_("How experienced are you as a creator?"),
        choices=Level.choices,
        widget=forms.RadioSelect,
    )


class ApiKeyCreateForm(ServiceErrorsMixin):
    name = forms.CharField(label=_("Name"), max_length=80, help_text=_("Who will use this key?"))
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=ApiScope.choices, widget=forms.CheckboxSelectMultiple
    )


class ProfileForm(ServiceErrorsMixin):
    display_name = forms.CharField(label=_("Your name"), max_length=80)
    handle = forms.CharField(
        label=_("Your creator handle"),
        max_length=40,
        required=False,
        help_text=_("As it appears on your videos, without the @."),
    )
    region = forms.ChoiceField(label=_("Region"), choices=Region.choices)
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[(code, get_language_info(code)["name_local"]) for code, _n in settings.LANGUAGES],
    )
    timezone = forms.ChoiceField(
        label=_("Time zone"),
        help_text=_("Your weekly learning streak follows your weeks, Monday to Sunday."),
    )
    personalisation_consent = forms.BooleanField(
        label=_("Personalise what the Academy shows me"),
        required=False,
        help_text=_(
            "Uses your answers and what you learn to pick lessons for you. Turn it off for the "
            "same suggestions everyone gets."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["timezone"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(name, name.replace("_", " ")) for name in time_zone_names()]
