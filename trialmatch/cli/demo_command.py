"""`trialmatch demo`, registered on `app`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trialmatch.cli.app import QuietOption, app, reporting_errors, settings_for, stdout


@app.command("demo")
def demo(
    folder: Annotated[
        Path, typer.Option("--folder", help="Where the demo database and lists go (rebuilt).")
    ] = Path("var/demo"),
    patients: Annotated[int, typer.Option(help="How many synthetic patients.", min=1)] = 300,
    quiet: QuietOption = False,
) -> None:
    """The whole nightly pipeline offline: bundled registry records, synthetic patients.

    Serves the bundled ClinicalTrials.gov snapshot on 127.0.0.1, crawls it,
    imports the bundled EU CTIS, ANZCTR and ISRCTN records, parses the
    criteria, imports synthetic anonymised patients, matches them and writes
    the referral lists.

    Example: trialmatch demo --folder var/demo --patients 300
    """
    from trialmatch.demo import run_demo

    with reporting_errors():
        report = run_demo(settings_for(), folder, patients=patients, quiet=quiet)
    for step in report.steps:
        counts = ", ".join(f"{name} {value}" for name, value in step.counts.items())
        stdout().print(
            f"{step.name}: {counts}" + (f" ({len(step.errors)} errors)" if step.errors else "")
        )
    registries = ", ".join(f"{name} {count}" for name, count in report.studies_by_registry.items())
    stdout().print(f"studies by registry: {registries}")
    stdout().print(f"synthetic patients: {report.patients_file}")
    stdout().print("referral lists:")
    for path in report.referral_files:
        stdout().print(f"  {path}")
