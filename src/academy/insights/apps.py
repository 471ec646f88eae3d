from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "academy.insights"
    label = "insights"
    verbose_name = "Insights"
