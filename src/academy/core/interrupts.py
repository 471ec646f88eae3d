"""Ctrl-C for long-running commands: the first asks them to stop at a safe point, the second
stops at once.

Commands that write in chunks (imports, simulations, the demo's preparation) check the returned
event between chunks, so an interrupted run leaves whole chunks behind and can be re-run.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def stop_on_first_interrupt() -> Iterator[threading.Event]:
    """Within the block, the first SIGINT sets the yielded event; a second raises
    KeyboardInterrupt. Outside the main thread signals cannot be caught: the event is only
    ever set by the caller then."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def interrupted(_signal: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)
