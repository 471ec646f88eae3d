from django.apps import AppConfig


class RecsysConfig(AppConfig):
    name = "academy.recsys"
    label = "recsys"
    verbose_name = "For You"
