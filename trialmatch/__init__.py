"""trialmatch: finds patients for clinical trials.

Read top-down, the layers are (``pyproject.toml`` holds them as
import-linter contracts):

* the command line (`trialmatch.cli`), the review page and the pipeline
  (`trialmatch.nightly`, `trialmatch.schedule`, `trialmatch.demo`,
  `trialmatch.steps`), which wire the stages together;
* the stages, which never import one another: `crawler`, `nlp_models`, `matcher`;
* what the stages share: `knowledge` (drugs, conditions, measurements and
  units, ICD-10-CM) and `db` (the SQLite store);
* the core, `trialmatch.core`: typed records, errors, settings, JSON and time.
"""

from __future__ import annotations

from trialmatch.core import __version__

__all__ = ["__version__"]
