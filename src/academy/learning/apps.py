from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "academy.learning"
    label = "learning"
    verbose_name = "Learning"

    def ready(self) -> None:
        from academy.learning import privacy
        from academy.privacy.registry import register_store

        register_store(name="learning", export=privacy.export_creator, erase=privacy.erase_creator)
