"""Where the shared data folder lives, for the benches.

CI runs in a fresh clone with ``shared/`` beside the repository; a developer
machine may keep it elsewhere: ``TRIALMATCH_SHARED`` overrides the default.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    """The shared folder: ``$TRIALMATCH_SHARED`` or ``shared/`` beside the repository."""
    return Path(os.environ.get("TRIALMATCH_SHARED", REPO.parent / "shared"))


SHARED = shared_dir()
