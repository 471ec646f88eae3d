"""The capture log: where every acknowledged event is made durable before the answer is sent.

Append-only JSON-lines segments in ``<data dir>/events/capture/``. Each process writes its own
segment, so several server processes never share a file or a lock. Appends are group-committed:
concurrent callers write under a lock, then one fsync covers every line written so far and the
others return without a second fsync — durability without paying one fsync per request.

A segment is written as ``*.open``; when it is big or old enough it is fsynced, closed and
renamed to ``*.jsonl`` (sealed), ready for compaction into the lake. A crash can only leave a
torn last line in an ``.open`` file, and that line was never acknowledged; readers skip it.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from academy.files import fsync_directory

SEGMENT_MAX_BYTES = 64 * 1024 * 1024
SEGMENT_MAX_SECONDS = 60.0
OPEN_SUFFIX = ".open"
SEALED_SUFFIX = ".jsonl"


@dataclass
class _Segment:
    path: Path
    handle: Any
    opened_at: float
    size: int = 0


class CaptureLog:
    """This process's writer into the capture directory (one instance per process)."""

    def __init__(
        self,
        directory: Path,
        *,
        max_bytes: int = SEGMENT_MAX_BYTES,
        max_seconds: float = SEGMENT_MAX_SECONDS,
    ) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.max_seconds = max_seconds
        self.directory.mkdir(parents=True, exist_ok=True)
        self._write_lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._segment: _Segment | None = None
        self._written = 0  # sequence number of the last write
        self._durable = 0  # sequence number covered by the last fsync
        self._counter = 0
        self._sealer: threading.Thread | None = None

    def _new_segment(self) -> _Segment:
        self._counter += 1
        name = (
            f"{socket.gethostname()}-{os.getpid()}-{time.time_ns()}-{self._counter:06d}"
            f"{SEALED_SUFFIX}{OPEN_SUFFIX}"
        )
        path = self.directory / name
        handle = open(path, "ab", buffering=0)  # noqa: SIM115 - kept open across appends
        fsync_directory(self.directory)
        if self._sealer is None:
            self._sealer = threading.Thread(target=self._seal_when_old, daemon=True)
            self._sealer.start()
        return _Segment(path=path, handle=handle, opened_at=time.monotonic())

    def _seal_when_old(self) -> None:
        # An idle process must not keep events from the compactor: seal a segment once it is
        # old enough even if no new append comes to trigger the rotation.
        while True:
            time.sleep(min(1.0, self.max_seconds))
            segment = self._segment
            if segment is not None and time.monotonic() - segment.opened_at >= self.max_seconds:
                self.seal()

    def append(self, records: Sequence[dict[str, Any]]) -> None:
        """Write the records and return only once they are on disk (fsync'd)."""
        if not records:
            return
        payload = b"".join(
            json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
            for record in records
        )
        with self._write_lock:
            segment = self._segment
            if segment is None:
                segment = self._segment = self._new_segment()
            segment.handle.write(payload)
            segment.size += len(payload)
            self._written += 1
            my_sequence = self._written
        self._sync(my_sequence)
        self._maybe_rotate()

    def _sync(self, sequence: int) -> None:
        with self._sync_lock:
            if self._durable >= sequence:
                return  # another caller's fsync (or a seal) already covered this write
            with self._write_lock:
                covered = self._written
                segment = self._segment
            # Our write is in the active segment: sealing fsyncs and updates _durable under
            # _sync_lock, so a rotated segment was caught by the check above.
            assert segment is not None
            os.fsync(segment.handle.fileno())
            self._durable = covered

    def _maybe_rotate(self) -> None:
        segment = self._segment
        if segment is None:
            return
        too_big = segment.size >= self.max_bytes
        too_old = time.monotonic() - segment.opened_at >= self.max_seconds
        if too_big or too_old:
            self.seal()

    def seal(self) -> Path | None:
        """Close the active segment and make it available to the compactor."""
        with self._sync_lock, self._write_lock:
            segment = self._segment
            if segment is None:
                return None
            self._segment = None
            os.fsync(segment.handle.fileno())
            segment.handle.close()
            self._durable = self._written
            sealed = segment.path.with_name(segment.path.name.removesuffix(OPEN_SUFFIX))
            os.replace(segment.path, sealed)
            fsync_directory(self.directory)
            return sealed


def read_segment(path: Path) -> Iterator[dict[str, Any]]:
    """The records of a segment; a torn final line (never acknowledged) is skipped."""
    with open(path, "rb") as handle:
        for line in handle:
            if not line.endswith(b"\n"):
                return
            yield json.loads(line)


def sealed_segments(directory: Path) -> list[Path]:
    return sorted(directory.glob(f"*{SEALED_SUFFIX}"))


_logs: dict[tuple[int, Path], CaptureLog] = {}
_logs_lock = threading.Lock()


def capture_log() -> CaptureLog:
    """This process's capture log (a new one after a fork: segments are never shared)."""
    from django.conf import settings

    directory = Path(settings.ACADEMY_EVENTS_DIR) / "capture"
    key = (os.getpid(), directory)
    with _logs_lock:
        log = _logs.get(key)
        if log is None:
            log = _logs[key] = CaptureLog(directory)
        return log
