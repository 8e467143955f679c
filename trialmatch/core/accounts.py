"""An account of the review page (kept apart from the review records: `users list` reads
only this, and starts faster for it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class User:
    """An account of the review page; no sites (or admin) means every site."""

    name: str
    sites: tuple[str, ...] = ()
    admin: bool = False
    disabled: bool = False
    created: str = ""

    @property
    def sees_every_site(self) -> bool:
        return self.admin or not self.sites
