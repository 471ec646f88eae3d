"""Console URLs of the insights dashboards (mounted at /console/insights/)."""

from django.urls import path

from academy.insights import views

app_name = "insights"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("tiles/<slug:key>.csv", views.tile_csv, name="tile_csv"),
    path("<slug:slug>/", views.dashboard, name="dashboard"),
]
