"""`crawl`, `nightly`, `schedule` and `runs`: thin commands over the crawler and the run record."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from trialmatch.cli.app import (
    DbOption,
    JsonOption,
    QuietOption,
    app,
    reporting_errors,
    settings_for,
    stdout,
)

SinceOption = Annotated[
    str | None,
    typer.Option(
        "--since",
        help="Incremental crawl of studies updated on or after DATE (YYYY-MM-DD). "
        "Default: since the last successful crawl, or a full crawl if there was none.",
        show_default=False,
    ),
]


def _parse_since(since: str | None) -> dt.date | None:
    if since is None:
        return None
    try:
        return dt.date.fromisoformat(since)
    except ValueError as exc:
        raise typer.BadParameter(
            f"expected YYYY-MM-DD, got {since!r}", param_hint="--since"
        ) from exc


def _print_json(document: Any) -> None:
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False, default=str))


@app.command()
def crawl(
    registry: Annotated[
        str, typer.Option(help="Registry to crawl: ctgov, ctis, euctr or isrctn.")
    ] = "ctgov",
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="Any server speaking the registry's interface (default: the public one; "
            "setting <registry>_base_url).",
            show_default=False,
        ),
    ] = None,
    since: SinceOption = None,
    full: Annotated[bool, typer.Option("--full", help="Crawl every recruiting study.")] = False,
    study: Annotated[
        str | None, typer.Option("--study", help="Fetch only this NCT id.", show_default=False)
    ] = None,
    db: DbOption = None,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Crawl a registry into the database: full, incremental, or resumed from a checkpoint.

    Example: trialmatch crawl --registry ctis --since 2026-11-01 --db var/trialmatch.db
    """
    from trialmatch.steps.crawl_step import crawl as run_crawl
    from trialmatch.steps.crawl_step import crawl_study, online_registry

    with reporting_errors():
        online_registry(registry)  # unknown or offline-only registries: a clean error
        settings = settings_for(db=db, **{f"{registry}_base_url": base_url})
        if study is not None:
            if registry != "ctgov":
                raise typer.BadParameter("--study fetches ClinicalTrials.gov studies only")
            trial = crawl_study(settings, study)
            _report_study(trial.trial_id, trial.overall_status, quiet=quiet, as_json=as_json)
            return
        run = run_crawl(
            settings,
            registry=registry,
            since=_parse_since(since),
            quiet=quiet or as_json,
            full=full,
        )
    if as_json:
        _print_json(run.to_json())
    elif not quiet:
        stdout().print(_crawl_summary(run.to_json()), highlight=False)
    if run.status != "succeeded":
        raise typer.Exit(code=1)


def _report_study(trial_id: str, status: str | None, *, quiet: bool, as_json: bool) -> None:
    if as_json:
        _print_json({"trial_id": trial_id, "overall_status": status})
    elif not quiet:
        stdout().print(f"stored {trial_id} ({status})", highlight=False)


def _crawl_summary(run: dict[str, Any]) -> str:
    return (
        f"crawl run {run['id']} ({run['mode']}) {run['status']}: {run['pages']} pages, "
        f"{run['studies_new']} new, {run['studies_changed']} changed, "
        f"{run['studies_unchanged']} unchanged, {run['studies_failed']} failed, "
        f"{run['studies_skipped']} skipped" + (f" — {run['message']}" if run["message"] else "")
    )


