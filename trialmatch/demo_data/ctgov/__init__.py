"""A snapshot of real ClinicalTrials.gov API v2 study records, one JSON file per study.

Served on loopback by `trialmatch.snapshot_server` so the demo crawls it
through the same code path as the public API. Origins and the NLM
attribution are in ``ATTRIBUTION.md`` beside this file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# The records sit beside this module (not in a subfolder) so that the
# package-data pattern "*.json" ships them in a wheel too.
STUDIES_DIR = Path(__file__).parent


def load_snapshot_studies() -> list[dict[str, Any]]:
    """Every bundled study record, ordered by NCT id."""
    paths = sorted(STUDIES_DIR.glob("NCT*.json"))
    return [json.loads(path.read_text(encoding="utf-8")) for path in paths]
