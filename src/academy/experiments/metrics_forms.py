"""The console form of a catalog metric: it parses staff input; the rules live in metrics.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from academy.accounts.forms import ServiceErrorsMixin
from academy.events.taxonomy import ENTRY_POINTS, ITEM_KINDS
from academy.experiments.metrics import MAX_DELAY_DAYS, MAX_WINDOW_DAYS, MetricInput
from academy.experiments.models import Capping, Metric, MetricColumn, MetricKind

KEY_HELP = _(
    "Lowercase letters, digits, hyphens or underscores; experiments name the metric by it."
)
ANY = [("", _("Any"))]
NONE = [("", _("None"))]


class MetricForm(ServiceErrorsMixin):
    key = forms.CharField(label=_("Key"), max_length=64, help_text=KEY_HELP)
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=MetricKind.choices,
        help_text=_(
            "Proportion: share of creators counting at least 1 in the window. Mean: the count "
            "per creator. Ratio: total of the numerator over total of the denominator."
        ),
    )
    numerator = forms.ChoiceField(label=_("Counts"), choices=MetricColumn.choices)
    numerator_entry_point = forms.ChoiceField(
        label=_("Only at entry point"),
        required=False,
        choices=ANY + [(value, value) for value in ENTRY_POINTS],
    )
    numerator_item_kind = forms.ChoiceField(
        label=_("Only for items of kind"),
        required=False,
        choices=ANY + [(value, value) for value in ITEM_KINDS],
    )
    denominator = forms.ChoiceField(
        label=_("Divided by (ratios only)"),
        required=False,
        choices=NONE + list(MetricColumn.choices),
    )
    denominator_entry_point = forms.ChoiceField(
        label=_("Denominator only at entry point"),
        required=False,
        choices=ANY + [(value, value) for value in ENTRY_POINTS],
    )
    denominator_item_kind = forms.ChoiceField(
        label=_("Denominator only for items of kind"),
        required=False,
        choices=ANY + [(value, value) for value in ITEM_KINDS],
    )
    window_days = forms.IntegerField(
        label=_("Window (days)"),
        initial=7,
        help_text=format_lazy(
            _(
                "Days counted per creator, starting on the day of first exposure (that day "
                "included), up to {max}."
            ),
            max=MAX_WINDOW_DAYS,
        ),
    )
    delay_days = forms.IntegerField(
        label=_("Delay (days)"),
        initial=0,
        help_text=format_lazy(
            _(
                "Days after exposure before the window starts (7 measures the second week), "
                "up to {max}."
            ),
            max=MAX_DELAY_DAYS,
        ),
    )
    capping = forms.ChoiceField(
        label=_("Capping"),
        choices=Capping.choices,
        help_text=_("Limits each creator's value so a few extreme creators do not decide."),
    )
    cap_value = forms.FloatField(
        label=_("Cap"),
        required=False,
        help_text=_("A value per creator, or a percentile as a fraction (0.99)."),
    )
    lower_is_better = forms.BooleanField(label=_("Lower is better"), required=False)
    guardrail = forms.BooleanField(
        label=_("Guardrail (must not get worse by more than the margin)"), required=False
    )
    guardrail_margin = forms.FloatField(
        label=_("Guardrail margin"),
        initial=0.02,
        help_text=_("Relative: 0.02 lets the metric worsen by at most 2 %."),
    )
    target_effect = forms.FloatField(
        label=_("Effect to detect"),
        initial=0.05,
        help_text=_(
            "Relative: plans the sample size and days remaining for this change (0.05 = 5 %)."
        ),
    )

    def __init__(self, *args: Any, metric: Metric | None = None, **kwargs: Any) -> None:
        if metric is not None:
            kwargs.setdefault(
                "initial",
                {
                    name: getattr(metric, name)
                    for name in ("key", *MetricInput.__dataclass_fields__)
                },
            )
        super().__init__(*args, **kwargs)
        if metric is not None:
            self.fields["key"].disabled = True

    def metric_input(self) -> MetricInput:
        data = self.cleaned_data
        return MetricInput(
            **{name: data[name] for name in MetricInput.__dataclass_fields__ if name in data}
        )
