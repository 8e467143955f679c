"""The matcher's version, stored with every evaluated pair: a new version re-evaluates them.

Derived from the content of what decides a verdict (the matcher's modules and
the shared knowledge with its data files) plus a hand-bumped major part, so no
change to them can be forgotten: a stored verdict of another version is not
reused by the next match run.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from trialmatch.core.canonical import digest_of_files

MAJOR = 2
_HERE = Path(__file__).resolve().parent
_SOURCES = (_HERE, _HERE.parent / "knowledge")


@cache
def matcher_version() -> str:
    return f"matcher-{MAJOR}.{digest_of_files(_SOURCES, ('.py', '.json', '.gz'))[:12]}"
