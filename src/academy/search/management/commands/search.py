"""`academy search reindex|popularity|evaluate`: the search index, its popularity, its quality."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any, cast

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from academy.core.errors import AcademyError
from academy.search.selectors import search_quality
from academy.search.services import (
    search_engine_rebuild,
    search_popularity_refresh,
    search_reindex,
    search_vocabulary_rebuild,
)


class Command(BaseCommand):
    help = "Search tooling: rebuild the index, refresh popularity, measure quality."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        reindex = actions.add_parser(
            "reindex", help="Index every published item again and drop everything else."
        )
        reindex.add_argument(
            "--rebuild",
            action="store_true",
            help="Also recreate the engine's tables, triggers and indexes, and recount the "
            "vocabulary (after a restore or a failed migration).",
        )
        actions.add_parser(
            "popularity", help="Recompute 28-day popularity from the events rollups."
        )
        evaluate = actions.add_parser(
            "evaluate", help="MRR and NDCG@10 of the labelled queries on the demo content."
        )
        evaluate.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=cast(IO[str], self.stdout))
        if options["action"] == "reindex":
            self._reindex(console, rebuild=options["rebuild"])
        elif options["action"] == "popularity":
            items = search_popularity_refresh(events_dir=Path(settings.ACADEMY_EVENTS_DIR))
            self.stdout.write(f"Popularity refreshed: {items} items clicked or shown in 28 days.")
        else:
            self._evaluate(console, as_json=options["json"])

    def _reindex(self, console: Console, *, rebuild: bool) -> None:
        if rebuild:
            with console.status("Recreating the search engine's tables and indexes"):
                search_engine_rebuild()
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("Indexing published content", total=None)
            run = search_reindex(
                progress=lambda done, total: progress.update(task, completed=done, total=total)
            )
        if rebuild:
            with console.status("Counting the vocabulary"):
                words = search_vocabulary_rebuild()
            self.stdout.write(f"Vocabulary: {words} words.")
        self.stdout.write(
            f"Indexed {run.items} items ({run.documents} language versions); "
            f"removed {run.removed} no longer published."
        )

    def _evaluate(self, console: Console, *, as_json: bool) -> None:
        try:
            with console.status("Running the labelled queries"):
                evaluation = search_quality()
        except AcademyError as error:
            raise CommandError(error.detail) from error
        if as_json:
            self.stdout.write(
                json.dumps(
                    {
                        "queries": len(evaluation.results),
                        "mrr": round(evaluation.mrr, 4),
                        "ndcg_at_10": round(evaluation.ndcg, 4),
                        "by_language": {
                            language: {
                                "queries": n,
                                "mrr": round(mrr, 4),
                                "ndcg_at_10": round(g, 4),
                            }
                            for language, (n, mrr, g) in evaluation.by_language().items()
                        },
                        "misses": [
                            {
                                "query": r.query.query,
                                "language": r.query.language,
                                "top": r.ranked[:3],
                            }
                            for r in evaluation.results
                            if r.reciprocal_rank == 0
                        ],
                    },
                    indent=2,
                    ensure_ascii=False,
                )
            )
            return
        table = Table(title="Search quality (labelled queries, top 10)")
        for column in ("language", "queries", "MRR", "NDCG@10"):
            table.add_column(column, justify="right" if column != "language" else "left")
        for language, (count, mrr, gain) in evaluation.by_language().items():
            table.add_row(language, str(count), f"{mrr:.3f}", f"{gain:.3f}")
        table.add_row(
            "all", str(len(evaluation.results)), f"{evaluation.mrr:.3f}", f"{evaluation.ndcg:.3f}"
        )
        console.print(table)
        misses = [result for result in evaluation.results if result.reciprocal_rank == 0]
        if misses:
            console.print(f"No relevant result in the top 10 for {len(misses)} queries:")
            for result in misses:
                console.print(f"  [{result.query.language}] {result.query.query}")
