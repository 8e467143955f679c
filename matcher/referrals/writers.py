"""The referral files, written as the listed pairs stream past, in list order.

* ``referrals.json``: one array of every listed pair (the format of
  `docs/DESIGN.md`), written entry by entry, never held whole;
* ``referrals.csv``: one row per listed pair;
* ``referrals.html``: the index: pairs, new pairs, eligible and possible per
  site, pairs and new pairs per trial, each site linking its page;
* ``sites/<site>.html``: one printable page per site for its coordinator,
  its new pairs first, then the others, up to `PAGE_CAP` pairs (the rest are
  in the CSV), so that no page grows past a few megabytes.

Every file is written under a temporary name and moved into place when all
are complete: a coordinator opening one mid-run sees the old lists or the
new, never half.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import os
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Generic, Protocol, TypeVar

import jinja2

from matcher.referrals.render import compose_entry, compose_fragment

CSV_COLUMNS = (
    "trial_id",
    "trial_title",
    "site",
    "patient_id",
    "verdict",
    "score",
    "distance_km",
    "new",
    "unknowns",
    "checklist",
)
PAGE_CAP = 500  # pairs on one site's page
UNKNOWN_SITE = "Site unknown (no coordinates)"
_SITES_FOLDER = "sites"


class Listed(Protocol):
    """What the writer reads of a listed pair (its renderings come through callbacks)."""

    @property
    def patient_id(self) -> str: ...
    @property
    def trial_id(self) -> str: ...
    @property
    def site(self) -> str | None: ...
    @property
    def new(self) -> bool: ...
    @property
    def verdict(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def distance_km(self) -> float | None: ...
    @property
    def open_questions(self) -> int: ...
    @property
    def checklist(self) -> str: ...


PairT = TypeVar("PairT", bound=Listed)


@dataclass
class _SitePairs(Generic[PairT]):
    name: str
    new: list[PairT] = field(default_factory=list)
    others: list[PairT] = field(default_factory=list)
    listed: int = 0
    eligible: int = 0
    new_count: int = 0

    def keep(self, pair: PairT, new: bool) -> None:
        """Hold a pair only while it may still be on the page: at most `PAGE_CAP` of each
        kind, as the list comes in order (memory stays flat in the number of pairs)."""
        self.new_count += new
        kept = self.new if new else self.others
        if len(kept) < PAGE_CAP:
            kept.append(pair)

    def chosen(self) -> list[PairT]:
        return (self.new + self.others)[:PAGE_CAP]


@dataclass
class ListCounts:
    listed: int = 0
    new: int = 0
    sites: int = 0
    largest_page_bytes: int = 0


class ReferralWriter(Generic[PairT]):
    """Add listed pairs in list order, then `finish` with a reader of their fragments."""

    def __init__(
        self,
        out_dir: Path,
        titles: Mapping[str, str],
        *,
        generated: dt.datetime | None = None,
    ) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.out_dir = out_dir
        self.titles = titles
        self.generated = (generated or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
        self.counts = ListCounts()
        self._json: IO[bytes] = _temporary(out_dir / "referrals.json").open("wb")
        self._json.write(b"[")
        self._csv_file: IO[str] = _temporary(out_dir / "referrals.csv").open(
            "w", encoding="utf-8", newline=""
        )
        self._csv = csv.writer(self._csv_file, lineterminator="\n")
        self._csv.writerow(CSV_COLUMNS)
        self._sites: dict[str | None, _SitePairs[PairT]] = {}
        self._trials: dict[str, list[int]] = {}

    def add(self, pair: PairT, entry_body: bytes) -> None:
        counts = self.counts
        self._json.write(b"\n" if counts.listed == 0 else b",\n")
        self._json.write(compose_entry(entry_body, pair.score, pair.new))
        counts.listed += 1
        counts.new += pair.new
        self._csv.writerow(
            [
                pair.trial_id,
                self.titles.get(pair.trial_id, ""),
                pair.site or "",
                pair.patient_id,
                pair.verdict,
                f"{pair.score:.4f}",
                "" if pair.distance_km is None else f"{pair.distance_km:.1f}",
                "yes" if pair.new else "no",
                pair.open_questions,
                pair.checklist,
            ]
        )
        site = self._sites.get(pair.site)
        if site is None:
            site = self._sites[pair.site] = _SitePairs(pair.site or UNKNOWN_SITE)
        site.listed += 1
        site.eligible += pair.verdict == "eligible"
        site.keep(pair, pair.new)
        trial = self._trials.setdefault(pair.trial_id, [0, 0])
        trial[0] += 1
        trial[1] += pair.new

    def abort(self) -> None:
        """Give up: the lists of the previous run stay as they were."""
        self._json.close()
        self._csv_file.close()
        for name in ("referrals.json", "referrals.csv", "referrals.html"):
            _temporary(self.out_dir / name).unlink(missing_ok=True)
        shutil.rmtree(self.out_dir / f".{_SITES_FOLDER}.tmp", ignore_errors=True)

    def finish(self, fragment_of: Callable[[PairT], bytes]) -> ListCounts:
        """Write the pages and move every file into place."""
        self._json.write(b"\n]\n")
        self._json.close()
        self._csv_file.close()
        staging = self.out_dir / f".{_SITES_FOLDER}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        site_rows = []
        template = _environment().get_template("site_page.html")
        for key, site in sorted(
            self._sites.items(), key=lambda item: (-item[1].listed, item[1].name)
        ):
            page = page_name(key)
            chosen = site.chosen()
            size = _write_site_page(staging / page, template, site, chosen, fragment_of, self)
            self.counts.largest_page_bytes = max(self.counts.largest_page_bytes, size)
            site_rows.append(
                {
                    "name": site.name,
                    "page": page,
                    "listed": site.listed,
                    "new": site.new_count,
                    "eligible": site.eligible,
                    "possible": site.listed - site.eligible,
                }
            )
        self.counts.sites = len(site_rows)
        trial_rows = [
            {"trial_id": trial_id, "title": self.titles.get(trial_id, ""), "listed": n, "new": new}
            for trial_id, (n, new) in sorted(
                self._trials.items(), key=lambda item: (-item[1][0], item[0])
            )
        ]
        index = (
            _environment()
            .get_template("index_page.html")
            .render(
                generated=self.generated,
                total=self.counts.listed,
                new=self.counts.new,
                sites=site_rows,
                trials=trial_rows,
            )
        )
        _temporary(self.out_dir / "referrals.html").write_text(index, encoding="utf-8")
        for name in ("referrals.json", "referrals.csv", "referrals.html"):
            os.replace(_temporary(self.out_dir / name), self.out_dir / name)
        _swap_folder(staging, self.out_dir / _SITES_FOLDER)
        return self.counts


def _write_site_page(
    path: Path,
    template: jinja2.Template,
    site: _SitePairs[PairT],
    chosen: list[PairT],
    fragment_of: Callable[[PairT], bytes],
    writer: ReferralWriter[PairT],
) -> int:
    shell = template.render(
        site=site.name,
        generated=writer.generated,
        listed=site.listed,
        new=site.new_count,
        shown=len(chosen),
        left_out=site.listed - len(chosen),
    )
    head, tail = shell.encode().split(b"<!--pairs-->", 1)
    with path.open("wb") as page:
        page.write(head)
        for pair in chosen:
            page.write(compose_fragment(fragment_of(pair), pair.score, pair.new))
        page.write(tail)
        return page.tell()


def page_name(site: str | None) -> str:
    """The file name of a site's page under ``sites/``."""
    if site is None:
        return "site-unknown.html"
    slug = re.sub(r"[^a-z0-9]+", "-", site.lower()).strip("-")[:60] or "site"
    # two sites may share a slug ("Hospital, Lyon" / "Hospital Lyon"): the digest tells them apart
    return f"{slug}-{hashlib.sha256(site.encode()).hexdigest()[:8]}.html"


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp")


def _swap_folder(staging: Path, target: Path) -> None:
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
