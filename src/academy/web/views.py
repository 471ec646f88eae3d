"""The creator app's shell, the Studio, Console and Admin hubs, health checks and error pages."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import i18n
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from academy.accounts.choices import Goal, Niche
from academy.accounts.models import User
from academy.accounts.selectors import creator_for_user
from academy.accounts.services import creator_set_language
from academy.core.problems import problem_response, wants_problem_json
from academy.learning.selectors import learning_home


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("web:home")
    return render(request, "web/landing.html")


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    creator = creator_for_user(user=request.user)
    context = {
        "creator": creator,
        "creator_goals": [Goal(goal).label for goal in creator.goals] if creator else [],
        "creator_niche": Niche(creator.niche).label if creator and creator.niche else "",
        "learning": (
            learning_home(creator=creator, language=request.LANGUAGE_CODE) if creator else None
        ),
    }
    return render(request, "web/home.html", context)


@permission_required("accounts.access_console", raise_exception=True)
@require_GET
def console(request: HttpRequest) -> HttpResponse:
    return render(request, "web/console.html")


@permission_required("accounts.access_admin", raise_exception=True)
@require_GET
def operator(request: HttpRequest) -> HttpResponse:
    return render(request, "web/operator.html")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; a signed-in creator keeps it on their profile."""
    language = request.POST.get("language", "")
    if language not in {code for code, _name in settings.LANGUAGES}:
        return render(
            request,
            "web/error.html",
            {"status": 400, "message": _("Unknown language.")},
            status=400,
        )
    creator = creator_for_user(user=request.user)  # type: ignore[arg-type]
    if creator is not None:
        creator_set_language(creator=creator, language=language)
    return i18n.set_language(request)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: the database answers and every migration is applied."""
    try:
        connection.ensure_connection()
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as error:
        return problem_response(
            request,
            status=503,
            detail=_("The database is unreachable: %(error)s") % {"error": error},
        )
    if pending:
        names = ", ".join(f"{migration.app_label}.{migration.name}" for migration, _b in pending)
        return problem_response(
            request,
            status=503,
            detail=ngettext(
                "%(count)d migration is not applied: %(names)s. Run 'academy migrate'.",
                "%(count)d migrations are not applied: %(names)s. Run 'academy migrate'.",
                len(pending),
            )
            % {"count": len(pending), "names": names},
        )
    return JsonResponse({"status": "ready", "database": connection.vendor})


def _error(request: HttpRequest, status: int, message: str) -> HttpResponse:
    if wants_problem_json(request):
        return problem_response(request, status=status, detail=message)
    return render(request, "web/error.html", {"status": status, "message": message}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, _("The request could not be understood."))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403, _("You do not have access to this page."))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, _("We could not find that page."))


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(request, 500, _("Something went wrong on our side. Please try again."))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(request, 403, _("Your session expired or the form is stale. Reload the page."))
