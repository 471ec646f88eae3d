"""`academy simulate`: simulated creators use the Academy for some days and leave their events.

    academy simulate --creators 20000 --days 30 --seed 1 --policy popularity --sink lake
    academy simulate --experiment for-you-card-design --ctr-lift 0.08
    academy simulate fit [--data ../shared/data/kuairand-pure] [--check]

Ctrl-C stops after the chunk being simulated: what was simulated is written, events first, and
the report says how many days were completed. A second Ctrl-C stops at once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from academy.core.errors import AcademyError
from academy.core.interrupts import stop_on_first_interrupt
from academy.simulation.engine.parameters import (
    DEFAULT_DATA_DIR,
    PARAMETERS_PATH,
    FitProblem,
    parameters_fit,
    parameters_load,
    parameters_save,
)
from academy.simulation.engine.simulator import POLICY_NAMES, RunProgress
from academy.simulation.services import (
    SINKS,
    ExperimentEffect,
    SimulationResult,
    simulation_run,
    simulation_summary,
)


class Command(BaseCommand):
    help = (
        "Simulate creators using the Academy over past days and write their events "
        "(`fit` refits the creator population on KuaiRand-Pure)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--creators", type=int, default=1_000, help="default: 1,000")
        parser.add_argument("--days", type=int, default=30, help="ending now; default: 30")
        parser.add_argument("--seed", type=int, default=1, help="the same seed, the same events")
        parser.add_argument(
            "--policy",
            default="popularity",
            help=f"{' | '.join(POLICY_NAMES)}; default: popularity",
        )
        parser.add_argument(
            "--sink", default="lake", help=f"{' | '.join(SINKS)}; default: lake (large runs)"
        )
        parser.add_argument(
            "--no-rollup", action="store_true", help="Lake sink: leave the rollups to the worker."
        )
        parser.add_argument(
            "--experiment",
            default="",
            help="a running experiment to play from the first day (creators assigned, exposed "
            "and marked as the product does)",
        )
        parser.add_argument(
            "--ctr-lift",
            type=float,
            default=0.0,
            help="with --experiment: the true relative change of the click-through rate of the "
            "For You card for every variation but the control (0.08 = +8 %%); default: 0",
        )
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        actions = parser.add_subparsers(dest="action")
        fit = actions.add_parser("fit", help="Refit the population's marginals on KuaiRand-Pure.")
        fit.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR, help="the data folder")
        fit.add_argument(
            "--check",
            action="store_true",
            help="Only check that the committed parameters match a fresh fit.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "fit":
            self._fit(options["data"], check=options["check"])
            return
        console = Console(file=cast(IO[str], self.stdout))
        try:
            with (
                stop_on_first_interrupt() as stop,
                Progress(
                    TextColumn("{task.description}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TextColumn("creator-days, {task.fields[events]:,} events"),
                    TimeElapsedColumn(),
                    TimeRemainingColumn(),
                    console=console,
                    transient=True,
                    disable=options["json"],
                ) as progress,
            ):
                task = progress.add_task("Simulating", total=None, events=0)

                def advance(state: RunProgress) -> None:
                    progress.update(
                        task,
                        completed=state.creator_days_done,
                        total=state.creator_days_total,
                        events=state.events,
                        description="Stopping after this chunk" if stop.is_set() else "Simulating",
                    )

                result = simulation_run(
                    creators=options["creators"],
                    days=options["days"],
                    seed=options["seed"],
                    policy=options["policy"],
                    sink=options["sink"],
                    rollups=not options["no_rollup"],
                    progress=advance,
                    should_stop=stop.is_set,
                    experiment=(
                        ExperimentEffect(options["experiment"], options["ctr_lift"])
                        if options["experiment"]
                        else None
                    ),
                )
        except AcademyError as error:
            raise CommandError(error.detail) from error
        if options["json"]:
            self.stdout.write(json.dumps(simulation_summary(result), indent=2))
        else:
            self._print(console, result)

    def _print(self, console: Console, result: SimulationResult) -> None:
        report = result.report
        table = Table(title=f"Simulation: {report.policy} policy, seed {report.seed}")
        table.add_column("metric")
        table.add_column("value", justify="right")
        rows = [
            (
                "creators (new / reused)",
                f"{result.creators_created:,} / {result.creators_reused:,}",
            ),
            ("days simulated", f"{report.days_completed} of {report.days}"),
            ("events", f"{report.events:,} ({result.sink} sink)"),
            ("impressions / clicks", f"{report.impressions:,} / {report.clicks:,}"),
            ("CTR (expected from the truth)", f"{report.ctr:.2%} ({report.expected_ctr:.2%})"),
            *(
                (f"  CTR {entry}", f"{metrics.ctr:.2%}")
                for entry, metrics in report.entry_points.items()
            ),
            ("lesson completion rate", f"{report.completion_rate:.1%}"),
            ("searches (no result)", f"{report.searches:,} ({report.zero_result_searches:,})"),
            ("next-day return rate", f"{report.next_day_return_rate:.1%}"),
            ("simulation time", f"{report.elapsed_seconds:.1f} s"),
        ]
        for name, value in rows:
            table.add_row(name, value)
        console.print(table)
        if report.stopped:
            console.print(
                f"Stopped on request after {report.days_completed} whole days: every chunk "
                "simulated until then is written, events first."
            )
        if result.rolled_up:
            console.print(f"Rollups recomputed for {len(result.days)} days.")
        elif result.sink == "capture":
            console.print(
                "Events are in the capture log: `academy events compact` (or the worker)."
            )

    def _fit(self, data: Path, *, check: bool) -> None:
        try:
            fitted = parameters_fit(data_dir=data)
        except FitProblem as error:
            raise CommandError(str(error)) from error
        if check:
            if fitted != parameters_load():
                raise CommandError(
                    f"{PARAMETERS_PATH.name} differs from a fresh fit: run `academy simulate fit`."
                )
            self.stdout.write(f"{PARAMETERS_PATH.name} matches the data.")
            return
        parameters_save(fitted)
        tiers = ", ".join(
            f"{tier} {share:.2%}" for tier, share in fitted.follower_tier_shares.items()
        )
        self.stdout.write(
            f"Fitted {fitted.creators_fitted:,} creators; follower tiers: {tiers}. "
            f"Wrote {PARAMETERS_PATH}."
        )
