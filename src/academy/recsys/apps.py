from django.apps import AppConfig


class RecsysConfig(AppConfig):
    name = "academy.recsys"
    label = "recsys"
    verbose_name = "For You"

    def ready(self) -> None:
        from academy.events.signals import events_accepted
        from academy.privacy.registry import register_store
        from academy.recsys import privacy

        events_accepted.connect(_record_signals, dispatch_uid="recsys-signals")
        register_store(name="recsys", export=privacy.export_creator, erase=privacy.erase_creator)


def _record_signals(sender: object, records: list[dict[str, object]], **kwargs: object) -> None:
    from academy.recsys.services import feed_signals_record

    feed_signals_record(records=records)
