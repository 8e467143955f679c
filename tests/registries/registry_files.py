"""Where the saved registry files of shared/data are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# shared/ beside the repository (CI's layout), or where TRIALMATCH_SHARED says
REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("TRIALMATCH_SHARED", REPO.parent / "shared")) / "data"
RAW = SHARED / "registries_raw"
CONVERTED = SHARED / "registries"


def raw(relative: str) -> Path:
    """A saved registry file; without shared/data (a clone elsewhere) its tests are skipped."""
    return _present(RAW) / relative


def converted(relative: str) -> Path:
    """A ctrdata-converted record file, skipped as `raw` is."""
    return _present(CONVERTED) / relative


def shared_file(relative: str) -> Path:
    """Any file of shared/data, skipped as `raw` is."""
    return _present(SHARED) / relative


def _present(folder: Path) -> Path:
    if not folder.is_dir():
        pytest.skip(f"shared data not found at {folder}", allow_module_level=True)
    return folder
