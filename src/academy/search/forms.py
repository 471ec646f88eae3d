"""Forms of the search pages: the search box with its filters, and Studio's content-gap range."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import get_language_info, gettext_lazy
from django.utils.translation import gettext as _

from academy.catalog.choices import LessonKind, Level
from academy.catalog.models import Topic
from academy.search.analytics import MAX_RANGE_DAYS
from academy.search.backends import Filters
from academy.search.selectors import MAX_PAGE

REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
DEFAULT_RANGE_DAYS = 28


def kind_choices() -> list[tuple[str, str]]:
    return [
        ("course", str(_("Courses"))),
        *((str(value), str(label)) for value, label in LessonKind.choices),
        ("wiki", str(_("Wiki articles"))),
    ]


def kind_label(kind: str) -> str:
    labels = {"course": _("Course"), "wiki": _("Wiki article")}
    if kind in labels:
        return str(labels[kind])
    return str(LessonKind(kind).label) if kind in LessonKind.values else kind


class SearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search the Academy"), required=False, strip=True)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False)
    level = forms.ChoiceField(label=gettext_lazy("Level"), required=False)
    language = forms.ChoiceField(label=gettext_lazy("Language"), required=False)
    topic = forms.ChoiceField(label=gettext_lazy("Topic"), required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE)
    rid = forms.CharField(required=False)

    def __init__(self, *args: Any, topic_rows: QuerySet[Topic], language: str, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self._set_choices("kind", _("Any kind"), kind_choices())
        self._set_choices("level", _("Any level"), [(str(v), str(n)) for v, n in Level.choices])
        self._set_choices(
            "language",
            _("Any language"),
            [
                (code, str(get_language_info(code)["name_local"]).capitalize())
                for code, _name in settings.LANGUAGES
            ],
        )
        self._set_choices(
            "topic", _("Any topic"), [(topic.slug, topic.name_in(language)) for topic in topic_rows]
        )
        # Autocomplete: htmx asks for suggestions as the creator types (search/_suggestions.html).
        self.fields["q"].widget.attrs.update(
            {
                "type": "search",
                "autocomplete": "off",
                "enterkeyhint": "search",
                "hx-get": reverse("search:suggest"),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": "#search-suggestions",
                "hx-swap": "innerHTML",
            }
        )

    def _set_choices(self, name: str, blank: str, choices: list[tuple[str, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", blank), *choices]

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(
            kind=data.get("kind") or None,
            level=data.get("level") or None,
            language=data.get("language") or None,
            topic=data.get("topic") or None,
        )

    def clean_rid(self) -> str:
        # A results page carries its request id to the next page; anything else starts afresh.
        rid = str(self.cleaned_data.get("rid") or "")
        return rid if REQUEST_ID.match(rid) else ""


class ResultClickForm(forms.Form):
    """The click-through from a result to its item (`/search/go/`)."""

    item = forms.RegexField(regex=r"^(course|lesson|wiki):[-\w]{1,100}$")
    rid = forms.RegexField(regex=REQUEST_ID.pattern)
    q = forms.CharField(required=False, max_length=1000)
    rank = forms.IntegerField(min_value=1, max_value=10_000)


class GapRangeForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        end = data.get("end") or self.today
        start = data.get("start") or end - timedelta(days=DEFAULT_RANGE_DAYS - 1)
        if start > end:
            raise forms.ValidationError(_("The start date is after the end date."))
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            raise forms.ValidationError(
                _("Choose at most %(days)d days.") % {"days": MAX_RANGE_DAYS}
            )
        data["start"], data["end"] = start, end
        return data
