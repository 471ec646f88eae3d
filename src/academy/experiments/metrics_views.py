"""Console pages of the metrics catalog: the list, a new metric, a metric's page."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from academy.core.errors import AcademyError, NotFound
from academy.experiments.metrics_forms import MetricForm
from academy.experiments.models import Experiment
from academy.experiments.selectors import metric_get, metric_list
from academy.experiments.services import metric_create, metric_update
from academy.experiments.views import console_required


@console_required
@require_GET
def metrics_index(request: HttpRequest) -> HttpResponse:
    return render(request, "experiments/metrics.html", {"metrics": metric_list()})


@console_required
@require_http_methods(["GET", "POST"])
def metric_new(request: HttpRequest) -> HttpResponse:
    form = MetricForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            metric = metric_create(key=form.cleaned_data["key"], data=form.metric_input())
        except AcademyError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Metric created."))
            return redirect("experiments:metric", metric.key)
    return render(
        request, "experiments/metric.html", {"form": form}, status=400 if form.errors else 200
    )


@console_required
@require_http_methods(["GET", "POST"])
def metric_detail(request: HttpRequest, key: str) -> HttpResponse:
    try:
        metric = metric_get(key=key)
    except NotFound as error:
        raise Http404(error.detail) from error
    form = MetricForm(request.POST or None, metric=metric)
    if request.method == "POST" and form.is_valid():
        try:
            metric_update(metric=metric, data=form.metric_input())
        except AcademyError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Metric saved."))
            return redirect("experiments:metric", metric.key)
    used_by = [
        experiment
        for experiment in Experiment.objects.order_by("key")
        if key in experiment.primary_metrics or key in experiment.guardrail_metrics
    ]
    return render(
        request,
        "experiments/metric.html",
        {"form": form, "metric": metric, "experiments": used_by},
        status=400 if form.errors else 200,
    )
