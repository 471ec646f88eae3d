"""Console pages for flags and experiments, under /console/ (views in views.py)."""

from django.urls import path

from academy.experiments import metrics_views, results_views, views
from academy.recsys.interleaving_views import interleaving_page

app_name = "experiments"

urlpatterns = [
    path("flags/", views.index, name="index"),
    path("flags/new/", views.flag_new, name="flag_new"),
    path("flags/<slug:key>/", views.flag_detail, name="flag"),
    path("flags/<slug:key>/kill-switch/", views.flag_kill_switch, name="flag_kill_switch"),
    path("flags/<slug:key>/schedule/", views.flag_schedule, name="flag_schedule"),
    path("metrics/", metrics_views.metrics_index, name="metrics"),
    path("metrics/new/", metrics_views.metric_new, name="metric_new"),
    path("metrics/<slug:key>/", metrics_views.metric_detail, name="metric"),
    path("experiments/new/", views.experiment_new, name="experiment_new"),
    path("experiments/interleaving/for-you/", interleaving_page, name="interleaving"),
    path("experiments/<slug:key>/", views.experiment_detail, name="experiment"),
    path(
        "experiments/<slug:key>/results/",
        results_views.experiment_results_page,
        name="experiment_results",
    ),
    path("experiments/<slug:key>/action/", views.experiment_action, name="experiment_action"),
    path("experiments/<slug:key>/schedule/", views.experiment_schedule, name="experiment_schedule"),
]
