"""`trialmatch demo`: the whole nightly pipeline, offline, on bundled data.

The bundled snapshot of real ClinicalTrials.gov records is served on
loopback and crawled through the same code as the public API; real records
of other registries (EU CTIS, ANZCTR, ISRCTN) are imported through the same
path as ``trialmatch import``; the criteria are parsed; a seeded set of
synthetic anonymised patients (written out as a JSON Lines file, then
imported like any other) is matched; the referral
lists are written. Everything lands in one folder, rebuilt on every run.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from db import open_database
from db.studies import count_studies, iter_studies
from matcher.loaders import load_files
from matcher.synthetic import generate_patients
from trialmatch.core.pseudonyms import PseudonymKey
from trialmatch.core.settings import Settings
from trialmatch.core.trial import MATCHABLE_STATUSES
from trialmatch.demo_data.registries import DEMO_IMPORTS
from trialmatch.steps import StepReport
from trialmatch.steps.crawl_step import run_snapshot_crawl_step
from trialmatch.steps.import_step import report_of, run_import
from trialmatch.steps.match_step import run_match_step
from trialmatch.steps.parse_step import run_parse_step

DEMO_SEED = 20261124
REFERRAL_FILES = ("referrals.html", "referrals.csv", "referrals.json")


@dataclass
class DemoReport:
    folder: Path
    patients_file: Path
    referral_files: list[Path]
    steps: list[StepReport] = field(default_factory=list)
    # registry → how many studies have a registration there
    studies_by_registry: dict[str, int] = field(default_factory=dict)


def run_demo(
    settings: Settings, folder: Path, *, patients: int = 300, quiet: bool = False
) -> DemoReport:
    """Rebuild *folder* from scratch and run crawl → parse → import → match in it."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    local = settings.with_overrides(
        {"db": folder / "trialmatch.db", "out_dir": folder / "referrals"}
    )
    steps = [run_snapshot_crawl_step(local, quiet=quiet)]
    for registry, records in DEMO_IMPORTS.items():
        steps.append(report_of(run_import(local, registry, [records], quiet=True), registry))
    steps.append(run_parse_step(local.db))
    patients_file = _write_synthetic_patients(local, folder, patients)
    steps.append(_import_patients(local, patients_file))
    steps.append(run_match_step(local.db, local.out_dir))
    with open_database(local.db) as database:
        studies = count_studies(database)
    return DemoReport(
        folder=folder,
        patients_file=patients_file,
        referral_files=[local.out_dir / name for name in REFERRAL_FILES],
        steps=steps,
        studies_by_registry=studies,
    )


def _write_synthetic_patients(settings: Settings, folder: Path, count: int) -> Path:
    with open_database(settings.db) as database:
        trials = list(iter_studies(database, MATCHABLE_STATUSES))
    profiles = generate_patients(trials, count, DEMO_SEED)
    path = folder / "synthetic_patients.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for profile in profiles:
            handle.write(json.dumps(profile.to_dict(), ensure_ascii=False) + "\n")
    return path


def _import_patients(settings: Settings, path: Path) -> StepReport:
    from db.patients import store_patients

    result = load_files([path], pseudonyms=PseudonymKey(settings.secret_path))
    with open_database(settings.db) as database:
        counts = store_patients(database, result.profiles, source=path.name)
    return StepReport(
        "patients",
        counts={"imported": counts.new + counts.changed, "refused": len(result.rejections)},
        errors=[item.describe() for item in result.rejections],
    )
