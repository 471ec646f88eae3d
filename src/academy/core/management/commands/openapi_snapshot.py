"""`academy openapi_snapshot [--write]`: compare or rewrite docs/openapi.json."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from academy.core.openapi import SNAPSHOT_PATH, current_schema, render_schema


class Command(BaseCommand):
    help = "Check the committed OpenAPI snapshot against the code, or rewrite it with --write."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", action="store_true", help="Rewrite the snapshot.")

    def handle(self, *args: Any, **options: Any) -> None:
        rendered = render_schema(current_schema())
        if options["write"]:
            SNAPSHOT_PATH.parent.mkdir(parents=True, exist_ok=True)
            SNAPSHOT_PATH.write_text(rendered, encoding="utf-8")
            self.stdout.write(f"Wrote {SNAPSHOT_PATH}")
            return
        committed = SNAPSHOT_PATH.read_text(encoding="utf-8") if SNAPSHOT_PATH.exists() else ""
        if committed != rendered:
            raise CommandError(f"{SNAPSHOT_PATH} is out of date: run `make openapi`.")
        self.stdout.write("The OpenAPI snapshot is up to date.")
