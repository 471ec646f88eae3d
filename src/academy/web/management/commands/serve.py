"""`academy serve`: the production WSGI server (gunicorn), not Django's runserver."""

from __future__ import annotations

import multiprocessing
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]

from academy.config.wsgi import application


class AcademyServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return application


def default_workers() -> int:
    return max(2, min(4, multiprocessing.cpu_count()))


class Command(BaseCommand):
    help = "Serve Creator Academy with gunicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=default_workers())
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--timeout", type=int, default=60)

    def handle(self, *args: Any, **options: Any) -> None:
        host = options["host"]
        shown_host = f"[{host}]" if ":" in host else host
        self.stdout.write(f"Creator Academy on http://{shown_host}:{options['port']}/")
        AcademyServer(
            {
                "bind": f"{shown_host}:{options['port']}",
                "workers": options["workers"],
                "threads": options["threads"],
                "worker_class": "gthread",
                "timeout": options["timeout"],
                "graceful_timeout": 10,
                "accesslog": "-",
                "errorlog": "-",
                "proc_name": "academy",
            }
        ).run()
