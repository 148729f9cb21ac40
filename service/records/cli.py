"""`imprimatur records export|import`: the open-records archive from the command line."""

import getpass
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from service.db import session_scope
from service.errors import DomainError
from service.records import service
from service.records.importer import import_records
from service.records.models import ExportPeriod

records_app = typer.Typer(help="Open-records export.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)


def _operator() -> str:
    return f"cli:{getpass.getuser()}"


def _fail(message: str) -> typer.Exit:
    errors.print(f"[red]error:[/red] {message}")
    return typer.Exit(1)


@records_app.command("export")
def records_export(
    start: Annotated[datetime, typer.Option("--from", formats=["%Y-%m-%d"], help="First day.")],
    end: Annotated[datetime, typer.Option("--to", formats=["%Y-%m-%d"], help="Last day.")],
    out: Annotated[Path, typer.Option("--out", help="The zip to write.")],
) -> None:
    """Write every post first published from FROM to TO (inclusive) and the register's
    history to a zip, with a manifest of SHA-256 hashes."""
    try:
        period = ExportPeriod.model_validate({"from": start.date(), "to": end.date()})
        with session_scope() as session:
            archive = service.export_records(session, period, actor=_operator())
    except ValidationError as error:
        raise _fail(error.errors()[0]["msg"]) from error
    except DomainError as error:
        raise _fail(error.message) from error
    out.write_bytes(archive)
    console.print(f"Wrote {out} ({len(archive)} bytes).")


@records_app.command("import")
def records_import(source: Path) -> None:
    """Load an export (zip or unpacked folder) into this database, to verify it."""
    try:
        with session_scope() as session:
            summary = import_records(session, source, actor=_operator())
    except DomainError as error:
        raise _fail(error.message) from error
    for kind, count in summary.counts.items():
        console.print(f"{kind}: {count}")
