from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "academy.events"
    label = "events"
    verbose_name = "Events"
