from django.apps import AppConfig


class ExperimentsConfig(AppConfig):
    name = "academy.experiments"
    label = "experiments"
    verbose_name = "Experiments"

    def ready(self) -> None:
        from academy.experiments import privacy
        from academy.privacy.registry import register_store

        register_store(
            name="experiments", export=privacy.export_creator, erase=privacy.erase_creator
        )
