"""`academy privacy export|erase --creator ID`: a creator's data, from every store."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from academy.accounts.selectors import creator_get
from academy.privacy.services import creator_erase, creator_export


class Command(BaseCommand):
    help = "Export a creator's data as JSON, or erase the creator from every store."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        for name in ("export", "erase"):
            action = actions.add_parser(name)
            action.add_argument("--creator", required=True, help="The creator's external id.")
        actions.choices["erase"].add_argument(
            "--yes", action="store_true", help="Confirm: erasure cannot be undone."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        creator = creator_get(external_id=options["creator"])
        if creator is None:
            raise CommandError(f"No creator has the id {options['creator']}.")
        if options["action"] == "export":
            self.stdout.write(json.dumps(creator_export(creator=creator), indent=2, default=str))
            return
        if not options["yes"]:
            raise CommandError("Erasure cannot be undone: add --yes to confirm.")
        receipt = creator_erase(creator=creator)
        self.stdout.write(
            json.dumps(
                {
                    "creator_sha256": receipt.creator_digest,
                    "erased_at": receipt.erased_at.isoformat(),
                    "removed": receipt.removed,
                },
                indent=2,
            )
        )
