"""`imprimatur accounts review`: the annual review of official accounts, as a table or JSON."""

import json
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from service.accounts import service, stewardship
from service.accounts.stewardship import AccountStanding
from service.db import session_scope
from workflows.account_lifecycle import AccountStatus

accounts_app = typer.Typer(help="The register of official accounts.", no_args_is_help=True)
console = Console()


class Format(StrEnum):
    table = "table"
    json = "json"


def _row(item: AccountStanding) -> dict[str, object]:
    account = item.account
    return {
        "id": account.id,
        "platform": account.platform.value,
        "handle": account.handle,
        "review_due": account.review_due.isoformat() if account.review_due else None,
        "review_state": item.standing.review.value if item.standing.review else None,
        "days_overdue": item.standing.days_overdue,
        "stewards": item.stewards,
        "flags": [flag.value for flag in item.standing.flags],
    }


@accounts_app.command("review")
def review(
    due: Annotated[
        bool, typer.Option("--due", help="Only accounts due (within 30 days) or overdue.")
    ] = False,
    output: Annotated[Format, typer.Option("--format", help="table or json.")] = Format.table,
) -> None:
    """Official accounts and their annual review: date, days overdue, stewards."""
    with session_scope() as session:
        if due:
            found = stewardship.due_for_review(session)
        else:
            official = service.list_accounts(session, status=AccountStatus.authorized)
            found = stewardship.with_standing(session, official)
        rows = [_row(item) for item in found]
    if output is Format.json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("platform", "handle", "review due", "state", "days overdue", "stewards")
    for item in found:
        account, standing = item.account, item.standing
        table.add_row(
            account.platform.value,
            f"@{account.handle}",
            f"{account.review_due:%Y-%m-%d}" if account.review_due else "—",
            standing.review.value if standing.review else "—",
            str(standing.days_overdue),
            ", ".join(item.stewards) or "none",
        )
    console.print(table)
    if not rows:
        console.print("No official account is due for review." if due else "No official account.")
