"""Every command explains itself and shows an example, as the house style asks."""

from __future__ import annotations

from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from trialmatch.cli import app


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        if hasattr(command, "commands"):  # a group, whichever click typer brings
            found.extend(_commands(command, path))
        else:
            found.append(path)
    return found


COMMANDS = _commands(typer.main.get_command(app))


def test_design_commands_exist() -> None:
    names = {" ".join(path) for path in COMMANDS}
    expected = {
        "demo",
        "crawl",
        "parse",
        "parse-text",
        "patients import",
        "match",
        "nightly",
        "schedule",
        "runs",
        "serve",
        "users add",
        "users list",
        "users disable",
        "users password",
    }
    assert expected <= names, sorted(expected - names)


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(path) for path in COMMANDS])
def test_help_has_text_and_an_example(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, result.output
    assert "trialmatch " + " ".join(path) in result.output
