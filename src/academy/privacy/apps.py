from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "academy.privacy"
    label = "privacy"
    verbose_name = "Privacy"
