"""`academy apikey create|list|revoke`: manage host-app keys from the shell."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from academy.accounts.selectors import api_key_get, api_keys_list
from academy.accounts.services import api_key_create, api_key_revoke
from academy.core.errors import AcademyError


class Command(BaseCommand):
    help = "Create, list or revoke API keys for host apps."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Create a key; prints only the key.")
        create.add_argument("--name", required=True)
        create.add_argument(
            "--scopes", required=True, help="Comma-separated, e.g. events:write,feed:read"
        )
        actions.add_parser("list", help="List keys (never their secrets).")
        revoke = actions.add_parser("revoke", help="Revoke a key by its id.")
        revoke.add_argument("key_id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "create":
                scopes = [scope.strip() for scope in options["scopes"].split(",") if scope.strip()]
                _api_key, raw_key = api_key_create(
                    name=options["name"], scopes=scopes, created_by=None
                )
                # Only the key, so `KEY=$(academy apikey create …)` works.
                self.stdout.write(raw_key)
            elif action == "list":
                for api_key in api_keys_list():
                    state = "active" if api_key.is_active else "revoked"
                    self.stdout.write(
                        f"{api_key.pk}\t{api_key.name}\tca_{api_key.prefix}_…\t"
                        f"{','.join(api_key.scopes)}\t{state}"
                    )
            elif action == "revoke":
                found = api_key_get(key_id=options["key_id"])
                if found is None:
                    raise CommandError(f"No API key has the id {options['key_id']}.")
                api_key_revoke(api_key=found)
                self.stdout.write(f"Revoked {found.name}.")
        except AcademyError as error:
            raise CommandError(error.detail) from error
