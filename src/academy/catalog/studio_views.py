"""Studio pages. Thin: parse with forms, call catalog services and selectors, render."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@permission_required("accounts.access_studio", raise_exception=True)
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "catalog/studio/dashboard.html")
