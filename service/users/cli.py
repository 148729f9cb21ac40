"""`imprimatur users deactivate EMAIL`: end a person's access and show what they leave behind."""

import getpass

import typer
from rich.console import Console
from rich.table import Table

from service.db import session_scope
from service.errors import DomainError
from service.users import service

console = Console()


def users_deactivate(email: str) -> None:
    """Deactivate EMAIL: revoke their tokens and sessions, remove them as steward, notify the
    superintendent; lists the accounts they stewarded."""
    try:
        with session_scope() as session:
            report = service.deactivate_user(session, email, actor=f"cli:{getpass.getuser()}")
    except DomainError as error:
        Console(stderr=True).print(f"[red]error:[/red] {error.message}")
        raise typer.Exit(1) from error
    console.print(
        f"Deactivated {report.user.email}: revoked {report.tokens_revoked} token(s) and "
        f"{report.sessions_revoked} web session(s)."
    )
    if not report.accounts:
        console.print("They stewarded no account.")
        return
    table = Table("platform", "handle", "stewards left", "flags", title="Accounts they stewarded")
    for account in report.accounts:
        table.add_row(
            account.platform.value,
            f"@{account.handle}",
            ", ".join(account.stewards) or "none",
            ", ".join(flag.value.replace("_", " ") for flag in account.flags) or "—",
        )
    console.print(table)
