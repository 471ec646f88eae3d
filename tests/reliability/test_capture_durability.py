"""Kill -9 the server while clients send events: every acknowledged event is on disk, and after
compaction it is in the lake exactly once. Loopback only, bounded in time and count.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import uuid
from pathlib import Path

import duckdb
import pytest
from bench.common import running_server

from academy.events.capture import read_segment
from academy.events.lake import compact

pytestmark = [pytest.mark.xdist_group("reliability")]

CLIENTS = 4
BATCH = 5
RUN_SECONDS = 3.0


def sender(
    host: str,
    port: int,
    key: str,
    stop: threading.Event,
    acknowledged: list[str],
    errors: list[str],
) -> None:
    connection = http.client.HTTPConnection(host, port, timeout=10)
    while not stop.is_set():
        batch = [
            {
                "uuid": str(uuid.uuid4()),
                "name": "impression",
                "timestamp": "2026-11-22T10:00:00Z",
                "creator_id": "host-1",
                "entry_point": "for_you_card",
            }
            for _ in range(BATCH)
        ]
        try:
            connection.request(
                "POST",
                "/api/v1/events",
                body=json.dumps({"events": batch}),
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            )
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException):
            return  # the server died mid-request: that batch was never acknowledged
        if response.status == 202 and json.loads(body)["accepted"] == BATCH:
            acknowledged.extend(event["uuid"] for event in batch)
        else:
            errors.append(f"{response.status}: {body[:200]!r}")


def test_every_acknowledged_event_survives_kill_9() -> None:
    with running_server(workers=2) as server:
        key = server.academy("apikey", "create", "--name", "crash", "--scopes", "events:write")
        host, port = server.base_url.removeprefix("http://").split(":")
        acknowledged: list[str] = []
        errors: list[str] = []
        stop = threading.Event()
        threads = [
            threading.Thread(
                target=sender, args=(host, int(port), key.strip(), stop, acknowledged, errors)
            )
            for _ in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + RUN_SECONDS
        while time.monotonic() < deadline and len(acknowledged) < 20_000:
            time.sleep(0.05)
        server.kill()  # no shutdown, no flush: whatever is not on disk now is gone
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
        events_dir = Path(server.data_dir) / "events"
        on_disk = {
            record["uuid"]
            for path in sorted((events_dir / "capture").iterdir())
            for record in read_segment(path)
        }
        missing = set(acknowledged) - on_disk
        # The dead workers' open segments are recovered and compacted like any other.
        run = compact(events_dir=events_dir)
        connection = duckdb.connect()
        lake_uuids = [
            row[0]
            for row in connection.execute(
                f"SELECT uuid FROM read_parquet('{events_dir.as_posix()}/lake/*/*.parquet')"  # noqa: S608
            ).fetchall()
        ]
    assert not errors
    assert len(acknowledged) >= BATCH, "the load never got going"
    assert not missing, f"{len(missing)} acknowledged events were lost"
    assert len(lake_uuids) == len(set(lake_uuids)) == run.written
    assert set(acknowledged) <= set(lake_uuids)
