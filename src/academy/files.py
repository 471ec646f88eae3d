"""Durable file replacement, shared by the Django apps and the Django-free engines (so it imports
no Django; an import-linter contract keeps it that way).

A file replaced with :func:`durable_replace` is, after a crash at any moment, either the old file
or the complete new one, and once the block has returned it survives a power cut.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def fsync_directory(path: Path) -> None:
    """Flush the directory's entries to disk: a rename is durable only once its entry is."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextmanager
def durable_replace(target: Path, *, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path next to ``target`` for the caller to write; on leaving the block,
    fsync it, rename it onto ``target`` and fsync the directory. If the block raises, the
    temporary file is removed and ``target`` is left as it was.

    ``suffix`` ends the temporary file's name, for writers that choose the format by it.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=suffix)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        with open(temporary, "rb") as stream:
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        # Interrupted or failed: the previous file (if any) stays, no partial one appears.
        temporary.unlink(missing_ok=True)
        raise
    fsync_directory(target.parent)


@contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the file ``path`` (created if missing), across processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
