"""Browser journeys: a real `academy serve` on its own SQLite database, driven by Debian's Chromium.

The server runs in a child process exactly as an operator would start it (migrate, then serve with
gunicorn), so these tests cover the WSGI stack, static files, cookies, CSRF and redirects end to
end. Chromium is the distribution's package, never a browser downloaded by Playwright.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    ViewportSize,
    sync_playwright,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts"
SCREENSHOT_DIR = ARTIFACTS_DIR / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
# The machine may have no network: keep Chromium from phoning home (updates, sync, QUIC probes).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SERVER_START_TIMEOUT = 30.0
SERVER_STOP_TIMEOUT = 10.0
COMMAND_TIMEOUT = 120.0
EXPECT_TIMEOUT_MS = 10_000

ViewportKind = Literal["mobile", "desktop"]
VIEWPORTS: dict[ViewportKind, ViewportSize] = {
    "mobile": {"width": 390, "height": 844},
    "desktop": {"width": 1280, "height": 900},
}

CALL_FAILED = pytest.StashKey[bool]()

# urllib must talk to 127.0.0.1 directly, whatever proxy the environment configures.
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def chromium_missing_reason() -> str:
    return (
        f"{CHROMIUM} is missing: install Debian's Chromium "
        "(apt-get install --no-install-recommends chromium) to run the browser journeys"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without Chromium, skip the journeys on a laptop; in CI the `browser` fixture fails them."""
    if CHROMIUM.exists() or running_in_ci():
        return
    skip = pytest.mark.skip(reason=chromium_missing_reason())
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
    return report


# ---------------------------------------------------------------------------------------------
# The server


def academy_command() -> list[str]:
    """The `academy` CLI of the interpreter running the tests (the project's virtualenv)."""
    launcher = Path(sys.executable).with_name("academy")
    if launcher.exists():
        return [str(launcher)]
    found = shutil.which("academy")
    if found:
        return [found]
    return [sys.executable, "-m", "academy.cli"]


