"""`serve` and `users add|list|disable|password`: the review page and its accounts.

Imports stay inside the commands: ``trialmatch users list`` reads through a
plain read-only connection and starts without the web stack or sqlite-utils.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from trialmatch.cli.app import DbOption, JsonOption, app, reporting_errors, settings_for, stdout

users_app = typer.Typer(
    name="users",
    help="Accounts of the review page. Example: trialmatch users add alice --site 'Hôpital Nord'",
    no_args_is_help=True,
)
app.add_typer(users_app, name="users")

PasswordStdinOption = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from the first line of standard input."
    ),
]


def _password(from_stdin: bool) -> str:
    """The new password: stdin's first line, or typed twice without echo."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@users_app.command("add")
def add_user(
    name: Annotated[str, typer.Argument(help="The account's name (what one logs in with).")],
    password_stdin: PasswordStdinOption = False,
    site: Annotated[
        list[str] | None,
        typer.Option(
            "--site",
            help="A site whose matches the account sees, as the lists name it "
            "(repeat for several; none: every site).",
            show_default=False,
        ),
    ] = None,
    admin: Annotated[bool, typer.Option("--admin", help="Sees every site.")] = False,
    db: DbOption = None,
) -> None:
    """Create an account of the review page; the password is asked twice, never echoed.

    Example: trialmatch users add alice --site "Centre Léon Bérard, Lyon, France"
    """
    from db.connection import open_database
    from db.users import add_user as store_user
    from trialmatch.core.clock import utc_now
    from trialmatch.core.errors import AccountError
    from trialmatch.web.passwords import hash_password

    with reporting_errors():
        if not name.strip() or name != name.strip() or len(name) > 100:
            raise AccountError("a name is 1 to 100 characters with no space at either end")
        settings = settings_for(db=db)
        password_hash = hash_password(_password(password_stdin))
        sites = tuple(dict.fromkeys(item.strip() for item in site or () if item.strip()))
        with open_database(settings.db) as database:
            user = store_user(
                database, name, password_hash, sites=sites, admin=admin, now=utc_now()
            )
    stdout().print(f"added {user.name} ({_scope(user.admin, user.sites)})", highlight=False)


@users_app.command("list")
def list_users(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List the accounts: name, sites, admin, disabled.

    Example: trialmatch users list --json
    """
    from db.connection import reading
    from db.users import list_users as stored_users

    with reporting_errors(), reading(settings_for(db=db).db) as database:
        found = stored_users(database)
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "name": user.name,
                        "sites": list(user.sites),
                        "admin": user.admin,
                        "disabled": user.disabled,
                        "created": user.created,
                    }
                    for user in found
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    if not found:
        typer.echo("no accounts yet: trialmatch users add NAME")
    for user in found:
        state = " (disabled)" if user.disabled else ""
        typer.echo(f"{user.name}{state}: {_scope(user.admin, user.sites)}")


def _scope(admin: bool, sites: tuple[str, ...]) -> str:
    if admin:
        return "admin, every site"
    return "sites: " + "; ".join(sites) if sites else "every site"


@users_app.command("disable")
def disable_user(
    name: Annotated[str, typer.Argument(help="The account to disable.")],
    db: DbOption = None,
) -> None:
    """Disable an account: its logins are refused and its sessions end at once.

    Example: trialmatch users disable alice
    """
    from db.connection import open_database
    from db.users import disable_user as store_disabled

    with reporting_errors(), open_database(settings_for(db=db).db) as database:
        store_disabled(database, name)
    stdout().print(f"disabled {name}; its sessions have ended", highlight=False)


@users_app.command("password")
def change_password(
    name: Annotated[str, typer.Argument(help="The account whose password changes.")],
    password_stdin: PasswordStdinOption = False,
    db: DbOption = None,
) -> None:
    """Set a new password (asked twice, never echoed); the account's sessions end.

    Example: echo 'a long new passphrase' | trialmatch users password alice --password-stdin
    """
    from db.connection import open_database
    from db.users import set_password
    from trialmatch.core.clock import utc_now
    from trialmatch.web.passwords import hash_password

    with reporting_errors():
        password_hash = hash_password(_password(password_stdin))
        with open_database(settings_for(db=db).db) as database:
            set_password(database, name, password_hash, now=utc_now())
    stdout().print(f"password of {name} changed; its sessions have ended", highlight=False)


@app.command()
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the review page for coordinators (log in with an account of `users add`).

    It keeps serving while `nightly` writes to the same database. Put it
    behind a reverse proxy speaking https for use beyond this machine: cookies
    are then marked Secure (the proxy sets X-Forwarded-Proto).

    Example: trialmatch serve --db var/demo/trialmatch.db --port 8000
    """
    from trialmatch.web.server import run_server

    with reporting_errors():
        settings = settings_for(db=db)
        stdout().print(f"review page on http://{host}:{port}/ (Ctrl-C stops)", highlight=False)
        run_server(settings, host=host, port=port)
