"""Compaction throughput: sealed capture segments → day-partitioned Parquet, uuids deduplicated.

Writes 1,000,000 events (10% of them replays of earlier uuids, spread over 30 days) into sealed
segments with the real CaptureLog, then times `compact()`. Medians of several runs.
Target (events issue): ≥ 1,000,000 events/s.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from rich.progress import Progress

from academy.events.capture import CaptureLog
from academy.events.lake import compact, lake_stats
from bench.common import median, write_section

RUNS = 3
EVENTS = 1_000_000
SEGMENT_EVENTS = 100_000
REPLAY_SHARE = 10
TARGET_EVENTS_PER_SECOND = 1_000_000


def write_segments(capture_dir: Path) -> None:
    log = CaptureLog(capture_dir, max_bytes=1 << 40, max_seconds=1e9)
    template = {
        "name": "impression", "creator_id": "", "anonymous_id": "", "session_id": "s",
        "entry_point": "for_you_card", "item_kind": "lesson", "item_id": "", "request_id": "r",
        "position": 0, "experiments": {"card": "b"}, "region": "BR", "language": "pt-br",
        "platform": "android", "app_version": "31.2", "properties": {},
    }  # fmt: skip
    for start in range(0, EVENTS, SEGMENT_EVENTS):
        batch = []
        for number in range(start, start + SEGMENT_EVENTS):
            original = number - 1000 if number % REPLAY_SHARE == 0 and number >= 1000 else number
            day = 1 + original % 30
            batch.append(
                {
                    **template,
                    "uuid": f"00000000-0000-4000-8000-{original:012d}",
                    "timestamp": f"2026-11-{day:02d}T{original % 24:02d}:00:00+00:00",
                    "creator_id": f"creator-{original % 50_000}",
                    "item_id": str(original % 3000),
                }
            )
        log.append(batch)
        log.seal()


def main() -> None:
    rates: list[float] = []
    with Progress() as progress:
        task = progress.add_task("compacting 1M events", total=RUNS)
        for _ in range(RUNS):
            with tempfile.TemporaryDirectory(prefix="academy-compact-") as directory:
                events_dir = Path(directory)
                write_segments(events_dir / "capture")
                started = time.perf_counter()
                run = compact(events_dir=events_dir)
                elapsed = time.perf_counter() - started
                stats = lake_stats(events_dir=events_dir)
                if stats.total != run.written or run.read != EVENTS:
                    raise RuntimeError(
                        f"compaction lost or duplicated events: {run}, {stats.total}"
                    )
                rates.append(EVENTS / elapsed)
            progress.advance(task)
    rate = median(rates)
    verdict = "met" if rate >= TARGET_EVENTS_PER_SECOND else "missed"
    write_section(
        "event_compaction",
        f"""
### Compaction (capture segments → Parquet lake, with uuid deduplication)

{EVENTS:,} events in {EVENTS // SEGMENT_EVENTS} sealed segments, 1 in {REPLAY_SHARE} a replayed
uuid, over 30 days; DuckDB on the machine's 2 cores; medians of {RUNS} runs.

| metric | result | target |
| --- | ---: | --- |
| events compacted per second | {rate:,.0f} | ≥ {TARGET_EVENTS_PER_SECOND:,} ({verdict}) |
""",
    )
    print(json.dumps({"events_per_second": round(rate)}))


if __name__ == "__main__":
    main()
