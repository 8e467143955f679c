"""Real records of other registries for the demo, one folder per registry (see ATTRIBUTION.md).

The demo imports each folder with its registry's source, through the same
path as ``trialmatch import --registry NAME FOLDER``.
"""

from __future__ import annotations

from pathlib import Path

FOLDER = Path(__file__).parent
# registry → the folder of its bundled records
DEMO_IMPORTS: dict[str, Path] = {name: FOLDER / name for name in ("ctis", "anzctr", "isrctn")}
