"""The core: typed records every stage exchanges, and the helpers they share.

Imports nothing else of the project (an import-linter contract in
``pyproject.toml`` holds it to that), so every stage may import it and it
loads in milliseconds.

* `trialmatch.core.trial` – `Trial` and `Site`, what a registry source produces;
* `trialmatch.core.criteria` and `trialmatch.core.rules` – parsed eligibility
  criteria and the machine rules they carry;
* `trialmatch.core.patient` – the anonymised `PatientProfile`, and
  `trialmatch.core.profile_reader` that validates one;
* `trialmatch.core.match` – per-criterion results and the `MatchResult` of a pair;
* `trialmatch.core.runs` – the records of crawl and nightly runs;
* `trialmatch.core.canonical` (JSON and content hashes), `trialmatch.core.clock`
  (timestamps), `trialmatch.core.dates` (partial dates);
* `trialmatch.core.errors` (the one exception hierarchy) and
  `trialmatch.core.settings` (configuration).
"""

from __future__ import annotations

__version__ = "0.1.0"
