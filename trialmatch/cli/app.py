"""The Typer application, the options every command shares, and error handling.

Command modules (`crawl_commands`, `parse_commands`, …) register on `app`;
a command's body calls library functions inside `reporting_errors()`, which
turns a `TrialmatchError` into a one-line message and exit code 1.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from trialmatch.core.errors import TrialmatchError
from trialmatch.core.settings import Settings, load_settings

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(
    name="trialmatch",
    help="Finds patients for clinical trials: crawl registries, parse criteria, match profiles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # plain click help: rich's help renderer costs a tenth of a second at every start
    rich_markup_mode=None,
)


@cache
def stdout() -> Console:
    """The console commands print their results on (rich, imported when first printed)."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


@cache
def stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True)


DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="SQLite database file (default: setting `db`, env TRIALMATCH_DB).",
        show_default=False,
    ),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def settings_for(**overrides: Any) -> Settings:
    """Settings with command-line overrides applied last."""
    return load_settings().with_overrides(overrides)


@contextmanager
def reporting_errors() -> Iterator[None]:
    """Turn trialmatch errors into a clean message and exit code 1."""
    try:
        yield
    except TrialmatchError as exc:
        stderr().print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(code=1) from exc
    except KeyboardInterrupt as exc:
        stderr().print("interrupted", highlight=False)
        raise typer.Exit(code=130) from exc


@app.callback()
def root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress.")] = False,
) -> None:
    """trialmatch: finds patients for clinical trials.

    Example: trialmatch demo
    """
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
