"""`academy events compact|rollup|stats|retention|import|docs`: the lake, its rollups, retention,
imports and the event reference."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any, cast

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from academy.core import clock
from academy.core.interrupts import stop_on_first_interrupt
from academy.events.documentation import DOC_PATH, document_with_reference
from academy.events.importer import (
    CHUNK_ROWS,
    FORMATS,
    MAX_PROBLEMS,
    ImportFileError,
    ImportRun,
    events_import,
    guess_format,
)
from academy.events.lake import compact, lake_stats, raw_kept_from
from academy.events.retention import RetentionRun, expire_raw_days, retention_horizon
from academy.events.rollups import lake_days, rollup_days


class Command(BaseCommand):
    help = "Event tooling: the lake, rollups, retention, imports and the docs/EVENTS.md reference."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        docs = actions.add_parser("docs", help="Check docs/EVENTS.md against the taxonomy.")
        docs.add_argument("--write", action="store_true", help="Rewrite the generated section.")
        actions.add_parser("compact", help="Move sealed capture segments into the Parquet lake.")
        rollup = actions.add_parser("rollup", help="Recompute rollups for days of the lake.")
        rollup.add_argument("days", nargs="*", help="YYYY-MM-DD; default: every day in the lake")
        stats = actions.add_parser("stats", help="Distinct events in the lake, per day and name.")
        stats.add_argument("--json", action="store_true", help="Print JSON.")
        retention = actions.add_parser(
            "retention", help="Drop raw days older than ACADEMY_EVENTS_RETENTION_DAYS."
        )
        retention.add_argument(
            "--dry-run", action="store_true", help="Only show what would be dropped."
        )
        retention.add_argument("--json", action="store_true", help="Print JSON.")
        imports = actions.add_parser(
            "import", help="Validate and import events from a JSON-lines or Parquet file."
        )
        imports.add_argument("file", type=Path, help="The file (.jsonl/.ndjson or .parquet)")
        imports.add_argument("--format", choices=FORMATS, help="Default: from the extension.")
        imports.add_argument("--json", action="store_true", help="Print the summary as JSON.")
        imports.add_argument(
            "--show",
            type=int,
            default=MAX_PROBLEMS,
            help=f"How many rejected records to show (default {MAX_PROBLEMS}).",
        )
        imports.add_argument(
            "--chunk-rows",
            type=int,
            default=CHUNK_ROWS,
            help=f"Events written to the lake per step (default {CHUNK_ROWS:,}).",
        )

    def _console(self, options: dict[str, Any]) -> Console:
        # With --json, stdout carries only the JSON: progress goes to stderr.
        stream = self.stderr if options.get("json") else self.stdout
        return Console(file=cast(IO[str], stream))

    def handle(self, *args: Any, **options: Any) -> None:
        events_dir = Path(settings.ACADEMY_EVENTS_DIR)
        action = options["action"]
        if action == "compact":
            with Progress(console=self._console(options), transient=True) as progress:
                task = progress.add_task("Compacting segments", total=None)
                run = compact(
                    events_dir=events_dir,
                    keep_from=retention_horizon(),
                    progress=lambda done, total: progress.update(task, completed=done, total=total),
                )
            self.stdout.write(
                f"{run.segments} segments, {run.read} events read, {run.written} written, "
                f"{run.duplicates} duplicates dropped, {run.expired} expired (older than "
                f"retention); days: {', '.join(run.days) or 'none'}"
            )
            return
        if action == "rollup":
            days = options["days"] or lake_days(events_dir)
            with Progress(console=self._console(options), transient=True) as progress:
                task = progress.add_task("Rolling up", total=len(days))
                # One call: DuckDB rolls up as many days side by side as there are cores.
                rows = rollup_days(
                    events_dir=events_dir,
                    days=days,
                    progress=lambda done, total: progress.update(task, completed=done),
                ).rows
            summary = ", ".join(f"{name} {count}" for name, count in sorted(rows.items()))
            self.stdout.write(f"{len(days)} days rolled up: {summary or 'nothing to do'}")
            return
        if action == "stats":
            stats = lake_stats(events_dir=events_dir)
            kept_from = raw_kept_from(events_dir)
            if options["json"]:
                output = {**asdict(stats), "raw_kept_from": kept_from and kept_from.isoformat()}
                self.stdout.write(json.dumps(output, indent=2))
            else:
                self.stdout.write(f"{stats.total} distinct events")
                if kept_from:
                    self.stdout.write(f"raw events kept from {kept_from} (retention)")
                for day, count in stats.per_day.items():
                    self.stdout.write(f"  {day}  {count}")
            return
        if action == "retention":
            self._retention(events_dir, options)
            return
        if action == "import":
            self._import(events_dir, options)
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

    def _retention(self, events_dir: Path, options: dict[str, Any]) -> None:
        run: RetentionRun = expire_raw_days(
            events_dir=events_dir, keep_from=retention_horizon(), dry_run=options["dry_run"]
        )
        if options["json"]:
            output = {**asdict(run), "events": run.events, "bytes": run.bytes}
            self.stdout.write(json.dumps(output, indent=2))
            return
        if run.keep_from is None:
            self.stdout.write("ACADEMY_EVENTS_RETENTION_DAYS is 0: raw events are kept forever.")
            return
        verb = "Would drop" if run.dry_run else "Dropped"
        self.stdout.write(
            f"Raw events are kept from {run.keep_from} (UTC); rollups are kept for every day."
        )
        for day in run.days:
            self.stdout.write(f"  {verb.lower()} {day.day}: {day.events} events, {day.bytes:,} B")
        self.stdout.write(
            f"{verb} {len(run.days)} days, {run.events} events, {run.bytes:,} B"
            + (
                f"; {run.stale_staging} leftovers of interrupted writes"
                if run.stale_staging
                else ""
            )
            + "."
        )

    def _import(self, events_dir: Path, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        try:
            fmt = options["format"] or guess_format(path)
            by_bytes = fmt == "jsonl"
            console = self._console(options)
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn() if by_bytes else MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            ) as progress:
                reading = progress.add_task(f"Importing {path.name}", total=None)
                rolling = progress.add_task("Rolling up days", total=None, visible=False)

                def report(stage: str, done: int, total: int) -> None:
                    task = reading if stage == "read" else rolling
                    progress.update(task, completed=done, total=total, visible=True)

                # Ctrl-C asks the import to stop after the events in hand.
                with stop_on_first_interrupt() as stop:
                    run = events_import(
                        path=path,
                        fmt=fmt,
                        events_dir=events_dir,
                        now=clock.now(),
                        keep_from=retention_horizon(),
                        chunk_rows=options["chunk_rows"],
                        max_problems=options["show"],
                        progress=report,
                        should_stop=stop.is_set,
                    )
        except ImportFileError as error:
            raise CommandError(str(error)) from None
        self._import_summary(run, options)
        if run.interrupted:
            raise CommandError(
                "Interrupted: the events above are in the lake. Run the same command again to "
                "finish; events already imported are recognised by their uuid and skipped."
            )

    def _import_summary(self, run: ImportRun, options: dict[str, Any]) -> None:
        if options["json"]:
            self.stdout.write(json.dumps(asdict(run), indent=2))
            return
        for problem in run.problems:
            self.stdout.write(f"  {problem.where}: {problem.field}: {problem.detail}")
        if run.rejected > len(run.problems):
            self.stdout.write(f"  … and {run.rejected - len(run.problems)} more rejected")
        self.stdout.write(
            f"{run.read} read, {run.imported} imported, {run.duplicates} duplicates, "
            f"{run.rejected} rejected, {run.expired} expired (older than retention); "
            f"{len(run.days)} days rolled up"
        )
