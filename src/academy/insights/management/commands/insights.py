"""`academy insights docs|prepare`: the docs/METRICS.md reference, and what the dashboards need
besides the worker's rollups (days missing a rollup, the creator dimension)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.progress import Progress

from academy.insights.documentation import DOC_PATH, document_with_reference
from academy.insights.services import insights_prepare


class Command(BaseCommand):
    help = "Insights tooling: the docs/METRICS.md reference and the creator dimension snapshot."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        docs = actions.add_parser("docs", help="Check docs/METRICS.md against the definitions.")
        docs.add_argument("--write", action="store_true", help="Rewrite the generated section.")
        actions.add_parser(
            "prepare",
            help=(
                "Roll up lake days missing a rollup, build the funnels' step store (and what is "
                "derived from it) and snapshot the creator dimension."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "docs":
            current = DOC_PATH.read_text(encoding="utf-8")
            expected = document_with_reference(current)
            if options["write"]:
                DOC_PATH.write_text(expected, encoding="utf-8")
                self.stdout.write(f"Wrote {DOC_PATH}")
            elif expected != current:
                raise CommandError(
                    "docs/METRICS.md is out of date: run `academy insights docs --write`."
                )
            else:
                self.stdout.write("docs/METRICS.md is up to date.")
            return
        with Progress(transient=True) as progress:
            task = progress.add_task("Rolling up days missing a rollup", total=None)
            done = insights_prepare(
                events_dir=Path(settings.ACADEMY_EVENTS_DIR),
                progress=lambda finished, total: progress.update(
                    task, completed=finished, total=total
                ),
            )
        self.stdout.write(
            f"Rolled up {done['days_rolled_up']} days; built {done['funnel_days_built']} days of "
            f"funnel steps and {done['keyed_files_built']} files of rollups by key; "
            f"creator dimension: "
            f"{done['creators']} creators, {done['assignments']} assignments."
        )
