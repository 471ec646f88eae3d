from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from academy.events.capture import CaptureLog
from academy.events.lake import compact, lake_stats, recover_abandoned_segments


def event(uuid: str, timestamp: str, name: str = "impression") -> dict[str, Any]:
    return {
        "uuid": uuid,
        "name": name,
        "timestamp": timestamp,
        "creator_id": "c-1",
        "anonymous_id": "",
        "session_id": "",
        "entry_point": "for_you_card",
        "item_kind": "lesson",
        "item_id": "7",
        "request_id": "",
        "position": 0,
        "experiments": {"card": "b"},
        "region": "BR",
        "language": "pt-br",
        "platform": "web",
        "app_version": "",
        "properties": {"percent": 40},
    }


def send(events_dir: Path, events: list[dict[str, Any]]) -> None:
    log = CaptureLog(events_dir / "capture")
    log.append(events)
    log.seal()


def test_events_land_in_their_day_exactly_once(tmp_path: Path) -> None:
    send(
        tmp_path, [event("a", "2026-11-21T23:59:59+00:00"), event("b", "2026-11-22T00:00:00+00:00")]
    )
    # The same events again (a client retry), plus a late one from last month.
    send(
        tmp_path, [event("a", "2026-11-21T23:59:59+00:00"), event("c", "2026-10-01T08:00:00+00:00")]
    )
    run = compact(events_dir=tmp_path)
    assert (run.segments, run.read, run.written, run.duplicates) == (2, 4, 3, 1)
    stats = lake_stats(events_dir=tmp_path)
    assert stats.total == 3
    assert stats.per_day == {"2026-10-01": 1, "2026-11-21": 1, "2026-11-22": 1}
    assert not list((tmp_path / "capture").glob("*.jsonl"))
    # Replays after compaction are dropped too: the lake already holds those uuids.
    send(
        tmp_path, [event("b", "2026-11-22T00:00:00+00:00"), event("d", "2026-11-22T10:00:00+00:00")]
    )
    run = compact(events_dir=tmp_path)
    assert (run.written, run.duplicates) == (1, 1)
    assert lake_stats(events_dir=tmp_path).per_day["2026-11-22"] == 2


def test_a_crash_after_writing_the_lake_does_not_double_count(tmp_path: Path) -> None:
    send(tmp_path, [event("a", "2026-11-22T10:00:00+00:00")])
    segment = next((tmp_path / "capture").glob("*.jsonl"))
    kept = segment.read_bytes()
    compact(events_dir=tmp_path)
    segment.write_bytes(kept)  # as if the process died before deleting the segment
    run = compact(events_dir=tmp_path)
    assert (run.read, run.written) == (1, 0)
    assert lake_stats(events_dir=tmp_path).total == 1


def test_segments_of_dead_processes_are_recovered_without_their_torn_line(tmp_path: Path) -> None:
    capture = tmp_path / "capture"
    capture.mkdir()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(dead.stdout)
    path = capture / f"{socket.gethostname()}-{pid}-1-000001.jsonl.open"
    path.write_bytes(
        json.dumps(event("a", "2026-11-22T10:00:00+00:00")).encode() + b'\n{"uuid": "torn"'
    )
    live = capture / f"{socket.gethostname()}-{os.getpid()}-1-000001.jsonl.open"
    live.write_bytes(b"")
    assert [p.name for p in recover_abandoned_segments(capture)] == [
        path.name.removesuffix(".open")
    ]
    assert live.exists()
    assert compact(events_dir=tmp_path).written == 1
    assert lake_stats(events_dir=tmp_path).per_name == {"impression": 1}
