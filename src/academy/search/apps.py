from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "academy.search"
    label = "search"
    verbose_name = "Search"
