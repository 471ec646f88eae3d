"""`academy events docs [--write]`: the event reference in docs/EVENTS.md."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from academy.events.documentation import DOC_PATH, document_with_reference


class Command(BaseCommand):
    help = "Event tooling: check or rewrite the generated reference in docs/EVENTS.md."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        docs = actions.add_parser("docs", help="Check docs/EVENTS.md against the taxonomy.")
        docs.add_argument("--write", action="store_true", help="Rewrite the generated section.")

    def handle(self, *args: Any, **options: Any) -> None:
        current = DOC_PATH.read_text(encoding="utf-8")
        expected = document_with_reference(current)
        if options["write"]:
            DOC_PATH.write_text(expected, encoding="utf-8")
            self.stdout.write(f"Wrote {DOC_PATH}")
        elif expected != current:
            raise CommandError("docs/EVENTS.md is out of date: run `academy events docs --write`.")
        else:
            self.stdout.write("docs/EVENTS.md is up to date.")
