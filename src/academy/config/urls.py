from django.contrib import admin
from django.urls import include, path

from academy.config.api import api
from academy.web import views as web_views

handler400 = "academy.web.views.bad_request"
handler403 = "academy.web.views.permission_denied"
handler404 = "academy.web.views.page_not_found"
handler500 = "academy.web.views.server_error"

urlpatterns = [
    path("api/v1/", api.urls),
    path("healthz", web_views.healthz, name="healthz"),
    path("readyz", web_views.readyz, name="readyz"),
    path("i18n/setlang/", web_views.set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("accounts/", include("academy.accounts.urls")),
    path("studio/", include("academy.catalog.studio_urls")),
    path("console/insights/", include("academy.insights.urls")),
    path("console/", include("academy.experiments.urls")),
    # Learning first: its /learn/<course>/enrol/ action must win over the lesson page pattern.
    path("", include("academy.learning.urls")),
    path("", include("academy.catalog.urls")),
    path("", include("academy.search.urls")),
    path("", include("academy.recsys.urls")),
    path("", include("academy.web.urls")),
]
