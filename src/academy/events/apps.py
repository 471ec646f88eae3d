from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "academy.events"
    label = "events"
    verbose_name = "Events"

    def ready(self) -> None:
        from academy.events import privacy
        from academy.privacy.registry import register_store

        register_store(name="events", export=privacy.export_creator, erase=privacy.erase_creator)
