"""Exclusive run locks next to the database file.

An ``fcntl.flock`` on ``<db>.<name>.lock``: the kernel drops it when the
process ends, however it ends (kill -9 included), so a stale lock never
blocks the next night.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from trialmatch.core.errors import RunLocked


def lock_path(database_path: Path | str, name: str) -> Path:
    path = Path(database_path)
    return path.with_name(f"{path.name}.{name}.lock")


@contextmanager
def exclusive_lock(database_path: Path | str, name: str) -> Iterator[Path]:
    """Hold the *name* lock of this database, or raise `RunLocked` at once."""
    path = lock_path(database_path, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            holder = _read_holder(path)
            raise RunLocked(f"another {name} run holds {path}{holder}") from exc
        os.ftruncate(descriptor, 0)
        os.write(descriptor, str(os.getpid()).encode())
        try:
            yield path
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


def _read_holder(path: Path) -> str:
    try:
        pid = path.read_text().strip()
    except OSError:
        return ""
    return f" (process {pid})" if pid else ""
