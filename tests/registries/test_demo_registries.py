"""`trialmatch demo` shows studies of several registries, imported through the import path."""

from __future__ import annotations

from pathlib import Path

from db import open_database
from db.studies import iter_studies
from trialmatch.core.settings import Settings
from trialmatch.demo import run_demo


def test_the_demo_lists_studies_of_at_least_three_registries(tmp_path: Path) -> None:
    report = run_demo(Settings(), tmp_path / "demo", patients=40, quiet=True)

    imports = {step.name: step for step in report.steps if step.name.startswith("import ")}
    assert sorted(imports) == ["import anzctr", "import ctis", "import isrctn"]
    assert all(step.counts["refused"] == 0 and step.counts["new"] for step in imports.values())
    assert {"ctgov", "ctis", "anzctr", "isrctn"} <= set(report.studies_by_registry)
    with open_database(tmp_path / "demo" / "trialmatch.db") as database:
        registries = {r.registry for s in iter_studies(database) for r in s.registrations}
    assert {"ctgov", "ctis", "anzctr", "isrctn"} <= registries
