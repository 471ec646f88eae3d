"""HTTP batch capture throughput with fsync on: `POST /api/v1/events` through the real server.

2 gunicorn workers on SQLite, keep-alive clients sending batches of 1,000 events (the maximum)
for a fixed time; every accepted event is fsync'd before its answer. Medians of several runs.
Target (events issue): ≥ 50,000 events/s.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import uuid

from rich.progress import Progress

from bench.common import median, percentile, running_server, write_section

RUNS = 5
SECONDS_PER_RUN = 5.0
CLIENTS = 4
BATCH = 1000
TARGET_EVENTS_PER_SECOND = 50_000


def _batch() -> bytes:
    events = [
        {
            "uuid": str(uuid.uuid4()),
            "name": "impression",
            "timestamp": "2026-11-22T10:00:00Z",
            "creator_id": f"creator-{index % 5000}",
            "entry_point": "for_you_card",
            "item_kind": "lesson",
            "item_id": str(index % 300),
            "request_id": "r-1",
            "position": index % 10,
            "context": {"region": "BR", "language": "pt-br", "platform": "android"},
        }
        for index in range(BATCH)
    ]
    return json.dumps({"events": events}).encode()


def one_run(host: str, port: int, key: str, bodies: list[bytes]) -> tuple[float, float]:
    accepted = 0
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + SECONDS_PER_RUN

    def client(offset: int) -> None:
        nonlocal accepted
        connection = http.client.HTTPConnection(host, port, timeout=30)
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        sent = offset
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            connection.request(
                "POST", "/api/v1/events", body=bodies[sent % len(bodies)], headers=headers
            )
            response = connection.getresponse()
            body = json.loads(response.read())
            elapsed = time.perf_counter() - started
            with lock:
                accepted += body["accepted"]
                latencies.append(elapsed * 1000)
            sent += 1
        connection.close()

    threads = [threading.Thread(target=client, args=(number,)) for number in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return accepted / (time.perf_counter() - started), percentile(latencies, 0.99)


def main() -> None:
    # Pre-built bodies: the load generator shares the 2 cores and must not eat them building JSON.
    bodies = [_batch() for _ in range(8)]
    with running_server(workers=2) as server:
        key = server.academy(
            "apikey", "create", "--name", "bench", "--scopes", "events:write"
        ).strip()
        host, port_text = server.base_url.removeprefix("http://").split(":")
        port = int(port_text)
        one_run(host, port, key, bodies)  # warm-up
        rates: list[float] = []
        tails: list[float] = []
        with Progress() as progress:
            task = progress.add_task("POST /api/v1/events", total=RUNS)
            for _ in range(RUNS):
                rate, p99 = one_run(host, port, key, bodies)
                rates.append(rate)
                tails.append(p99)
                progress.advance(task)
    rate = median(rates)
    verdict = "met" if rate >= TARGET_EVENTS_PER_SECOND else "missed"
    write_section(
        "event_capture",
        f"""
### Event capture over HTTP (`POST /api/v1/events`, fsync on, 2 gunicorn workers)

{CLIENTS} keep-alive clients sending batches of {BATCH:,} events for {SECONDS_PER_RUN:.0f} s;
medians of {RUNS} runs; the load generator shares the machine's 2 cores.

| metric | result | target |
| --- | ---: | --- |
| accepted events/s | {rate:,.0f} | ≥ {TARGET_EVENTS_PER_SECOND:,} ({verdict}) |
| p99 batch latency | {median(tails):.0f} ms | |
""",
    )


if __name__ == "__main__":
    main()
