"""`trialmatch patients import` and `trialmatch match`, registered on `app`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from trialmatch.cli.app import DbOption, JsonOption, app, reporting_errors, settings_for, stdout

if TYPE_CHECKING:
    from matcher.loaders import ImportResult

patients_app = typer.Typer(
    name="patients",
    help="Anonymised patient profiles. Example: trialmatch patients import patients.json",
    no_args_is_help=True,
)
app.add_typer(patients_app, name="patients")


@patients_app.command("import")
def import_patients(
    files: Annotated[
        list[Path],
        typer.Argument(help="Profile files: JSON list, JSON Lines, CSV or FHIR R4 Bundle."),
    ],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import anonymised patient profiles; refuse any carrying a direct identifier.

    A profile whose id is already known replaces the stored one and is
    re-matched at the next `trialmatch match`. Refused and invalid entries are
    listed by file, line or entry and field, never with their content. FHIR
    patients get pseudonyms keyed with the secret in setting `secret_file`
    (created on first use, beside the database by default).

    Example: trialmatch patients import patients.json more.csv bundle.json --db var/trialmatch.db
    """
    from db.connection import open_database
    from db.patients import store_patients
    from matcher.loaders import load_files
    from trialmatch.core.pseudonyms import PseudonymKey

    with reporting_errors():
        settings = settings_for(db=db)
        result = load_files(files, pseudonyms=PseudonymKey(settings.secret_path))
        with open_database(settings.db) as database:
            counts = store_patients(database, result.profiles, source=", ".join(map(str, files)))
        _print_import(result, counts.new, counts.changed, as_json)


def _print_import(result: ImportResult, new: int, changed: int, as_json: bool) -> None:
    refused = result.refused
    invalid = [item for item in result.rejections if not item.identifier]
    if as_json:
        summary = {
            "imported": len(result.profiles),
            "new": new,
            "replaced": changed,
            "refused": [item.describe() for item in refused],
            "invalid": [item.describe() for item in invalid],
        }
        stdout().print_json(json.dumps(summary))
        return
    stdout().print(
        f"imported {len(result.profiles)} profiles ({new} new, {changed} changed), "
        f"refused {len(refused)} carrying an identifier, {len(invalid)} invalid"
    )
    for item in refused:
        stdout().print(f"  refused: {item.describe()}")
    for item in invalid:
        stdout().print(f"  invalid: {item.describe()}")


@app.command("match")
def match(
    db: DbOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for the referral lists (default: setting `out_dir`)."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Worker processes (default: one per CPU, at most 8 and one per 200 patients).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Match patients against recruiting trials and write the referral lists.

    Only pairs whose trial or patient changed since the last run are
    re-evaluated. Writes referrals.csv, referrals.json, referrals.html (an index)
    and one printable page per site under sites/.

    Example: trialmatch match --db var/trialmatch.db --out var/referrals
    """
    from trialmatch.steps.match_step import run_match_step

    with reporting_errors():
        settings = settings_for(db=db, out_dir=out)
        report = run_match_step(settings.db, settings.out_dir, workers=workers)
        if as_json:
            stdout().print_json(json.dumps({"counts": report.counts, "errors": report.errors}))
            return
        counts = report.counts
        stdout().print(
            f"{counts.get('listed', 0)} pairs listed ({counts.get('new', 0)} new): "
            f"{counts.get('eligible', 0)} eligible, {counts.get('possible', 0)} possible; "
            f"{counts.get('evaluated', 0)} pairs evaluated, {counts.get('unchanged', 0)} unchanged"
        )
        for name in ("referrals.csv", "referrals.json", "referrals.html", "sites/"):
            stdout().print(f"  {settings.out_dir / name}")
        for error in report.errors:
            stdout().print(f"  warning: {error}")
