"""`academy demo`: prepare the embedded platform with a simulated population and serve it.

    academy demo                       migrate, accounts, content, 20,000 creators x 30 days, serve
    academy demo --creators 2000 --days 7 --no-serve
    academy demo --fresh               erase the demo's data and start over
    academy demo --experiment-effect 0.15   the demo experiment's true effect on For You CTR

The simulated creators take part in the demo experiment `for-you-card-design` (the For You card
classic or with a thumbnail, 50/50, running from the first simulated day): the thumbnail's true
effect is +8 % click-through (``--experiment-effect``), and the experiment is analysed at the
end, so its results page shows what the analysis recovers.

Running it again reuses what is there: a population already simulated at the same size, seed and
effect is not simulated again (``<data dir>/demo.json`` records it). The first Ctrl-C stops the
simulation after the chunk in hand (nothing is served and the population is simulated again next
time); a second stops at once.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, timedelta
from pathlib import Path
from typing import IO, Any, cast

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from academy.accounts.services import DEMO_PASSWORD, demo_accounts_ensure
from academy.catalog.content_pack import load_pack
from academy.catalog.loader import content_pack_load
from academy.core import clock
from academy.core.errors import AcademyError
from academy.core.interrupts import stop_on_first_interrupt
from academy.events.lake import compact
from academy.events.rollups import rollup_days
from academy.experiments.models import Experiment, ExperimentStatus
from academy.experiments.services import experiment_analyze
from academy.recsys.engine.artifact import latest_bundle
from academy.recsys.model_store import models_root
from academy.recsys.training import TrainingStopped, recsys_train
from academy.search.services import search_popularity_refresh
from academy.simulation.engine.simulator import RunProgress
from academy.simulation.services import (
    DEMO_CTR_LIFT,
    DEMO_EXPERIMENT,
    ExperimentEffect,
    demo_experiment_ensure,
    simulation_run,
)

DEFAULT_CREATORS = 20_000
DEFAULT_DAYS = 30
DEFAULT_SEED = 1
# Snapshots of the demo experiment: yesterday and each of the weeks before it.
DEMO_SNAPSHOTS = 4


@dataclass(frozen=True)
class DemoPopulation:
    """What the last complete demo simulation was, so a re-run can reuse it."""

    creators: int
    days: int
    seed: int
    events: int
    simulated_at: str
    # The demo experiment's true relative effect on For You CTR (None: no experiment played).
    experiment_effect: float | None = None


def _population_path() -> Path:
    return Path(settings.DATA_DIR) / "demo.json"


def _population_recorded() -> DemoPopulation | None:
    path = _population_path()
    if not path.exists():
        return None
    try:
        return DemoPopulation(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError):
        return None  # an unreadable record only costs a new simulation


class Command(BaseCommand):
    help = (
        "Migrate, create demo accounts, load the content pack, simulate a creator population, "
        "compact and roll up its events, then serve the app with its worker."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument(
            "--creators",
            type=int,
            default=DEFAULT_CREATORS,
            help=f"simulated creators; default {DEFAULT_CREATORS:,}",
        )
        parser.add_argument(
            "--days", type=int, default=DEFAULT_DAYS, help=f"simulated days; default {DEFAULT_DAYS}"
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="simulation seed")
        parser.add_argument(
            "--experiment-effect",
            type=float,
            default=DEMO_CTR_LIFT,
            help="the demo experiment's true relative effect of the thumbnail For You card on "
            f"its click-through rate; default {DEMO_CTR_LIFT} (+{DEMO_CTR_LIFT * 100:.0f} %%)",
        )
        parser.add_argument(
            "--fresh",
            action="store_true",
            help="Erase the database's data and the event store, then start over.",
        )
        parser.add_argument(
            "--no-serve", action="store_true", help="Prepare everything, then exit."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=cast(IO[str], self.stdout))
        if options["fresh"]:
            self._erase_demo(console)
        with (
            stop_on_first_interrupt() as stop,
            Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
            ) as progress,
        ):
            step = progress.add_task("Applying database migrations", total=None)
            call_command("migrate", verbosity=0)
            self._next(progress, step, "Creating demo accounts")
            demo_accounts_ensure()
            self._next(progress, step, "Loading the content pack")
            content_pack_load(pack=load_pack())
            self._next(progress, step, "Compacting captured events")
            events_dir = Path(settings.ACADEMY_EVENTS_DIR)
            compacted = compact(events_dir=events_dir)
            if compacted.days:
                rollup_days(events_dir=events_dir, days=compacted.days)
            population = self._simulate(progress, step, options, stop.is_set)
            if population is not None:
                self._train(progress, step, events_dir, stop)
                if not stop.is_set():
                    self._analyze(progress, step, events_dir)
            progress.update(step, description="Demo ready", total=1, completed=1)
        if population is None:
            raise CommandError(
                "Stopped before the simulation finished: what was simulated is in the event "
                "store, and `academy demo` simulates the population again next time."
            )
        self._print_welcome(console, options, population)
        if options["no_serve"]:
            return
        # The worker publishes scheduled content, compacts events and recomputes rollups.
        worker = subprocess.Popen([sys.executable, "-m", "academy.cli", "worker"])
        try:
            call_command(
                "serve", host=options["host"], port=options["port"], workers=options["workers"]
            )
        finally:
            worker.terminate()
            worker.wait(timeout=15)

    @staticmethod
    def _next(progress: Progress, step: TaskID, description: str) -> None:
        progress.update(step, description=description, total=None, completed=0)

    def _simulate(
        self,
        progress: Progress,
        step: TaskID,
        options: dict[str, Any],
        should_stop: Callable[[], bool],
    ) -> DemoPopulation | None:
        effect = options["experiment_effect"]
        wanted = (options["creators"], options["days"], options["seed"], effect)
        recorded = _population_recorded()
        if (
            recorded
            and (
                recorded.creators,
                recorded.days,
                recorded.seed,
                recorded.experiment_effect,
            )
            == wanted
        ):
            self._next(progress, step, "Reusing the simulated population")
            return recorded
        description = f"Simulating {options['creators']:,} creators x {options['days']} days"
        self._next(progress, step, description)

        def advance(state: RunProgress) -> None:
            progress.update(
                step,
                completed=state.creator_days_done,
                total=state.creator_days_total,
                description=f"{description} ({state.events:,} events)",
            )

        try:
            # The demo experiment runs from the first simulated day.
            experiment = demo_experiment_ensure(
                started_at=clock.now() - timedelta(days=options["days"]), effect=effect
            )
            result = simulation_run(
                creators=options["creators"],
                days=options["days"],
                seed=options["seed"],
                policy="popularity",
                sink="lake",
                rollups=True,
                progress=advance,
                should_stop=should_stop,
                experiment=ExperimentEffect(DEMO_EXPERIMENT, effect) if experiment else None,
            )
        except AcademyError as error:
            raise CommandError(error.detail) from error
        if result.report.stopped:
            _population_path().unlink(missing_ok=True)
            return None
        population = DemoPopulation(
            creators=options["creators"],
            days=options["days"],
            seed=options["seed"],
            events=result.report.events,
            simulated_at=clock.now().isoformat(),
            experiment_effect=effect if experiment else None,
        )
        path = _population_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(population), indent=2), encoding="utf-8")
        return population

    def _train(
        self, progress: Progress, step: TaskID, events_dir: Path, stop: threading.Event
    ) -> None:
        """Popularity from the rollups (the worker refreshes it hourly), then a For You model
        trained on the simulated population, unless one newer than the population exists."""
        self._next(progress, step, "Computing popularity from the rollups")
        search_popularity_refresh(events_dir=events_dir)
        newest = latest_bundle(models_root())
        recorded = _population_recorded()
        if newest is not None and recorded is not None:
            trained = json.loads((newest / "manifest.json").read_text(encoding="utf-8"))
            if trained.get("trained_at", "") >= recorded.simulated_at:
                return
        self._next(progress, step, "Training the For You model")
        try:
            recsys_train(events_dir=events_dir, should_stop=stop)
        except (TrainingStopped, ValueError):
            # Stopped, or nothing to learn from yet: the feed serves its heuristic, and the
            # worker trains every night.
            return

    def _analyze(self, progress: Progress, step: TaskID, events_dir: Path) -> None:
        """The demo experiment's snapshots as of yesterday and each week before it since the
        start, so its results page has a history to pick from (the worker adds one a day)."""
        experiment = Experiment.objects.filter(
            key=DEMO_EXPERIMENT, status=ExperimentStatus.RUNNING
        ).first()
        if experiment is None or experiment.started_at is None:
            return
        yesterday = clock.now().date() - timedelta(days=1)
        start = experiment.started_at.astimezone(UTC).date()
        days = [
            day
            for day in (yesterday - timedelta(weeks=weeks) for weeks in range(DEMO_SNAPSHOTS))
            if day >= start
        ]
        if experiment.snapshots.filter(date__in=days).count() == len(days):
            return  # analysed already (a reused population)
        progress.update(
            step, description="Analysing the demo experiment", total=len(days), completed=0
        )
        for done, day in enumerate(sorted(days), start=1):
            try:
                experiment_analyze(experiment=experiment, as_of=day, events_dir=events_dir)
            except AcademyError:
                return  # the worker analyses it again every day
            progress.update(step, completed=done)

    def _erase_demo(self, console: Console) -> None:
        """Start over as on a new machine: the embedded database file, the event store and the
        trained models."""
        database = settings.DATABASES["default"]
        if database["ENGINE"] != "django.db.backends.sqlite3":
            raise CommandError(
                "--fresh erases the embedded SQLite database only; with another database, drop "
                "and recreate it, then run `academy demo` again."
            )
        console.print("Erasing the demo's data (database and event store)…")
        connections.close_all()
        path = Path(str(database["NAME"]))
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        shutil.rmtree(Path(settings.ACADEMY_EVENTS_DIR), ignore_errors=True)
        shutil.rmtree(models_root(), ignore_errors=True)
        _population_path().unlink(missing_ok=True)

    def _print_welcome(
        self, console: Console, options: dict[str, Any], population: DemoPopulation
    ) -> None:
        console.print(
            f"Simulated population: {population.creators:,} creators over {population.days} "
            f"days, {population.events:,} events (seed {population.seed})."
        )
        if population.experiment_effect is not None:
            console.print(
                f"Demo experiment {DEMO_EXPERIMENT}: the thumbnail card's true effect is "
                f"{population.experiment_effect:+.0%} click-through; its results are at "
                f"/console/experiments/{DEMO_EXPERIMENT}/results/ (analyst account)."
            )
        table = Table(title="Demo accounts", show_lines=False)
        table.add_column("Role")
        table.add_column("E-mail")
        table.add_column("Password")
        for role, email in demo_accounts_ensure():
            table.add_row(str(role.label), email, DEMO_PASSWORD)
        console.print(table)
        if not options["no_serve"]:
            console.print(
                f"Open http://{options['host']}:{options['port']}/ (Ctrl-C stops the server)."
            )
