"""`academy events compact|rollup|stats|docs`: the lake, its rollups and the event reference."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import Progress

from academy.events.documentation import DOC_PATH, document_with_reference
from academy.events.lake import compact, lake_stats
from academy.events.rollups import lake_days, rollup_days


class Command(BaseCommand):
    help = "Event tooling: check or rewrite the generated reference in docs/EVENTS.md."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        docs = actions.add_parser("docs", help="Check docs/EVENTS.md against the taxonomy.")
        docs.add_argument("--write", action="store_true", help="Rewrite the generated section.")
        actions.add_parser("compact", help="Move sealed capture segments into the Parquet lake.")
        rollup = actions.add_parser("rollup", help="Recompute rollups for days of the lake.")
        rollup.add_argument("days", nargs="*", help="YYYY-MM-DD; default: every day in the lake")
        stats = actions.add_parser("stats", help="Distinct events in the lake, per day and name.")
        stats.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        events_dir = Path(settings.ACADEMY_EVENTS_DIR)
        if options["action"] == "compact":
            with Progress(console=Console(file=self.stdout), transient=True) as progress:  # type: ignore[arg-type]
                task = progress.add_task("Compacting segments", total=None)
                run = compact(
                    events_dir=events_dir,
                    progress=lambda done, total: progress.update(task, completed=done, total=total),
                )
            self.stdout.write(
                f"{run.segments} segments, {run.read} events read, {run.written} written, "
                f"{run.duplicates} duplicates dropped; days: {', '.join(run.days) or 'none'}"
            )
            return
        if options["action"] == "rollup":
            days = options["days"] or lake_days(events_dir)
            with Progress(console=Console(file=self.stdout), transient=True) as progress:  # type: ignore[arg-type]
                task = progress.add_task("Rolling up", total=len(days))
                rows: dict[str, int] = {}
                for day in days:
                    for name, count in rollup_days(events_dir=events_dir, days=[day]).rows.items():
                        rows[name] = rows.get(name, 0) + count
                    progress.advance(task)
            summary = ", ".join(f"{name} {count}" for name, count in sorted(rows.items()))
            self.stdout.write(f"{len(days)} days rolled up: {summary or 'nothing to do'}")
            return
        if options["action"] == "stats":
            stats = lake_stats(events_dir=events_dir)
            if options["json"]:
                self.stdout.write(json.dumps(asdict(stats), indent=2))
            else:
                self.stdout.write(f"{stats.total} distinct events")
                for day, count in stats.per_day.items():
                    self.stdout.write(f"  {day}  {count}")
            return
        current = DOC_PATH.read_text(encoding="utf-8")
        expected = document_with_reference(current)
        if options["write"]:
            DOC_PATH.write_text(expected, encoding="utf-8")
            self.stdout.write(f"Wrote {DOC_PATH}")
        elif expected != current:
            raise CommandError("docs/EVENTS.md is out of date: run `academy events docs --write`.")
        else:
            self.stdout.write("docs/EVENTS.md is up to date.")
