"""`academy recsys evaluate`: our recommender against the baselines, offline.

The subcommands live side by side; `train` (the production model) is added next to
`evaluate` in ``add_arguments`` and ``handle``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any, cast

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from academy.core.errors import AcademyError
from academy.core.interrupts import stop_on_first_interrupt
from academy.recsys.engine.evaluate import report_table
from academy.recsys.engine.tuning import Interrupted
from academy.recsys.evaluation import FORMATS, recsys_evaluate


class Command(BaseCommand):
    help = "Recommender tooling: measure our model against standard baselines offline."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        evaluate = actions.add_parser(
            "evaluate",
            help="Split interactions by time per user, tune and fit our model and the "
            "baselines, and report Recall, NDCG, HitRate and coverage at K (docs/RECSYS.md).",
        )
        evaluate.add_argument(
            "path",
            nargs="?",
            type=Path,
            help="The interactions: a u.data or CSV file, or the events directory for "
            "--format lake (default: this installation's events).",
        )
        evaluate.add_argument("--format", choices=FORMATS, required=True, dest="input_format")
        evaluate.add_argument(
            "--k", type=int, nargs="+", default=[10, 20], help="Cut-offs (default: 10 20)."
        )
        evaluate.add_argument("--seed", type=int, default=0, help="Seed for every random step.")
        evaluate.add_argument(
            "--grid",
            choices=("full", "small"),
            default="full",
            help="Hyperparameter grids: full (default) or small (a quick look).",
        )
        evaluate.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=cast(IO[str], self.stdout))
        if options["action"] == "evaluate":
            self._evaluate(console, options)

    def _evaluate(self, console: Console, options: dict[str, Any]) -> None:
        path: Path | None = options["path"]
        if path is None:
            if options["input_format"] != "lake":
                raise CommandError(_("Give the path of the interactions file."))
            path = Path(settings.ACADEMY_EVENTS_DIR)
        if any(k < 1 for k in options["k"]):
            raise CommandError(_("K must be at least 1."))
        with (
            stop_on_first_interrupt() as stop,
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            ) as progress,
        ):
            task = progress.add_task(_("Reading the interactions"), total=None)
            try:
                report = recsys_evaluate(
                    path=path,
                    input_format=options["input_format"],
                    ks=options["k"],
                    seed=options["seed"],
                    grid=options["grid"],
                    progress=lambda step, done, total: progress.update(
                        task, description=step, completed=done, total=total
                    ),
                    stop=stop,
                )
            except Interrupted:
                raise CommandError(_("Stopped: nothing was written.")) from None
            except AcademyError as error:
                raise CommandError(error.detail) from error
        if options["json"]:
            self.stdout.write(json.dumps(report.as_json(), indent=2))
            return
        console.print(report_table(report))
        ours, best = report.model("hybrid"), report.best_baseline(report.ks[0])
        ours_ndcg, best_ndcg = ours.at(report.ks[0]), best.at(report.ks[0])
        if ours_ndcg is not None and best_ndcg is not None and best_ndcg.ndcg > 0:
            change = (ours_ndcg.ndcg / best_ndcg.ndcg - 1) * 100
            console.print(
                _("Our model vs the best baseline (%(name)s) on NDCG@%(k)s: %(change)+.1f%%")
                % {"name": best.name, "k": report.ks[0], "change": change}
            )
