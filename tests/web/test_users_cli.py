"""`trialmatch users add|list|disable|password`, through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from db import open_database
from db.users import password_hash_of
from trialmatch.cli import app
from trialmatch.web.passwords import verify_password


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "trialmatch.db"


def _run(db: Path, *arguments: str, given: str = "") -> tuple[int, str]:
    result = CliRunner().invoke(app, [*arguments, "--db", str(db)], input=given)
    return result.exit_code, result.output


def test_add_asks_twice_without_echo_and_hashes(db: Path) -> None:
    code, output = _run(
        db,
        "users",
        "add",
        "alice",
        "--site",
        "Site A",
        "--site",
        "Site B",
        given="s3cret passphrase\ns3cret passphrase\n",
    )
    assert code == 0, output
    assert "s3cret" not in output
    with open_database(db) as database:
        stored = password_hash_of(database, "alice")
    assert stored is not None and stored.startswith("$argon2id$")
    assert verify_password(stored, "s3cret passphrase")
    code, output = _run(db, "users", "list", "--json")
    assert json.loads(output) == [
        {
            "name": "alice",
            "sites": ["Site A", "Site B"],
            "admin": False,
            "disabled": False,
            "created": json.loads(output)[0]["created"],
        }
    ]


def test_mismatched_confirmation_is_asked_again(db: Path) -> None:
    code, output = _run(
        db,
        "users",
        "add",
        "bob",
        given="first passphrase\nother passphrase\nsecond passphrase\nsecond passphrase\n",
    )
    assert code == 0, output
    assert "do not match" in output.lower()
    with open_database(db) as database:
        assert verify_password(password_hash_of(database, "bob"), "second passphrase")


@pytest.mark.parametrize(
    ("arguments", "given", "message"),
    [
        (("users", "add", "carol", "--password-stdin"), "short\n", "at least 8"),
        (("users", "disable", "nobody"), "", "no user 'nobody'"),
        (("users", "password", "nobody", "--password-stdin"), "long enough pass\n", "no user"),
        (("users", "add", " spaced", "--password-stdin"), "long enough pass\n", "no space"),
    ],
    ids=["short password", "disable unknown", "password unknown", "name with space"],
)
def test_refusals_are_clear(db: Path, arguments: tuple[str, ...], given: str, message: str) -> None:
    code, output = _run(db, *arguments, given=given)
    assert code == 1
    assert message in output


def test_a_taken_name_is_refused(db: Path) -> None:
    assert _run(db, "users", "add", "dan", "--password-stdin", given="long enough pass\n")[0] == 0
    code, output = _run(db, "users", "add", "dan", "--password-stdin", given="long enough pass\n")
    assert code == 1 and "already exists" in output


def test_disable_and_password_change(db: Path) -> None:
    _run(db, "users", "add", "erin", "--admin", "--password-stdin", given="first passphrase\n")
    code, output = _run(
        db, "users", "password", "erin", "--password-stdin", given="new passphrase\n"
    )
    assert code == 0, output
    with open_database(db) as database:
        assert verify_password(password_hash_of(database, "erin"), "new passphrase")
    assert _run(db, "users", "disable", "erin")[0] == 0
    code, output = _run(db, "users", "list")
    assert "erin (disabled): admin, every site" in output
    with open_database(db) as database:
        assert password_hash_of(database, "erin") is None
