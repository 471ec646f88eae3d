"""The insights console's filter bar: date range, comparison, breakdown and per-tile parameters.

Every filter lives in the query string, so a dashboard's URL is shareable and the form works as a
plain GET without JavaScript. A missing field takes its default (the last 7 days, compared with
the 7 days before), which is why "compare" is a choice rather than a checkbox: an unticked box
sends nothing and could not be told from "not chosen yet".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from academy.events.taxonomy import BY_NAME, ENTRY_POINTS
from academy.insights.labels import breakdown_label, entry_point_label
from academy.insights.selectors import FILTERS
from academy.insights.tiles import BREAKDOWNS, MAX_DAYS, TileQuery, TileSpec

PRESETS = ("7", "28", "90")
DEFAULT_PRESET = "7"
MAX_STEPS = 6
STEP_SEPARATOR = ","
ENTRY_SEPARATOR = "@"
MAX_RETENTION_DAY = 365
MAX_WINDOW_HOURS = 24 * 90


def parse_steps(text: str) -> list[tuple[str, str]]:
    """``"click@search,lesson_start"`` → ``[("click", "search"), ("lesson_start", "")]``."""
    steps = []
    for part in text.split(STEP_SEPARATOR):
        name, _sep, entry_point = part.strip().partition(ENTRY_SEPARATOR)
        if name:
            steps.append((name, entry_point))
    return steps


def format_steps(steps: list[tuple[str, str]]) -> str:
    return STEP_SEPARATOR.join(
        f"{name}{ENTRY_SEPARATOR}{entry_point}" if entry_point else name
        for name, entry_point in steps
    )


def _step_field(number: int) -> str:
    return f"step{number}"


def _step_entry_field(number: int) -> str:
    return f"step{number}_at"


class InsightsFilterForm(forms.Form):
    """The filters of one dashboard; bind it with ``InsightsFilterForm.from_query``."""

    range = forms.ChoiceField(label=gettext_lazy("Dates"))
    start = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    compare = forms.ChoiceField(label=gettext_lazy("Compare with"))
    breakdown = forms.ChoiceField(label=gettext_lazy("Break down by"), required=False)
    experiment = forms.ChoiceField(label=gettext_lazy("Experiment"), required=False)
    entry_point = forms.ChoiceField(label=gettext_lazy("Entry point"), required=False)

    def __init__(
        self,
        data: Mapping[str, Any],
        *,
        today: date,
        specs: list[TileSpec],
        experiments: list[tuple[str, str]],
    ) -> None:
        super().__init__(data, label_suffix="")
        self.today = today
        self.specs = specs
        self._choices(
            "range",
            [
                ("7", _("Last 7 days")),
                ("28", _("Last 28 days")),
                ("90", _("Last 90 days")),
                ("custom", _("Custom dates")),
            ],
        )
        self._choices("compare", [("previous", _("Previous period")), ("none", _("No comparison"))])
        offered = [b for b in BREAKDOWNS if any(b in spec.breakdowns for spec in specs)]
        self.offers_breakdowns = bool(offered)
        self._choices(
            "breakdown", [("", _("Nothing")), *((b, breakdown_label(b)) for b in offered)]
        )
        self._choices("experiment", [("", _("Choose an experiment")), *experiments])
        self._choices(
            "entry_point",
            [("", _("All entry points")), *((e, entry_point_label(e)) for e in ENTRY_POINTS)],
        )
        self.params = {key: value for spec in specs for key, value in spec.params.items()}
        if "steps" in self.params:
            self._add_funnel_fields()
        if "days" in self.params:
            self.fields["days"] = forms.CharField(
                label=gettext_lazy("Retention after (days)"),
                help_text=gettext_lazy("Comma-separated, e.g. 1,7,14,28"),
                max_length=100,
            )

    @classmethod
    def defaults(cls, specs: list[TileSpec]) -> dict[str, str]:
        defaults = {"range": DEFAULT_PRESET, "compare": "previous"}
        params = {key: value for spec in specs for key, value in spec.params.items()}
        if "steps" in params:
            for number, (name, entry_point) in enumerate(parse_steps(str(params["steps"])), 1):
                defaults[_step_field(number)] = name
                defaults[_step_entry_field(number)] = entry_point
            defaults["window_hours"] = str(params["window_hours"])
            defaults["order"] = str(params["order"])
        if "days" in params:
            defaults["days"] = str(params["days"])
        return defaults

    @classmethod
    def from_query(
        cls,
        query: Mapping[str, str],
        *,
        today: date,
        specs: list[TileSpec],
        experiments: list[tuple[str, str]],
    ) -> InsightsFilterForm:
        """The form bound to the query string, with defaults for what it does not say.

        Funnel steps are all-or-nothing: a query naming any step replaces the default steps.
        """
        data = cls.defaults(specs)
        if any(key.startswith("step") for key in query):
            data = {key: value for key, value in data.items() if not key.startswith("step")}
        data.update(dict(query.items()))
        return cls(data, today=today, specs=specs, experiments=experiments)

    def _choices(self, name: str, choices: list[tuple[str, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def _add_funnel_fields(self) -> None:
        events = [("", _("(no step)")), *((name, name) for name in sorted(BY_NAME))]
        entry_points = [
            ("", _("any entry point")),
            *((e, entry_point_label(e)) for e in ENTRY_POINTS),
        ]
        for number in range(1, MAX_STEPS + 1):
            self.fields[_step_field(number)] = forms.ChoiceField(
                label=_("Step %(number)s") % {"number": number}, choices=events, required=False
            )
            self.fields[_step_entry_field(number)] = forms.ChoiceField(
                label=_("Step %(number)s at") % {"number": number},
                choices=entry_points,
                required=False,
            )
        self.fields["window_hours"] = forms.IntegerField(
            label=gettext_lazy("Conversion window (hours)"), min_value=1, max_value=MAX_WINDOW_HOURS
        )
        self.fields["order"] = forms.ChoiceField(
            label=gettext_lazy("Step order"),
            choices=[("strict", _("In this order")), ("any", _("In any order"))],
        )

    # -- cleaning ---------------------------------------------------------------------------

    def clean_days(self) -> str:
        text = str(self.cleaned_data.get("days") or "")
        try:
            days = sorted({int(part) for part in text.split(",") if part.strip()})
        except ValueError:
            raise ValidationError(_("Write whole numbers of days separated by commas.")) from None
        if not days or days[0] < 1 or days[-1] > MAX_RETENTION_DAY:
            raise ValidationError(
                _("Write days between 1 and %(max)s separated by commas.")
                % {"max": MAX_RETENTION_DAY}
            )
        return ",".join(str(day) for day in days)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        preset = data.get("range")
        if preset == "custom":
            start, end = data.get("start"), data.get("end")
            if start is None or end is None:
                raise ValidationError(_("Choose both dates of a custom range."))
            if start > end:
                raise ValidationError(_("The start date is after the end date."))
            if (end - start).days + 1 > MAX_DAYS:
                raise ValidationError(
                    _("Choose a range of at most %(days)s days.") % {"days": MAX_DAYS}
                )
        elif preset in PRESETS:
            data["end"] = self.today
            data["start"] = self.today - timedelta(days=int(preset) - 1)
        if data.get("breakdown") == "experiment" and not data.get("experiment"):
            self.add_error("experiment", _("Choose the experiment whose variants to compare."))
        if "steps" in self.params:
            steps = [
                (data.get(_step_field(n)) or "", data.get(_step_entry_field(n)) or "")
                for n in range(1, MAX_STEPS + 1)
            ]
            chosen = [(name, entry_point) for name, entry_point in steps if name]
            if len(chosen) < 2:
                raise ValidationError(_("A funnel needs at least two steps."))
            data["steps"] = format_steps(chosen)
        return data

    # -- what the tiles are asked -------------------------------------------------------------

    def query_for(self, spec: TileSpec) -> TileQuery:
        """The tile query of ``spec`` under these (valid) filters."""
        data = self.cleaned_data
        breakdown = data.get("breakdown") or None
        if breakdown not in spec.breakdowns:
            breakdown = None
        filters = (
            {"entry_point": data["entry_point"]}
            if data.get("entry_point") and "entry_point" in FILTERS[spec.key]
            else {}
        )
        return TileQuery(
            start=data["start"],
            end=data["end"],
            compare=data["compare"] == "previous",
            breakdown=breakdown,
            experiment=(data.get("experiment") or None) if breakdown == "experiment" else None,
            filters=filters,
            params={key: data[key] for key in spec.params if key in data},
        )

    def step_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        """The funnel editor's rows: each step's event and entry point fields."""
        if "steps" not in self.params:
            return []
        return [(self[_step_field(n)], self[_step_entry_field(n)]) for n in range(1, MAX_STEPS + 1)]
