"""Forms of the creator's For You page: the feed's cursor, the card click-through, the card
controls ("not interested", "hide topic", "show again") and the feed settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from academy.search.forms import REQUEST_ID

ITEM = r"^(course|lesson|wiki):[-\w]{1,100}$"
TOPIC = r"^[-a-z0-9]{1,40}$"
CURSOR = r"^[0-9a-f]{1,32}$"


class FeedPageForm(forms.Form):
    """`/for-you/?cursor=…&partial=1`: the next page of an endless feed."""

    cursor = forms.RegexField(regex=CURSOR, required=False)
    partial = forms.BooleanField(required=False)


class CardClickForm(forms.Form):
    """The click-through from a card to its item (`/for-you/go/`)."""

    item = forms.RegexField(regex=ITEM)
    rid = forms.RegexField(regex=REQUEST_ID.pattern)
    pos = forms.IntegerField(min_value=0, max_value=10_000)


class HideForm(forms.Form):
    """Hide an item or a whole topic, or show it again: exactly one of the two."""

    item = forms.RegexField(regex=ITEM, required=False)
    topic = forms.RegexField(regex=TOPIC, required=False)
    rid = forms.RegexField(regex=REQUEST_ID.pattern, required=False)
    # Where a page without JavaScript goes back to.
    back = forms.ChoiceField(choices=[("feed", "feed"), ("settings", "settings")], required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("item")) == bool(data.get("topic")):
            raise forms.ValidationError(_("Name either an item or a topic."))
        return data


class FeedSettingsForm(forms.Form):
    personalised = forms.BooleanField(
        label=gettext_lazy("Personalise my For You feed"),
        required=False,
        help_text=gettext_lazy(
            "Uses what you learn here, your goals and your niche. When it is off, you get the "
            "same popular and new content as everyone who reads in your language."
        ),
    )
    cards_on = forms.BooleanField(
        label=gettext_lazy("Show Academy cards in my main feed"),
        required=False,
        help_text=gettext_lazy(
            "At most three a day, never one you said you are not interested in."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["role"] = "switch"
