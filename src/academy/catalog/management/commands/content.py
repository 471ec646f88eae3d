"""`academy content load|validate|publish-due`: the content pack and the publishing schedule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import Progress

from academy.catalog.content_pack import DEFAULT_PACK, PackError, describe, load_pack
from academy.catalog.loader import content_pack_load
from academy.catalog.services import content_publish_due


class Command(BaseCommand):
    help = "Load or validate a content pack, or publish scheduled content that is due."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        for name, text in (
            ("load", "Load a content pack (idempotent)."),
            ("validate", "Check a content pack without loading it."),
        ):
            action = actions.add_parser(name, help=text)
            action.add_argument("path", nargs="?", type=Path, default=DEFAULT_PACK)
        actions.add_parser("publish-due", help="Publish scheduled content whose time has come.")

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=self.stdout)  # type: ignore[arg-type]
        if options["action"] == "publish-due":
            run = content_publish_due()
            for label in run.published:
                self.stdout.write(f"published {label}")
            for label, reason in run.failed.items():
                self.stderr.write(f"not published {label}: {reason}")
            self.stdout.write(f"{len(run.published)} published, {len(run.failed)} failed")
            return
        try:
            pack = load_pack(options["path"])
        except PackError as error:
            raise CommandError(
                f"The content pack has {len(error.problems)} problems:\n" + str(error)
            ) from error
        if options["action"] == "validate":
            self.stdout.write(describe(pack))
            return
        total = len(pack.courses) + len(pack.wiki)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Loading content", total=total)
            report = content_pack_load(
                pack=pack,
                progress=lambda label: progress.update(task, advance=1, description=label),
            )
        self.stdout.write(
            f"{describe(pack)}\n{report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged"
        )
