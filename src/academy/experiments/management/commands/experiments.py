"""`academy experiments analyze KEY [--date YYYY-MM-DD] | analyze --running`: dated analyses."""

from __future__ import annotations

from datetime import date
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from academy.core.errors import AcademyError
from academy.experiments.analysis import ExperimentResults
from academy.experiments.models import Experiment, ExperimentStatus, SnapshotStatus
from academy.experiments.selectors import experiment_get
from academy.experiments.services import experiment_analyze

STEPS = {
    "exposures": "Reading exposures",
    "query": "Summing the rollups",
    "statistics": "Computing statistics",
    "saving": "Saving the snapshot",
}


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"“{text}” is not a day: give it as YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = "Experiments: analyse an experiment from the rollups into a dated snapshot."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        analyze = actions.add_parser(
            "analyze",
            help="Analyse an experiment (or every running one) as of a day and store the "
            "snapshot; analysing the same day again replaces it.",
        )
        analyze.add_argument("key", nargs="?", help="the experiment's key")
        analyze.add_argument(
            "--running", action="store_true", help="every running experiment with metrics"
        )
        analyze.add_argument(
            "--date", help="the last day of data to include (default: yesterday, UTC)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stream = cast(IO[str], self.stdout)
        # Piped output (logs, tests) is not cut to 80 columns; a terminal uses its own width.
        console = Console(file=stream, soft_wrap=True, width=None if stream.isatty() else 132)
        as_of = _day(options["date"]) if options["date"] else None
        if bool(options["key"]) == bool(options["running"]):
            raise CommandError("Name one experiment, or give --running for every running one.")
        if options["running"]:
            experiments = list(
                Experiment.objects.filter(status=ExperimentStatus.RUNNING).order_by("key")
            )
            experiments = [e for e in experiments if e.primary_metrics]
            if not experiments:
                self.stdout.write("No running experiment has metrics to analyse.")
                return
        else:
            try:
                experiments = [experiment_get(key=options["key"])]
            except AcademyError as error:
                raise CommandError(error.detail) from None
        for experiment in experiments:
            try:
                self._analyze(console, experiment, as_of)
            except KeyboardInterrupt:
                raise CommandError(
                    "Interrupted: no snapshot was written for "
                    f"{experiment.key}; its earlier snapshots are unchanged."
                ) from None
            except CommandError as error:
                if len(experiments) == 1:
                    raise
                console.print(f"[red]{error}[/red]")  # the next experiment still runs

    def _analyze(self, console: Console, experiment: Experiment, as_of: date | None) -> None:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task(f"{experiment.key}: starting", total=len(STEPS))

            def step(name: str) -> None:
                done = list(STEPS).index(name)
                progress.update(
                    task, completed=done, description=f"{experiment.key}: {STEPS[name]}"
                )

            try:
                snapshot = experiment_analyze(experiment=experiment, as_of=as_of, progress=step)
            except AcademyError as error:
                raise CommandError(f"{experiment.key}: {error.detail}") from None
            progress.update(task, completed=len(STEPS))
        if snapshot.status == SnapshotStatus.FAILED:
            raise CommandError(
                f"{experiment.key} as of {snapshot.date}: the analysis failed: {snapshot.error}"
            )
        self._summary(console, ExperimentResults.from_json(snapshot.results))

    def _summary(self, console: Console, results: ExperimentResults) -> None:
        creators = ", ".join(f"{v.key} {v.creators:,}" for v in results.variations)
        console.print(
            f"[bold]{results.experiment}[/bold] as of {results.as_of} "
            f"(exposures since {results.start}): {creators}"
        )
        if results.srm is not None:
            verdict = "[red]MISMATCH[/red]" if results.srm.mismatch else "ok"
            console.print(f"Sample ratio: {verdict} (p = {results.srm.p_value:.3g})")
        table = Table(
            "metric",
            "variation",
            "control",
            "treatment",
            "lift (95 % always valid)",
            "p (Holm)",
            "verdict",
        )
        for metric in results.metrics:
            if metric.error:
                table.add_row(metric.key, "", "", "", metric.error, "", "")
                continue
            for c in metric.comparisons:
                test = c.cuped_sequential or c.sequential
                lift = (
                    f"{test.relative.estimate:+.1%} [{test.relative.low:+.1%}, "
                    f"{test.relative.high:+.1%}]"
                    if test.relative
                    else f"{test.absolute.estimate:+.4g}"
                )
                p = c.adjusted_p_value if c.adjusted_p_value is not None else test.p_value
                table.add_row(
                    metric.key + (" (guardrail)" if metric.role == "guardrail" else ""),
                    c.variation,
                    _value(c.control.value),
                    _value(c.treatment.value),
                    lift,
                    f"{p:.3g}",
                    c.verdict,
                )
        console.print(table)
        for decision in results.decisions:
            reasons = ", ".join(
                r.code + (f" ({r.metric})" if r.metric else "") for r in decision.reasons
            )
            console.print(
                f"Decision for {decision.variation}: [bold]{decision.action}[/bold] — {reasons}"
            )
        for warning in results.warnings:
            console.print(f"[yellow]Warning[/yellow]: {warning}")


def _value(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"
