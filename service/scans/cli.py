"""`imprimatur scan run`: scan now, with a progress bar and a summary of each run."""

import getpass
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from service.db import session_scope
from service.findings import service as findings
from service.scans import service as scans
from service.scans.models import COUNTERS, ScanRunPublic, ScanStatus
from workflows.finding_lifecycle import FindingStatus

console = Console()


def _scan(platform: str, budget: int | None, actor: str) -> ScanRunPublic:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(f"{platform}: planning", total=None)

        def show(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=f"{platform}: {label}")

        run_id = scans.run_scan(platform, budget=budget, actor=actor, progress=show)
    with session_scope() as session:
        return scans.to_public(scans.get_run(session, run_id))


def _summary(runs: list[ScanRunPublic]) -> Table:
    """One column per run: the counters read down, however many platforms were scanned."""
    table = Table("", *(f"{run.platform} (run {run.id})" for run in runs), title="Scan summary")
    table.add_row("status", *(str(run.status) for run in runs))
    for name in COUNTERS:
        table.add_row(name.replace("_", " "), *(str(run.counts.get(name, 0)) for run in runs))
    table.add_row(
        "seconds", *(f"{run.seconds:.1f}" if run.seconds is not None else "" for run in runs)
    )
    return table


def scan_run(
    platform: Annotated[
        str | None,
        typer.Option(help="x, facebook, instagram, simulated, ... (default: every platform)."),
    ] = None,
    budget: Annotated[
        int | None, typer.Option(min=1, help="At most this many API calls per platform.")
    ] = None,
) -> None:
    """Search the platforms for accounts pretending to be the institution, now."""
    if platform:
        platforms = [platform]
    else:
        with session_scope() as session:
            platforms = scans.scannable_platforms(session)
    if not platforms:
        console.print(
            "No platform to scan: configure the credentials of a platform the register uses, "
            "or name one with --platform."
        )
        raise typer.Exit(1)
    actor = f"cli:{getpass.getuser()}"
    runs = [_scan(name, budget, actor) for name in platforms]
    console.print(_summary(runs))
    for run in runs:
        for error in run.errors:
            console.print(f"[yellow]{run.platform}:[/yellow] {error}", soft_wrap=True)
    with session_scope() as session:
        waiting = len(findings.list_findings(session, status=FindingStatus.open))
    console.print(f"{waiting} finding(s) await triage: GET /api/v1/findings?status=open")
    if any(run.status is ScanStatus.failed for run in runs):
        raise typer.Exit(1)
