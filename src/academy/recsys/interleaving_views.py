"""The console's interleaving page: /console/experiments/interleaving/for-you/.

Thin: the chosen period from the query string, the analysis of the lake
(`interleaving.interleaving_analysis`) and the flag's current value, formatted for the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from academy.experiments.views import console_required
from academy.recsys.interleaving import (
    FLAG,
    Comparison,
    interleaving_analysis,
    interleaving_flag,
)

PERIODS = (7, 14, 28, 90)
DEFAULT_DAYS = 28


class PeriodForm(forms.Form):
    days = forms.TypedChoiceField(
        label=gettext_lazy("Period"),
        choices=[(days, gettext_lazy("Last %(days)d days") % {"days": days}) for days in PERIODS],
        coerce=int,
        required=False,
        empty_value=None,
    )


def _share(value: float) -> str:
    return number_format(value * 100, decimal_pos=1) + " %"


@dataclass(frozen=True)
class Row:
    comparison: Comparison
    verdict: str
    share: str
    interval: str
    p_value: str
    # The bar: per cent of its width for the interval's ends and the estimate.
    low: float
    width: float
    point: float
    label: str


def _row(comparison: Comparison) -> Row | None:
    result = comparison.result
    if result is None:
        return None
    if comparison.preferred_ranker:
        verdict = _("Creators prefer “%(ranker)s”.") % {"ranker": comparison.preferred_ranker}
    else:
        verdict = _("No clear preference yet: the interval contains 50 %.")
    interval = _("%(low)s to %(high)s") % {
        "low": _share(result.ci_low),
        "high": _share(result.ci_high),
    }
    return Row(
        comparison=comparison,
        verdict=verdict,
        share=_share(result.share_a),
        interval=interval,
        p_value=(
            "< 0.001" if result.p_value < 0.001 else number_format(result.p_value, decimal_pos=3)
        ),
        low=round(result.ci_low * 100, 2),
        width=round((result.ci_high - result.ci_low) * 100, 2),
        point=round(result.share_a * 100, 2),
        label=_(
            "Share of clicked pages won by “%(a)s”: %(share)s, 95 %% interval %(interval)s; "
            "50 %% means no preference."
        )
        % {"a": comparison.a, "share": _share(result.share_a), "interval": interval},
    )


@console_required
@require_GET
def interleaving_page(request: HttpRequest) -> HttpResponse:
    """Which of two interleaved For You rankers creators prefer, per interleaving served."""
    form = PeriodForm(request.GET or None, label_suffix="")
    context: dict[str, Any] = {"form": form, "flag_key": FLAG, "flag": interleaving_flag()}
    if request.GET and not form.is_valid():
        return render(request, "recsys/interleaving.html", context, status=400)
    days = (form.cleaned_data["days"] if request.GET else None) or DEFAULT_DAYS
    if not request.GET:
        context["form"] = PeriodForm(initial={"days": days}, label_suffix="")
    comparisons = interleaving_analysis(
        since_days=days, events_dir=Path(settings.ACADEMY_EVENTS_DIR)
    )
    context["days"] = days
    context["rows"] = [(comparison, _row(comparison)) for comparison in comparisons]
    return render(request, "recsys/interleaving.html", context)
