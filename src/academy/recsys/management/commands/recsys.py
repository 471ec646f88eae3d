"""`academy recsys`: the For You recommender's tooling.

academy recsys train                 a new For You model from the lake (serving picks it up)
academy recsys evaluate PATH --format movielens|csv|lake   ours against the baselines
academy recsys compare               the feed against popularity in the simulator
academy recsys interleaving          which of two interleaved rankers creators prefer
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
from rich.table import Table

from academy.core.errors import AcademyError
from academy.core.interrupts import stop_on_first_interrupt
from academy.recsys.engine.evaluate import report_table
from academy.recsys.engine.tuning import Interrupted
from academy.recsys.evaluation import FORMATS, recsys_evaluate
from academy.recsys.interleaving import interleaving_analysis
from academy.recsys.simulation import feed_ctr, recsys_simulated_comparison
from academy.recsys.training import TrainingStopped, recsys_train


class Command(BaseCommand):
    help = "For You: train the model, evaluate it offline, compare it in the simulator."

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

        train = actions.add_parser(
            "train",
            help="Train a new For You model version from the events lake (docs/RECSYS.md); "
            "serving processes pick it up without a restart.",
        )
        train.add_argument("--seed", type=int, default=0)
        compare = actions.add_parser(
            "compare",
            help="Simulate creators under popularity, train on them, then compare the feed "
            "with popularity on the same world (scratch event stores; creators are reused).",
        )
        compare.add_argument("--creators", type=int, default=1500)
        compare.add_argument("--warmup-days", type=int, default=21)
        compare.add_argument("--days", type=int, default=4)
        compare.add_argument("--seed", type=int, default=5)
        interleaving = actions.add_parser(
            "interleaving",
            help="The preference share of ranker A in each interleaving served in the period, "
            "with its 95 %% interval and p-value (docs/RECSYS.md, docs/STATS.md).",
        )
        interleaving.add_argument(
            "--since", type=int, default=28, help="Days to look back (default: 28)."
        )
        interleaving.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=cast(IO[str], self.stdout))
        if options["action"] == "evaluate":
            self._evaluate(console, options)
        elif options["action"] == "train":
            self._train(console, options)
        elif options["action"] == "compare":
            self._compare(console, options)
        elif options["action"] == "interleaving":
            self._interleaving(console, options)

    def _interleaving(self, console: Console, options: dict[str, Any]) -> None:
        if options["since"] < 1:
            raise CommandError(_("--since must be at least 1 day."))
        comparisons = interleaving_analysis(since_days=options["since"])
        if options["json"]:
            self.stdout.write(json.dumps([c.as_json() for c in comparisons], indent=2))
            return
        if not comparisons:
            console.print(
                _("No interleaved pages in the last %(days)d days.") % {"days": options["since"]}
            )
            return
        for comparison in comparisons:
            console.print(
                _("%(a)s (A) against %(b)s (B): %(pages)s pages, %(first)s to %(last)s")
                % {
                    "a": comparison.a,
                    "b": comparison.b,
                    "pages": f"{comparison.pages:,}",
                    "first": comparison.first_seen[:10],
                    "last": comparison.last_seen[:10],
                },
                style="bold",
                highlight=False,
            )
            result = comparison.result
            if result is None:
                console.print("  " + comparison.problem, highlight=False)
                continue
            lines = (
                _("share of clicked pages won by A: %(share).3f (95 %% interval %(low).3f–"
                  "%(high).3f), p = %(p).3g")
                % {"share": result.share_a, "low": result.ci_low, "high": result.ci_high,
                   "p": result.p_value},
                _("%(creators)s creators with a clicked page; A wins / B wins / ties: "
                  "%(a)s / %(b)s / %(ties)s")
                % {"creators": f"{result.creators:,}", "a": f"{result.wins_a:,}",
                   "b": f"{result.wins_b:,}", "ties": f"{result.ties:,}"},
                _("preferred: %(ranker)s")
                % {"ranker": comparison.preferred_ranker or _("neither (yet)")},
            )  # fmt: skip
            for line in lines:
                console.print("  " + line, highlight=False)

    def _train(self, console: Console, options: dict[str, Any]) -> None:
        with (
            stop_on_first_interrupt() as stop,
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            ) as progress,
        ):
            task = progress.add_task(_("Reading the interactions"), total=1.0)
            try:
                report = recsys_train(
                    events_dir=Path(settings.ACADEMY_EVENTS_DIR),
                    seed=options["seed"],
                    progress=lambda step, share: progress.update(
                        task, description=step, completed=share
                    ),
                    should_stop=stop,
                )
            except TrainingStopped:
                raise CommandError(_("Stopped: nothing was written.")) from None
            except ValueError as error:
                raise CommandError(str(error)) from error
        console.print(
            _(
                "For You model %(version)s: %(interactions)s interactions of %(creators)s "
                "creators with %(items)s items; click model: %(ranker)s."
            )
            % {
                "version": report.version,
                "interactions": f"{report.interactions:,}",
                "creators": f"{report.creators:,}",
                "items": f"{report.items:,}",
                "ranker": (
                    _("trained on %(n)s requests") % {"n": f"{report.requests:,}"}
                    if report.ranker
                    else _("not enough logged requests yet, the heuristic serves")
                ),
            }
        )

    def _compare(self, console: Console, options: dict[str, Any]) -> None:
        try:
            result = recsys_simulated_comparison(
                creators=options["creators"],
                warmup_days=options["warmup_days"],
                days=options["days"],
                seed=options["seed"],
                events_dir=Path(settings.ACADEMY_EVENTS_DIR),
                step=lambda message: console.print(f"… {message}"),
            )
        except AcademyError as error:
            raise CommandError(error.detail) from error
        table = Table(title=_("The feed against popularity in the simulator"))
        for column in (_("metric"), _("popularity"), _("For You")):
            table.add_column(column)
        pairs = (
            (_("feed click-through"), feed_ctr(result.popularity), feed_ctr(result.for_you)),
            (
                _("lesson completions"),
                result.popularity.lesson_completions,
                result.for_you.lesson_completions,
            ),
            (
                _("next-day return rate"),
                result.popularity.next_day_return_rate,
                result.for_you.next_day_return_rate,
            ),
        )
        for label, baseline, ours in pairs:
            shape = "{:,}" if isinstance(baseline, int) else "{:.4f}"
            table.add_row(label, shape.format(baseline), shape.format(ours))
        console.print(table)

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
