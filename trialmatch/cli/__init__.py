"""The `trialmatch` command line: thin commands wiring the library together."""

from __future__ import annotations

from trialmatch.cli import (  # noqa: F401  (each module registers its commands)
    crawl_commands,
    demo_command,
    match_commands,
    parse_commands,
    web_commands,
)
from trialmatch.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
