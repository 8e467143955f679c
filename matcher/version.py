"""The matcher's version, stored with every evaluated pair: a new version re-evaluates them.

Derived from the content of what decides a verdict (the matcher's modules and
the shared knowledge with its data files) plus a hand-bumped major part, so no
change to them can be forgotten: a stored verdict of another version is not
reused by the next match run.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

MAJOR = 2
_SOURCES = (Path(__file__).resolve().parent, Path(__file__).resolve().parent.parent / "knowledge")


@cache
def matcher_version() -> str:
    digest = hashlib.sha256()
    for folder in _SOURCES:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix in (".py", ".json", ".gz"):
                digest.update(path.relative_to(folder.parent).as_posix().encode())
                digest.update(path.read_bytes())
    return f"matcher-{MAJOR}.{digest.hexdigest()[:12]}"
