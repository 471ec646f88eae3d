"""Demo boot time: `academy demo` on an empty data directory until the app answers.

What a new user waits for after installation: migrations, demo accounts, the content pack, the
simulated population (20,000 creators x 30 days), compaction and rollups, then the server and
its worker starting. Measured from the command's start to the first 200 from `/healthz`; then
the same data directory is booted again to measure the reuse path. Medians of 3 runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.common import academy_executable, free_port, log, median, write_section

RUNS = 3
TARGET_SECONDS = 300  # "under five minutes on a 2-core machine after installation"


def _boot(data_dir: Path) -> float:
    """Seconds from `academy demo` to a healthy server; the server is stopped afterwards."""
    port = free_port()
    env = {
        **os.environ,
        "ACADEMY_DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir}/academy.sqlite3",
        "DJANGO_SETTINGS_MODULE": "academy.config.settings.base",
    }
    started = time.monotonic()
    process = subprocess.Popen(
        [academy_executable(), "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                    return time.monotonic() - started
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError("academy demo exited before serving") from None
                if time.monotonic() - started > 3 * TARGET_SECONDS:
                    raise RuntimeError("academy demo did not serve within 15 minutes") from None
                time.sleep(0.25)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def main() -> None:
    first: list[float] = []
    again: list[float] = []
    for run in range(1, RUNS + 1):
        with tempfile.TemporaryDirectory(prefix="academy-bench-demo-") as data_dir:
            first.append(_boot(Path(data_dir)))
            again.append(_boot(Path(data_dir)))
        log(f"run {run}: first boot {first[-1]:.1f} s, again {again[-1]:.1f} s")
    verdict = "met" if median(first) <= TARGET_SECONDS else "missed"
    target = f"≤ {TARGET_SECONDS} s ({verdict})"
    first_runs = ", ".join(f"{value:.0f}" for value in first)
    again_runs = ", ".join(f"{value:.0f}" for value in again)
    write_section(
        "demo_boot",
        f"""
### Demo boot (`academy demo`, 20,000 creators x 30 days, until `/healthz` answers)

From the command's start on an empty data directory (installation already done) to the first
healthy answer of the server it starts; "again" boots the same data directory a second time,
reusing the simulated population. Medians of {RUNS} runs.

| boot | median | runs | target |
| --- | ---: | --- | --- |
| first (empty data directory) | {median(first):.1f} s | {first_runs} s | {target} |
| again (population reused) | {median(again):.1f} s | {again_runs} s | |
""",
    )


if __name__ == "__main__":
    main()
