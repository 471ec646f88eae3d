from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "academy.insights"
    label = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        from academy.insights import privacy
        from academy.privacy.registry import register_store

        # After the events store (order 100): the lake is erased first, so a prepare running in
        # between cannot copy the creator's events back into the step store.
        register_store(
            name="insights", export=privacy.export_creator, erase=privacy.erase_creator, order=110
        )
