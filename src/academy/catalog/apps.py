from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "academy.catalog"
    label = "catalog"
    verbose_name = "Catalog"
