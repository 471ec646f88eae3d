from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "academy.learning"
    label = "learning"
    verbose_name = "Learning"
