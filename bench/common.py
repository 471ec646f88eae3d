"""Shared pieces of the benchmarks: a real server, timing statistics and the results file."""

from __future__ import annotations

import contextlib
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS_PATH = ROOT / "docs" / "BENCHMARKS.md"


@dataclass
class Server:
    base_url: str
    env: dict[str, str]
    data_dir: Path
    process: subprocess.Popen[bytes] | None = None

    def kill(self) -> None:
        """SIGKILL the whole server (master and workers): a crash, not a shutdown."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def academy(self, *args: str) -> str:
        """Run an `academy` command against this server's database and return its stdout."""
        completed = subprocess.run(
            [academy_executable(), *args], env=self.env, check=True, capture_output=True, text=True
        )
        return completed.stdout


def academy_executable() -> str:
    found = shutil.which("academy")
    if found is None:
        raise RuntimeError("`academy` is not on PATH: run the benchmarks with `make bench`")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def running_server(*, workers: int = 2) -> Iterator[Server]:
    """`academy serve` on a fresh SQLite database in a temporary data directory."""
    with tempfile.TemporaryDirectory(prefix="academy-bench-") as data_dir:
        env = {
            **os.environ,
            "ACADEMY_DATA_DIR": data_dir,
            "DATABASE_URL": f"sqlite:///{data_dir}/academy.sqlite3",
            "DJANGO_SETTINGS_MODULE": "academy.config.settings.base",
        }
        port = free_port()
        server = Server(base_url=f"http://127.0.0.1:{port}", env=env, data_dir=Path(data_dir))
        server.academy("migrate", "--verbosity", "0")
        process = subprocess.Popen(
            [academy_executable(), "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        server.process = process
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"{server.base_url}/healthz", timeout=1):  # noqa: S310
                        break
                except OSError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise RuntimeError("academy serve did not start") from None
                    time.sleep(0.2)
            yield server
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def machine_description() -> str:
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = platform.processor() or platform.machine()
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory_gib:.0f} GiB memory, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def cpu_reference_seconds(steps: int = 5_000_000) -> float:
    """Seconds a plain Python loop of `steps` additions takes now (median of 3).

    The machines are shared virtual machines whose speed changes by up to 2x within an hour;
    this figure beside a result says how fast the machine was when it was measured."""
    timings = []
    for _run in range(3):
        started = time.perf_counter()
        total = 0
        for step in range(steps):
            total += step
        timings.append(time.perf_counter() - started)
    return median(timings)


def write_section(name: str, markdown: str) -> None:
    """Replace the section between `<!-- bench:NAME -->` markers in docs/BENCHMARKS.md."""
    text = RESULTS_PATH.read_text(encoding="utf-8") if RESULTS_PATH.exists() else ""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    speed = (
        f"; machine speed when written: a 5M-step Python loop took {cpu_reference_seconds():.2f} s"
    )
    block = (
        f"{start}\n_Measured {stamp} on {machine_description()}{speed}._\n\n"
        f"{markdown.strip()}\n{end}"
    )
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _match: block, text)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    RESULTS_PATH.write_text(text, encoding="utf-8")


def log(message: str) -> None:
    sys.stderr.write(message + "\n")
