"""The stages of the nightly run, each a function of primitives returning a report.

`crawl`, `parse` and `match` steps live in their own modules; `trialmatch.nightly`
runs them in order and records the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class StepReport:
    name: str
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.errors) and not any(self.counts.values())