@app.command("import")
def import_files(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Saved pages, API responses or bulk downloads: files, folders or zips.",
            metavar="FILE_OR_DIR...",
            show_default=False,
        ),
    ],
    registry: Annotated[
        str,
        typer.Option(help="Whose files: ctgov, ctis, euctr, isrctn, anzctr or who-ictrp."),
    ] = "ctgov",
    db: DbOption = None,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Import saved registry files through the registry's parser.

    A record that does not parse is reported with its file, position and
    reason, and the rest go on; the exit status is 1 when anything was
    refused, 0 when everything was imported.

    Example: trialmatch import --registry who-ictrp ICTRP-Results.xml --db var/trialmatch.db
    """
    from trialmatch.steps.import_step import report_of, run_import

    with reporting_errors():
        settings = settings_for(db=db)
        report = run_import(settings, registry, paths, quiet=quiet or as_json)
    step = report_of(report, registry)
    if as_json:
        _print_json(
            {
                "registry": registry,
                "counts": step.counts,
                "refused": [
                    {"file": e.url, "position": e.position, "reason": e.reason}
                    for e in report.refused
                ],
            }
        )
    elif not quiet:
        stdout().print(f"{step.name}: {_counts_text(step.counts)}", highlight=False)
        for error in report.refused:
            where = f"{error.url}, {error.position}" if error.position else error.url
            stdout().print(f"[red]refused[/red] {where}: {error.reason}", highlight=False)
    if report.refused_any:
        raise typer.Exit(code=1)


@app.command()
def nightly(
    since: SinceOption = None,
    db: DbOption = None,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Run the nightly pipeline once (crawl, then parse and match), recorded in `runs`.

    Example: trialmatch nightly --db var/trialmatch.db
    """
    from trialmatch.nightly import run_nightly

    with reporting_errors():
        settings = settings_for(db=db)
        report = run_nightly(settings, since=_parse_since(since), quiet=quiet or as_json)
    if as_json:
        _print_json(
            {
                "run_id": report.run_id,
                "status": report.status,
                "steps": {step.name: step.counts for step in report.steps},
                "errors": report.errors,
            }
        )
    elif not quiet:
        for step in report.steps:
            stdout().print(f"{step.name}: {_counts_text(step.counts)}", highlight=False)
        for error in report.errors:
            stdout().print(f"[red]error[/red] {error}", highlight=False)
        stdout().print(f"nightly run {report.run_id} {report.status}", highlight=False)
    if report.status != "succeeded":
        raise typer.Exit(code=1)


@app.command()
def schedule(
    cron: Annotated[
        str | None,
        typer.Option(
            "--cron",
            help="Crontab expression, local time (default: setting schedule_cron, '0 2 * * *').",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Run `nightly` on a cron schedule, one run at a time, until Ctrl-C.

    Example: trialmatch schedule --cron "30 1 * * *" --db var/trialmatch.db
    """
    from trialmatch.nightly import stop_requested
    from trialmatch.schedule import next_run_time, run_schedule

    with reporting_errors():
        settings = settings_for(db=db)

        def announce() -> None:
            stdout().print(
                f"nightly run scheduled ({cron or settings.schedule_cron}); "
                f"next at {next_run_time(settings, cron=cron)}. Ctrl-C stops.",
                highlight=False,
                soft_wrap=True,
            )

        run_schedule(settings, cron=cron, on_started=announce, on_stop=stop_requested.set)
    stdout().print("scheduler stopped", highlight=False)


@app.command()
def runs(
    limit: Annotated[int, typer.Option(help="How many runs of each kind to list.")] = 10,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List recent nightly runs and crawl runs with their counts and errors.

    Example: trialmatch runs --limit 5 --json
    """
    from db.connection import reading
    from db.runs import crawl_errors, recent_crawl_runs, recent_nightly_runs

    with reporting_errors(), reading(settings_for(db=db).db) as database:
        nightly_runs = [run.to_json() for run in recent_nightly_runs(database, limit)]
        crawl_runs = [run.to_json() for run in recent_crawl_runs(database, limit)]
        for run in crawl_runs:
            run["errors"] = [vars(error) for error in crawl_errors(database, run["id"])]
    if as_json:
        _print_json({"nightly_runs": nightly_runs, "crawl_runs": crawl_runs})
        return
    for line in _runs_listing(nightly_runs, crawl_runs):
        typer.echo(line)


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{value} {name}" for name, value in counts.items()) or "nothing"


def _runs_listing(
    nightly_runs: list[dict[str, Any]], crawl_runs: list[dict[str, Any]]
) -> list[str]:
    """One line per run, then its counts and errors indented: readable and greppable."""
    lines = ["nightly runs:"] if nightly_runs else ["nightly runs: none yet"]
    for run in nightly_runs:
        lines.append(
            f"  {run['id']} {run['status']} ({run['trigger']}) "
            f"{run['started']} → {run['finished'] or 'running'}"
        )
        lines.extend(f"      {step}: {_counts_text(c)}" for step, c in run["counts"].items())
        lines.extend(f"      error: {error}" for error in run["errors"])
    lines.append("crawl runs:" if crawl_runs else "crawl runs: none yet")
    for run in crawl_runs:
        lines.append(f"  {run['started']} {_crawl_summary(run)}")
        lines.extend(f"      error: {e['url']}: {e['error']}" for e in run["errors"])
    return lines
