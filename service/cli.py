"""`imprimatur`: the command line of the DESIGN.md contract."""

import getpass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from service import migrations
from service.accounts import credentials, dormancy
from service.accounts.cli import accounts_app
from service.audit.service import verify_chain
from service.auth import service as auth
from service.db import get_engine, session_scope
from service.errors import DomainError
from service.institution import service as institution
from service.jobs import EmbeddedScheduler
from service.observability import configure_logging
from service.posts import expiry as approvals
from service.publishing import service as publishing
from service.records.cli import records_app
from service.scans.cli import scan_run
from service.schedule import PERIODIC
from service.scoring_cli import score_profiles
from service.serving import run_workers, served_app
from service.settings import get_settings
from service.users import service as users
from service.users.cli import users_deactivate
from service.users.models import Role

app = typer.Typer(help="Imprimatur: official-account governance.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="People and their roles.", no_args_is_help=True)
tokens_app = typer.Typer(help="API bearer tokens.", no_args_is_help=True)
institution_app = typer.Typer(help="The institution profile.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
credentials_app = typer.Typer(help="Encryption of platform tokens.", no_args_is_help=True)
jobs_app = typer.Typer(help="Background jobs, run once by hand.", no_args_is_help=True)
for sub, name in (
    (db_app, "db"),
    (users_app, "users"),
    (tokens_app, "tokens"),
    (institution_app, "institution"),
    (audit_app, "audit"),
    (credentials_app, "credentials"),
    (jobs_app, "jobs"),
):
    app.add_typer(sub, name=name)
app.command("score-profiles")(score_profiles)
scan_app = typer.Typer(help="Impersonation scans.", no_args_is_help=True)
scan_app.command("run")(scan_run)
app.add_typer(scan_app, name="scan")
app.add_typer(accounts_app, name="accounts")
users_app.command("deactivate")(users_deactivate)
app.add_typer(records_app, name="records")

console = Console()
errors = Console(stderr=True)


def operator() -> str:
    """Who ran the command, for the audit trail."""
    return f"cli:{getpass.getuser()}"


def fail(message: str, code: int = 1) -> typer.Exit:
    errors.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Create or migrate the schema."""
    migrations.upgrade(revision=revision)
    console.print(f"Database at {revision}.")


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Step the schema back to REVISION ('base' removes everything)."""
    migrations.downgrade(revision=revision)
    console.print(f"Database at {revision}.")


@users_app.command("add")
def users_add(
    email: str,
    role: Annotated[
        Role, typer.Option(help="superintendent, designee, site_admin, staff, auditor")
    ],
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    site: Annotated[str | None, typer.Option(help="A site administrator's site.")] = None,
) -> None:
    """Provision a person; only provisioned people can sign in."""
    try:
        with session_scope() as session:
            user = users.add_user(
                session, actor=operator(), email=email, role=role, name=name, site=site
            )
            console.print(f"Added {user.email} as {user.role}.")
    except DomainError as error:
        raise fail(error.message) from error


@users_app.command("list")
def users_list() -> None:
    with session_scope() as session:
        table = Table("email", "name", "role", "active")
        for user in users.list_users(session):
            table.add_row(user.email, user.name, user.role, "yes" if user.active else "no")
    console.print(table)


@tokens_app.command("issue")
def tokens_issue(
    email: str,
    expires_days: Annotated[
        int | None, typer.Option(min=1, max=3650, help="Days until it expires.")
    ] = None,
) -> None:
    """Print a new bearer token for EMAIL. It is shown once and stored only as a hash."""
    try:
        with session_scope() as session:
            user = users.get_by_email(session, email)
            issued = auth.issue_token(session, user, actor=operator(), expires_days=expires_days)
    except DomainError as error:
        raise fail(error.message) from error
    typer.echo(issued.token)


@tokens_app.command("list")
def tokens_list(email: Annotated[str | None, typer.Argument()] = None) -> None:
    """Tokens (never their secrets), for one person or everyone."""
    try:
        with session_scope() as session:
            owner = users.get_by_email(session, email) if email else None
            rows = auth.list_tokens(session, owner)
    except DomainError as error:
        raise fail(error.message) from error
    table = Table("id", "user", "prefix", "created", "expires", "revoked")
    for token, user in rows:
        table.add_row(
            str(token.id),
            user.email,
            token.prefix + "…",
            f"{token.created_at:%Y-%m-%d %H:%M}",
            f"{token.expires_at:%Y-%m-%d}" if token.expires_at else "never",
            f"{token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "",
        )
    console.print(table)


@tokens_app.command("revoke")
def tokens_revoke(token_id: int) -> None:
    """Revoke a token at once (see `tokens list` for ids)."""
    try:
        with session_scope() as session:
            auth.revoke_token(session, token_id, actor=operator())
    except DomainError as error:
        raise fail(error.message) from error
    console.print(f"Token {token_id} revoked.")


@institution_app.command("import")
def institution_import(path: Path) -> None:
    """Load the profile from YAML; its official_accounts become authorized register entries."""
    try:
        with session_scope() as session:
            loaded = institution.import_profile(session, actor=operator(), path=path)
            console.print(f"Imported {loaded.name}.")
    except DomainError as error:
        raise fail(error.message) from error


@institution_app.command("export")
def institution_export(path: Path) -> None:
    """Write the profile as YAML, with its logos in `logos/` beside the file."""
    try:
        with session_scope() as session:
            institution.export_profile(session, path)
    except DomainError as error:
        raise fail(error.message) from error
    console.print(f"Wrote {path}.")


@audit_app.command("verify")
def audit_verify() -> None:
    """Exit 0 when the audit chain is intact; otherwise name the first bad entry."""
    report = verify_chain(get_engine())
    if not report.intact:
        where = f"entry {report.first_bad_id}" if report.first_bad_id else "the chain"
        raise fail(f"audit chain broken at {where}: {report.problem}", code=2)
    console.print(f"Audit chain intact: {report.entries} entries.")


@credentials_app.command("new-key")
def credentials_new_key() -> None:
    """Print a new key for IMPRIMATUR_CREDENTIAL_KEYS (put it first to rotate)."""
    typer.echo(credentials.new_key())


@credentials_app.command("rotate")
def credentials_rotate() -> None:
    """Re-encrypt every stored platform token with the first configured key."""
    try:
        with session_scope() as session:
            count = credentials.rotate_all(session)
    except DomainError as error:
        raise fail(error.message) from error
    console.print(f"Re-encrypted {count} account token(s) with the first key.")


@jobs_app.command("publish")
def jobs_publish() -> None:
    """Publish every approved post whose time has come (the scheduler does this on its own)."""
    console.print(f"Looked at {publishing.publish_due()} due post(s).")


@jobs_app.command("check-approvals")
def jobs_check_approvals() -> None:
    """Escalate posts waiting too long for review; send lapsed approvals back to review."""
    console.print(f"Escalated or expired {approvals.check_approvals()} post(s).")


@jobs_app.command("check-dormancy")
def jobs_check_dormancy() -> None:
    """Read every official account's latest post and flag those with none for too long."""
    report = dormancy.check_dormancy()
    console.print(
        f"Checked {report.checked} account(s): {report.became_dormant} became dormant, "
        f"{report.active_again} active again; {report.skipped} skipped (no connector), "
        f"{report.failed} failed."
    )


@app.command("serve")
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[
        int,
        typer.Option(min=1, help="Server processes; each reads its settings from the environment."),
    ] = 1,
    demo: Annotated[bool, typer.Option(help="Seed and serve the demo institution.")] = False,
) -> None:
    """Serve the web application and API."""
    import os

    import uvicorn

    settings = get_settings()
    configure_logging(json=settings.environment == "production")
    if demo:
        from service.demo import seed_demo

        settings.demo = True
        seed_demo(console)
        # Worker processes build their settings from the environment: tell them too.
        os.environ["IMPRIMATUR_DEMO"] = "true"
        if settings.simulated_profiles_path is not None:
            os.environ.setdefault(
                "IMPRIMATUR_SIMULATED_PROFILES_PATH", str(settings.simulated_profiles_path)
            )
    # With Celery, workers and one beat run the jobs; embedded, this process does.
    scheduler = embedded_scheduler() if settings.jobs_backend == "embedded" else None
    if scheduler is not None:
        scheduler.start()
    # The app logs each request itself, without query string (uvicorn's access log has it);
    # uvicorn's own lines go through the logging configured here: it installs no handlers.
    try:
        if workers == 1:
            application = served_app(settings)
            uvicorn.run(application, host=host, port=port, access_log=False, log_config=None)
        else:
            run_workers("service.serving:worker_app", workers=workers, host=host, port=port)
    finally:
        if scheduler is not None:
            scheduler.stop()


def embedded_scheduler() -> EmbeddedScheduler:
    """The jobs `serve` runs itself when no Celery workers do (the embedded default)."""
    settings = get_settings()
    scheduler = EmbeddedScheduler()
    for work, interval in PERIODIC.values():
        scheduler.every(getattr(settings, interval), work)
    return scheduler
