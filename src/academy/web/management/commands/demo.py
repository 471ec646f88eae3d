"""`academy demo`: prepare the embedded platform and serve it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import IO, Any, cast

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from academy.accounts.services import DEMO_PASSWORD, demo_accounts_ensure
from academy.catalog.content_pack import load_pack
from academy.catalog.loader import content_pack_load


class Command(BaseCommand):
    help = "Migrate, create demo accounts, load the content pack, and serve with a worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument(
            "--no-serve", action="store_true", help="Prepare everything, then exit."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=cast(IO[str], self.stdout))
        steps: list[tuple[str, Callable[[], object]]] = [
            ("Applying database migrations", lambda: call_command("migrate", verbosity=0)),
            ("Creating demo accounts", demo_accounts_ensure),
            ("Loading the content pack", lambda: content_pack_load(pack=load_pack())),
        ]
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            overall = progress.add_task("Preparing the demo", total=len(steps))
            for description, step in steps:
                progress.update(overall, description=description)
                step()
                progress.advance(overall)
            progress.update(overall, description="Demo ready")

        table = Table(title="Demo accounts", show_lines=False)
        table.add_column("Role")
        table.add_column("E-mail")
        table.add_column("Password")
        for role, email in demo_accounts_ensure():
            table.add_row(str(role.label), email, DEMO_PASSWORD)
        console.print(table)
        if options["no_serve"]:
            return
        # The worker publishes scheduled content (and later compacts events, trains models).
        worker = subprocess.Popen([sys.executable, "-m", "academy.cli", "worker"])
        try:
            call_command(
                "serve", host=options["host"], port=options["port"], workers=options["workers"]
            )
        finally:
            worker.terminate()
            worker.wait(timeout=15)