def server_environment(data_dir: Path) -> dict[str, str]:
    """The process environment, minus any inherited database or Academy setting.

    The journeys always use their own SQLite file: a DATABASE_URL exported for a PostgreSQL run
    must not leak into the server they start.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if name != "DATABASE_URL" and not name.startswith("ACADEMY_")
    }
    env.update(
        ACADEMY_DATA_DIR=str(data_dir),
        DATABASE_URL=f"sqlite:///{data_dir / 'academy.sqlite3'}",
        ACADEMY_SECRET_KEY=f"test-browser-journeys-{secrets.token_hex(16)}",
        ACADEMY_DEBUG="0",
        DJANGO_SETTINGS_MODULE="academy.config.settings.base",
        PYTHONUNBUFFERED="1",
        # The platform clock (core/clock.py): the system time until a test writes a time here.
        ACADEMY_CLOCK_FILE=str(data_dir / "clock.txt"),
    )
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class LiveServer:
    base_url: str
    data_dir: Path
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def academy(self, *args: str) -> str:
        """Run an `academy` management command against this server's database; return stdout."""
        result = subprocess.run(
            [*academy_command(), *args],
            env=self.env,
            cwd=self.data_dir,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
        if result.returncode != 0:
            raise AssertionError(
                f"`academy {args[0] if args else ''}` exited with {result.returncode}:\n"
                f"{result.stdout}{result.stderr}"
            )
        return result.stdout

    @property
    def clock_file(self) -> Path:
        return Path(self.env["ACADEMY_CLOCK_FILE"])

    def set_clock(self, when: datetime | None) -> None:
        """Make ``when`` "now" for the server and every `academy` command; None: real time.

        Journeys move time this way instead of sleeping (see academy.core.clock).
        """
        if when is None:
            self.clock_file.unlink(missing_ok=True)
            return
        if when.tzinfo is None:
            raise ValueError("the clock needs an aware datetime")
        self.clock_file.write_text(when.isoformat(), encoding="utf-8")

    def create_user(self, *, email: str, name: str, role: str, password: str) -> None:
        """A staff account (editor, analyst, admin) made the way an operator makes one."""
        self.academy(
            "user",
            "create",
            "--email",
            email,
            "--name",
            name,
            "--role",
            role,
            "--password",
            password,
        )

    def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    *academy_command(),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    self.base_url.rsplit(":", 1)[1],
                    "--workers",
                    "1",
                ],
                env=self.env,
                cwd=self.data_dir,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so gunicorn's worker stops too
            )
        self._wait_until_healthy()

    def _wait_until_healthy(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            code = self.process.poll()
            if code is not None:
                raise RuntimeError(
                    f"`academy serve` exited with {code} before answering /healthz:\n"
                    f"{log_tail(self.log_path)}"
                )
            try:
                with _direct.open(self.url("/healthz"), timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() >= deadline:
                raise RuntimeError(
                    f"`academy serve` did not answer /healthz with 200 within "
                    f"{SERVER_START_TIMEOUT:.0f} s:\n{log_tail(self.log_path)}"
                )
            time.sleep(0.2)

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        self._signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=SERVER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._signal_group(process, signal.SIGKILL)
            process.wait(timeout=SERVER_STOP_TIMEOUT)

    @staticmethod
    def _signal_group(process: subprocess.Popen[bytes], signum: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signum)  # the group this fixture created for the server


@pytest.fixture(scope="session")
def academy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`academy migrate` then `academy serve` on a free port, on a throwaway SQLite database.

    Not named ``live_server``: pytest-django gives that name a test database of its own.
    """
    data_dir = tmp_path_factory.mktemp("academy-browser")
    server = LiveServer(
        base_url=f"http://127.0.0.1:{free_port()}",
        data_dir=data_dir,
        env=server_environment(data_dir),
        log_path=data_dir / "server.log",
    )
    server.academy("migrate", "--no-input", "--verbosity", "0")
    try:
        server.start()
        yield server
    finally:
        server.stop()
        if server.log_path.exists():
            ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(server.log_path, ARTIFACTS_DIR / "browser-server.log")


@pytest.fixture
def server_clock(academy_server: LiveServer) -> Iterator[Callable[[datetime | None], None]]:
    """Set the server's clock; it is back on real time after the test, whatever happened."""
    yield academy_server.set_clock
    academy_server.set_clock(None)


# ---------------------------------------------------------------------------------------------
# The browser


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        # Only reachable under CI (elsewhere the journeys were skipped at collection).
        pytest.fail(f"{chromium_missing_reason()}; CI must run them, so this is a failure")
    chromium = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


ContextFactory = Callable[[ViewportKind], BrowserContext]


@pytest.fixture
def new_context(
    browser: Browser, request: pytest.FixtureRequest, screenshot: Screenshots
) -> Iterator[ContextFactory]:
    """Fresh, isolated browser contexts (own cookies) in English; closed after the test.

    A failed test leaves a screenshot of every page it had open, named ``…-failure-N.png``.
    """
    contexts: list[BrowserContext] = []

    def make(kind: ViewportKind) -> BrowserContext:
        context = browser.new_context(
            viewport=VIEWPORTS[kind],
            is_mobile=kind == "mobile",
            has_touch=kind == "mobile",
            device_scale_factor=2 if kind == "mobile" else 1,
            locale="en-US",
            timezone_id="UTC",
        )
        context.set_default_timeout(EXPECT_TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    failed = request.node.stash.get(CALL_FAILED, False)
    number = 0
    for context in contexts:
        if failed:
            for page in context.pages:
                number += 1
                try:
                    screenshot(page, f"failure-{number}")
                except Exception:  # noqa: S112 - best effort; the test failure is what matters
                    continue
        context.close()


class Screenshots:
    """Full-page screenshots under ``test-artifacts/screenshots/<test>-<step>.png``."""

    def __init__(self, test_name: str) -> None:
        self.prefix = re.sub(r"[^A-Za-z0-9_.-]+", "-", test_name).strip("-")

    def __call__(self, page: Page, step: str) -> Path:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOT_DIR / f"{self.prefix}-{step}.png"
        page.screenshot(path=path, full_page=True, animations="disabled")
        return path


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Screenshots:
    return Screenshots(request.node.name)
