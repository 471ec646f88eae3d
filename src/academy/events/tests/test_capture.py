from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from academy.events.capture import CaptureLog, read_segment, sealed_segments


def records(prefix: str, count: int) -> list[dict[str, object]]:
    return [{"uuid": f"{prefix}-{number}", "n": number} for number in range(count)]


def all_records(directory: Path) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    for path in sorted(directory.iterdir()):
        found.extend(read_segment(path))
    return found


def test_appends_survive_in_order_and_sealing_publishes_the_segment(tmp_path: Path) -> None:
    log = CaptureLog(tmp_path)
    log.append(records("a", 3))
    log.append(records("b", 2))
    assert sealed_segments(tmp_path) == []
    sealed = log.seal()
    assert sealed is not None
    assert sealed_segments(tmp_path) == [sealed]
    assert [record["uuid"] for record in read_segment(sealed)] == [
        "a-0", "a-1", "a-2", "b-0", "b-1",
    ]  # fmt: skip


def test_segments_rotate_by_size(tmp_path: Path) -> None:
    log = CaptureLog(tmp_path, max_bytes=200)
    for batch in range(10):
        log.append(records(f"batch{batch}", 3))
    log.seal()
    assert len(sealed_segments(tmp_path)) > 1
    assert len(all_records(tmp_path)) == 30


def test_concurrent_appenders_lose_nothing(tmp_path: Path) -> None:
    log = CaptureLog(tmp_path, max_bytes=4096)

    def send(thread: int) -> None:
        for batch in range(25):
            log.append(records(f"t{thread}-b{batch}", 4))

    threads = [threading.Thread(target=send, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.seal()
    uuids = [record["uuid"] for record in all_records(tmp_path)]
    assert len(uuids) == len(set(uuids)) == 8 * 25 * 4


def test_a_torn_last_line_from_a_crash_is_skipped(tmp_path: Path) -> None:
    log = CaptureLog(tmp_path)
    log.append(records("ok", 2))
    segment = log._segment
    assert segment is not None
    # A crash in the middle of a write leaves half a line that was never acknowledged.
    with open(segment.path, "ab") as handle:
        handle.write(b'{"uuid": "torn", "n"')
        handle.flush()
        os.fsync(handle.fileno())
    assert [record["uuid"] for record in read_segment(segment.path)] == ["ok-0", "ok-1"]


def test_one_process_never_shares_a_segment_with_another(tmp_path: Path) -> None:
    first, second = CaptureLog(tmp_path), CaptureLog(tmp_path)
    first.append(records("one", 1))
    second.append(records("two", 1))
    first.seal()
    second.seal()
    assert len(sealed_segments(tmp_path)) == 2


def test_an_idle_segment_is_sealed_on_time(tmp_path: Path) -> None:
    log = CaptureLog(tmp_path, max_seconds=0.2)
    log.append(records("idle", 1))
    deadline = time.monotonic() + 5
    while not sealed_segments(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(sealed_segments(tmp_path)) == 1
