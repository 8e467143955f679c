"""Where the saved registry files of shared/data are."""

from __future__ import annotations

import os
from pathlib import Path

# shared/ beside the repository (CI's layout), or where TRIALMATCH_SHARED says
REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("TRIALMATCH_SHARED", REPO.parent / "shared")) / "data"
RAW = SHARED / "registries_raw"
CONVERTED = SHARED / "registries"


def raw(relative: str) -> Path:
    return RAW / relative
