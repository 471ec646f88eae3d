from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(**kwargs: object) -> None:
    from academy.accounts.services import roles_sync

    roles_sync()


class AccountsConfig(AppConfig):
    name = "academy.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # Role groups are defined in code (roles.py); keep the database in step after every
        # migrate, including the test database.
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="academy.accounts.roles")
        from academy.accounts import privacy
        from academy.privacy.registry import register_store

        # Last: erasing the profile removes the creator every other store refers to.
        register_store(
            name="accounts", export=privacy.export_creator, erase=privacy.erase_creator, order=1000
        )
