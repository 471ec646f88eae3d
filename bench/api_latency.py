"""Latency and throughput of authenticated API calls through the real server.

Starts `academy serve` (gunicorn, 2 workers) on SQLite, creates an API key, and measures
`GET /api/v1/me` with a Bearer key — the authentication and problem+json path every host-app
call goes through. Two loads, each repeated and reported as medians:

* paced: requests scheduled at a fixed rate (300/s, the rate of the feed target in the For You
  issue); latency counts from the scheduled send time, so queueing is not hidden;
* saturated: concurrent keep-alive clients sending as fast as answers come back (throughput).

The load generator runs on the same 2 cores as the server, so both figures are pessimistic.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from rich.progress import Progress

from bench.common import median, percentile, running_server, write_section

RUNS = 5
PACED_RATE = 300
PACED_SECONDS = 5
SATURATED_REQUESTS = 2_000
CLIENTS = 8
TARGET_P99_MS = 20.0


@dataclass(frozen=True)
class RunResult:
    p50_ms: float
    p99_ms: float
    requests_per_second: float


class Load:
    def __init__(self, host: str, port: int, key: str) -> None:
        self.host, self.port, self.key = host, port, key
        self.latencies: list[float] = []
        self.errors: list[int] = []
        self.lock = threading.Lock()

    def _send(self, connection: http.client.HTTPConnection, since: float) -> None:
        connection.request("GET", "/api/v1/me", headers={"Authorization": f"Bearer {self.key}"})
        response = connection.getresponse()
        response.read()
        elapsed_ms = (time.perf_counter() - since) * 1000
        with self.lock:
            self.latencies.append(elapsed_ms)
            if response.status != 200:
                self.errors.append(response.status)

    def saturated_client(self, count: int) -> None:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        for _ in range(count):
            self._send(connection, time.perf_counter())
        connection.close()

    def paced_client(self, start: float, interval: float, offset: float, count: int) -> None:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        for index in range(count):
            scheduled = start + offset + index * interval
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            self._send(connection, scheduled)
        connection.close()


def _run(load: Load, targets: list[Callable[[], None]]) -> RunResult:
    threads = [threading.Thread(target=target) for target in targets]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if load.errors:
        raise RuntimeError(f"{len(load.errors)} requests failed, e.g. HTTP {load.errors[0]}")
    return RunResult(
        p50_ms=percentile(load.latencies, 0.50),
        p99_ms=percentile(load.latencies, 0.99),
        requests_per_second=len(load.latencies) / elapsed,
    )


def saturated_run(host: str, port: int, key: str) -> RunResult:
    load = Load(host, port, key)
    per_client = SATURATED_REQUESTS // CLIENTS
    clients: list[Callable[[], None]] = [
        partial(load.saturated_client, per_client) for _ in range(CLIENTS)
    ]
    return _run(load, clients)


def paced_run(host: str, port: int, key: str) -> RunResult:
    load = Load(host, port, key)
    interval = CLIENTS / PACED_RATE
    per_client = PACED_RATE * PACED_SECONDS // CLIENTS
    start = time.perf_counter() + 0.1
    clients: list[Callable[[], None]] = [
        partial(load.paced_client, start, interval, index * interval / CLIENTS, per_client)
        for index in range(CLIENTS)
    ]
    return _run(load, clients)


def main() -> None:
    with running_server(workers=2) as server:
        key = server.academy("apikey", "create", "--name", "bench", "--scopes", "feed:read")
        key = key.strip()
        host, port_text = server.base_url.removeprefix("http://").split(":")
        port = int(port_text)
        saturated_run(host, port, key)  # warm-up: imports, connections, SQLite page cache
        paced: list[RunResult] = []
        saturated: list[RunResult] = []
        with Progress() as progress:
            task = progress.add_task("GET /api/v1/me", total=RUNS * 2)
            for _ in range(RUNS):
                paced.append(paced_run(host, port, key))
                progress.advance(task)
                saturated.append(saturated_run(host, port, key))
                progress.advance(task)

    def med(results: list[RunResult], field: str) -> float:
        return median([getattr(result, field) for result in results])

    p99 = med(paced, "p99_ms")
    verdict = "met" if p99 <= TARGET_P99_MS else "missed"
    write_section(
        "api_latency",
        f"""
### Authenticated API call (`GET /api/v1/me`, Bearer key, SQLite, 2 gunicorn workers)

Medians of {RUNS} runs. Paced: {PACED_RATE} requests/s for {PACED_SECONDS} s from {CLIENTS}
clients, latency from the scheduled send time. Saturated: {CLIENTS} keep-alive clients,
{SATURATED_REQUESTS:,} requests. The load generator shares the machine's 2 cores.

| load | p50 | p99 | throughput | target |
| --- | ---: | ---: | ---: | --- |
| paced {PACED_RATE}/s | {med(paced, "p50_ms"):.2f} ms | {p99:.2f} ms | {med(paced, "requests_per_second"):,.0f}/s | p99 ≤ {TARGET_P99_MS:.0f} ms ({verdict}) |
| saturated | {med(saturated, "p50_ms"):.2f} ms | {med(saturated, "p99_ms"):.2f} ms | {med(saturated, "requests_per_second"):,.0f}/s | |
""",  # noqa: E501
    )


if __name__ == "__main__":
    main()
