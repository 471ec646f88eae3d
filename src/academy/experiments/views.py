"""Console pages for flags and experiments. Thin: parse with forms, call services, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from academy.core.errors import AcademyError, NotFound
from academy.experiments.forms import (
    ExperimentActionForm,
    ExperimentForm,
    FlagForm,
    ScheduleForm,
)
from academy.experiments.models import Experiment, ExperimentStatus, Flag
from academy.experiments.selectors import (
    assignment_counts,
    experiment_get,
    experiment_list,
    flag_get,
    flag_list,
    scheduled_changes_of,
)
from academy.experiments.services import (
    experiment_create,
    experiment_restart,
    experiment_ship,
    experiment_start,
    experiment_stop,
    experiment_update,
    flag_create,
    flag_set_enabled,
    flag_update,
    scheduled_change_create,
)

console_required = permission_required("accounts.access_console", raise_exception=True)
Found = TypeVar("Found")

# The buttons each status offers on an experiment's page.
ACTIONS_BY_STATUS = {
    ExperimentStatus.DRAFT: ("start",),
    ExperimentStatus.RUNNING: ("stop", "ship", "restart"),
    ExperimentStatus.STOPPED: ("start", "ship", "restart"),
    ExperimentStatus.SHIPPED: (),
}


def _found(read: Callable[..., Found], **kwargs: Any) -> Found:
    try:
        return read(**kwargs)
    except NotFound as error:
        raise Http404(error.detail) from error


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    return render(request, f"experiments/{template}", context, status=status)


@console_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return _page(request, "index.html", {"flags": flag_list(), "experiments": experiment_list()})


# ---------------------------------------------------------------------------------------------
# Flags


@console_required
@require_http_methods(["GET", "POST"])
def flag_new(request: HttpRequest) -> HttpResponse:
    form = FlagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            flag = flag_create(
                key=data["key"],
                value_type=data["value_type"],
                default_value=data["default_value"],
                description=data["description"],
                enabled=data["enabled"],
                rules=data["rules"],
            )
        except AcademyError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Flag created."))
            return redirect("experiments:flag", flag.key)
    return _page(request, "flag.html", {"form": form}, status=400 if form.errors else 200)


def _flag_page(
    request: HttpRequest,
    flag: Flag,
    *,
    form: FlagForm | None = None,
    schedule_form: ScheduleForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return _page(
        request,
        "flag.html",
        {
            "flag": flag,
            "form": form or FlagForm(flag=flag),
            "schedule_form": schedule_form or ScheduleForm(flag=flag),
            "scheduled": scheduled_changes_of(flag=flag),
            "experiments": flag.experiments.order_by("key"),
        },
        status=status,
    )


@console_required
@require_http_methods(["GET", "POST"])
def flag_detail(request: HttpRequest, key: str) -> HttpResponse:
    flag = _found(flag_get, key=key)
    if request.method == "GET":
        return _flag_page(request, flag)
    form = FlagForm(request.POST, flag=flag)
    if form.is_valid():
        data = form.cleaned_data
        try:
            flag_update(
                flag=flag,
                description=data["description"],
                default_value=data["default_value"],
                rules=data["rules"],
                enabled=data["enabled"],
            )
        except AcademyError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Flag saved."))
            return redirect("experiments:flag", flag.key)
    return _flag_page(request, _found(flag_get, key=key), form=form, status=400)


@console_required
@require_POST
def flag_kill_switch(request: HttpRequest, key: str) -> HttpResponse:
    flag = _found(flag_get, key=key)
    enabled = request.POST.get("enabled") == "on"
    flag_set_enabled(flag=flag, enabled=enabled)
    if enabled:
        messages.success(request, _("The flag is on: its rules and experiments apply again."))
    else:
        messages.success(request, _("The flag is off: everyone gets its default value."))
    return redirect("experiments:flag", flag.key)


@console_required
@require_POST
def flag_schedule(request: HttpRequest, key: str) -> HttpResponse:
    flag = _found(flag_get, key=key)
    form = ScheduleForm(request.POST, flag=flag)
    if form.is_valid():
        try:
            scheduled_change_create(
                flag=flag, at=form.cleaned_data["at"], change=form.cleaned_data["change_json"]
            )
        except AcademyError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Change scheduled."))
            return redirect("experiments:flag", flag.key)
    return _flag_page(request, flag, schedule_form=form, status=400)


# ---------------------------------------------------------------------------------------------
# Experiments


@console_required
@require_http_methods(["GET", "POST"])
def experiment_new(request: HttpRequest) -> HttpResponse:
    initial = {"flag": request.GET.get("flag", ""), "weights": "0.5, 0.5"}
    form = ExperimentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            experiment = experiment_create(
                key=form.cleaned_data["key"],
                flag=form.cleaned_data["flag"],
                data=form.experiment_input(),
            )
        except AcademyError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Experiment created as a draft."))
            return redirect("experiments:experiment", experiment.key)
    return _page(request, "experiment.html", {"form": form}, status=400 if form.errors else 200)


def _experiment_page(
    request: HttpRequest,
    experiment: Experiment,
    *,
    form: ExperimentForm | None = None,
    action_form: ExperimentActionForm | None = None,
    schedule_form: ScheduleForm | None = None,
    status: int = 200,
) -> HttpResponse:
    actions = ACTIONS_BY_STATUS[ExperimentStatus(experiment.status)]
    return _page(
        request,
        "experiment.html",
        {
            "experiment": experiment,
            "form": form or ExperimentForm(experiment=experiment),
            "action_form": action_form,
            "actions": [(action, ExperimentActionForm.ACTIONS[action]) for action in actions],
            "schedule_form": schedule_form or ScheduleForm(),
            "scheduled": scheduled_changes_of(experiment=experiment),
            "counts": assignment_counts(experiment=experiment),
        },
        status=status,
    )


@console_required
@require_http_methods(["GET", "POST"])
def experiment_detail(request: HttpRequest, key: str) -> HttpResponse:
    experiment = _found(experiment_get, key=key)
    if request.method == "GET":
        return _experiment_page(request, experiment)
    form = ExperimentForm(request.POST, experiment=experiment)
    if form.is_valid():
        try:
            experiment_update(experiment=experiment, data=form.experiment_input())
        except AcademyError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Experiment saved."))
            return redirect("experiments:experiment", experiment.key)
    return _experiment_page(request, _found(experiment_get, key=key), form=form, status=400)


@console_required
@require_POST
def experiment_action(request: HttpRequest, key: str) -> HttpResponse:
    experiment = _found(experiment_get, key=key)
    form = ExperimentActionForm(request.POST)
    if not form.is_valid():
        return _experiment_page(request, experiment, action_form=form, status=400)
    action = form.cleaned_data["action"]
    try:
        if action == "start":
            experiment_start(experiment=experiment)
            message = _("The experiment is running: creators are being assigned.")
        elif action == "stop":
            experiment_stop(experiment=experiment)
            message = _("The experiment is stopped: nobody new is assigned.")
        elif action == "ship":
            experiment_ship(experiment=experiment, variation=form.cleaned_data["variation"])
            message = _("Shipped: every targeted creator gets this variation.")
        else:
            experiment_restart(
                experiment=experiment,
                variations=form.cleaned_data["variations"] or None,
                weights=form.cleaned_data["weights"],
            )
            message = _("Restarted: every creator is assigned again.")
    except AcademyError as error:
        form.add_service_error(error)
        return _experiment_page(
            request, _found(experiment_get, key=key), action_form=form, status=error.status
        )
    messages.success(request, message)
    return redirect("experiments:experiment", experiment.key)


@console_required
@require_POST
def experiment_schedule(request: HttpRequest, key: str) -> HttpResponse:
    experiment = _found(experiment_get, key=key)
    form = ScheduleForm(request.POST)
    if form.is_valid():
        try:
            scheduled_change_create(
                experiment=experiment,
                at=form.cleaned_data["at"],
                change=form.cleaned_data["change_json"],
            )
        except AcademyError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Change scheduled."))
            return redirect("experiments:experiment", experiment.key)
    return _experiment_page(request, experiment, schedule_form=form, status=400)
