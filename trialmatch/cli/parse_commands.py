"""`parse` and `parse-text`: criteria of stored trials, or of texts given on the command line."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

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
from trialmatch.core.errors import CriteriaParseError
from trialmatch.progress import Report, progress_bar

STDIN_NAME = "-"


def _read_input(path: Path | None) -> tuple[str, str]:
    """(source name, text) read without newline translation, so offsets are exact."""
    if path is None or str(path) == STDIN_NAME:
        stream = getattr(sys.stdin, "buffer", None)  # bytes: no newline translation
        data = stream.read() if stream is not None else sys.stdin.read().encode("utf-8")
        name = STDIN_NAME
    else:
        with path.open("rb") as handle:  # bytes: no newline translation at all
            data = handle.read()
        name = str(path)
    try:
        return name, data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CriteriaParseError(f"{name} is not UTF-8 text ({exc.reason})") from exc


# texts parsed per pool call: output flows while later files are read, and
# memory stays bounded however many files are named
_BATCH_TEXTS = 2_000


def _read_or_error(path: Path | None) -> tuple[str, str | CriteriaParseError]:
    try:
        return _read_input(path)
    except CriteriaParseError as exc:
        return (STDIN_NAME if path is None else str(path)), exc


def _json_line(name: str, outcome: str | CriteriaParseError) -> tuple[str, bool]:
    """The input's line: its source and its criteria (a JSON array made by the parser)."""
    if isinstance(outcome, CriteriaParseError):
        document = {"source": name, "criteria": [], "error": str(outcome)}
        return json.dumps(document, ensure_ascii=False), False
    # what json.dumps({"source": name, "criteria": criteria}) writes, the criteria
    # already encoded where they were parsed
    return f'{{"source": {json.dumps(name, ensure_ascii=False)}, "criteria": {outcome}}}', True


def _parsed_lines(paths: list[Path | None], workers: int) -> Iterator[tuple[str, bool]]:
    """One JSON line (and whether it parsed) per input, in input order.

    Many inputs are parsed by `workers` processes; the result is the same as
    parsing them one by one here (``nlp_models.batch``).
    """
    from nlp_models.batch import ParserPool

    with ParserPool(workers) as pool:
        for start in range(0, len(paths), _BATCH_TEXTS):
            read = [_read_or_error(path) for path in paths[start : start + _BATCH_TEXTS]]
            texts = [text for _, text in read if isinstance(text, str)]
            parsed = iter(pool.parse_json(texts))
            for name, text in read:
                outcome = text if isinstance(text, CriteriaParseError) else next(parsed)
                yield _json_line(name, outcome)


@app.command("parse-text")
def parse_text(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Eligibility text files (UTF-8); stdin when none, or '-'.",
            exists=False,
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Parser processes for many files (default: one per CPU). "
            "The output is the same whatever the number.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Parse eligibility texts into criteria: one JSON object per input, one per line.

    Offsets are character offsets into each text exactly as given. Given many
    files, it parses them on every CPU; the lines keep the order of the files.

    Example: trialmatch parse-text criteria.txt other.txt > criteria.jsonl
    """
    from nlp_models.batch import default_workers

    with reporting_errors():
        inputs: list[Path | None] = list(files) if files else [None]
        paths: list[Path | None] = []
        for path in inputs:
            if path is None or str(path) == STDIN_NAME:
                paths.append(None)
            elif not path.is_file():
                raise typer.BadParameter(f"no file {str(path)!r}", param_hint="FILES")
            else:
                paths.append(path)
        all_ok = True
        for line, ok in _parsed_lines(paths, default_workers() if workers is None else workers):
            typer.echo(line)
            all_ok = all_ok and ok
        if not all_ok:
            raise typer.Exit(code=1)


@app.command()
def parse(
    db: DbOption = None,
    reparse_all: Annotated[
        bool, typer.Option("--all", help="Re-parse every trial (after a parser upgrade).")
    ] = False,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Parse the eligibility criteria of trials marked as changed and store them.

    Example: trialmatch parse --db var/trialmatch.db --all
    """
    from trialmatch.steps.parse_step import run_parse_step

    with reporting_errors():
        settings = settings_for(db=db)
        with progress_bar("parsing criteria", quiet=quiet or as_json) as report_progress:
            on_progress = None if report_progress is None else _counting(report_progress)
            report = run_parse_step(settings.db, reparse_all=reparse_all, on_progress=on_progress)
        if as_json:
            document = {"name": report.name, "counts": report.counts, "errors": report.errors}
            typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
        elif not quiet:
            counts = ", ".join(f"{key} {value}" for key, value in report.counts.items())
            stdout().print(f"parse: {counts}", highlight=False)
            for error in report.errors:
                stdout().print(f"[red]error[/red] {error}", highlight=False)


def _counting(report: Report) -> Callable[[int, int], None]:
    return lambda done, total: report(done, total, "trials")
