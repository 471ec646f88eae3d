"""Studio: content authoring and planning for editors (views in studio_views.py)."""

from django.urls import path

from academy.catalog import studio_views

app_name = "studio"

urlpatterns = [
    path("", studio_views.dashboard, name="dashboard"),
]
