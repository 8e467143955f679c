"""The one progress bar of the command line (rich, on stderr), or nothing when quiet.

A long step takes a `Report` callback: ``report(done, total, note)``. The
library never draws; the wiring hands it this bar, or None.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

Report = Callable[[int, "int | None", str], None]


@contextmanager
def progress_bar(description: str, *, quiet: bool, keep: bool = False) -> Iterator[Report | None]:
    """A bar labelled *description*; yields None when *quiet*. *keep*: leave it on screen."""
    if quiet:
        yield None
        return
    # rich is imported here, not at the top: commands that draw nothing start faster
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (
        TextColumn(description),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=not keep) as bar:
        task = bar.add_task(description, total=None, note="")

        def report(done: int, total: int | None, note: str = "") -> None:
            bar.update(task, completed=done, total=total, note=note)

        yield report
