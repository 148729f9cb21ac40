"""Platform tokens of official accounts, encrypted with Fernet keys from the settings.

`IMPRIMATUR_CREDENTIAL_KEYS` is a comma-separated list: the first key encrypts, every key
decrypts. To rotate: put a new key first, run `imprimatur credentials rotate` (re-encrypts
everything with it), then drop the old key.
"""

import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlmodel import Session, select

from connectors import Credentials
from service import clock
from service.accounts.models import AccountCredential, CredentialsIn, CredentialsStatus
from service.accounts.service import get_account
from service.audit import service as audit
from service.errors import Conflict, DomainError, NotFound
from service.settings import get_settings
from service.users.models import User
from workflows.account_lifecycle import AccountStatus


class CredentialKeysMissing(DomainError):
    status_code = 503
    code = "not_configured"


def _fernet() -> MultiFernet:
    keys = get_settings().credential_keys
    if keys is None or not keys.get_secret_value().strip():
        raise CredentialKeysMissing(
            "Set IMPRIMATUR_CREDENTIAL_KEYS (generate one with `imprimatur credentials new-key`)."
        )
    try:
        return MultiFernet(
            [Fernet(k.strip()) for k in keys.get_secret_value().split(",") if k.strip()]
        )
    except ValueError as error:
        raise CredentialKeysMissing("IMPRIMATUR_CREDENTIAL_KEYS holds an invalid key.") from error


def new_key() -> str:
    return Fernet.generate_key().decode()


def connect(
    session: Session, account_id: int, data: CredentialsIn, actor: User
) -> AccountCredential:
    """Only an authorized account may hold a token: nothing publishes to an unofficial one."""
    account = get_account(session, account_id, for_update=True)
    if account.status is not AccountStatus.authorized:
        raise Conflict(
            f"Account {account_id} is {account.status}; only authorized accounts connect."
        )
    ciphertext = _fernet().encrypt(data.model_dump_json().encode()).decode()
    record = session.get(AccountCredential, account_id) or AccountCredential(
        account_id=account_id, ciphertext="", connected_by="", connected_at=clock.now()
    )
    record.ciphertext, record.connected_by, record.connected_at = (
        ciphertext,
        actor.email,
        clock.now(),
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor=actor.email,
        action="account.credentials_connected",
        subject_type="account",
        subject_id=account_id,
    )
    return record


def disconnect(session: Session, account_id: int, actor: User) -> None:
    record = session.get(AccountCredential, account_id)
    if record is None:
        raise NotFound(f"Account {account_id} has no stored credentials.")
    session.delete(record)
    audit.record(
        session,
        actor=actor.email,
        action="account.credentials_disconnected",
        subject_type="account",
        subject_id=account_id,
    )


def status(session: Session, account_id: int) -> CredentialsStatus:
    get_account(session, account_id)
    record = session.get(AccountCredential, account_id)
    return CredentialsStatus(
        account_id=account_id,
        connected=record is not None,
        connected_by=record.connected_by if record else None,
        connected_at=record.connected_at if record else None,
    )


def credentials_for(session: Session, account_id: int) -> Credentials | None:
    record = session.get(AccountCredential, account_id)
    if record is None:
        return None
    try:
        data = json.loads(_fernet().decrypt(record.ciphertext.encode()))
    except InvalidToken as error:
        raise CredentialKeysMissing(
            f"The stored token of account {account_id} was encrypted with a key no longer set."
        ) from error
    return Credentials(
        access_token=data["access_token"],
        access_token_secret=data.get("access_token_secret"),
        account_platform_id=data.get("account_platform_id"),
    )


def rotate_all(session: Session) -> int:
    """Re-encrypt every stored token with the first key."""
    fernet = _fernet()
    records = session.exec(select(AccountCredential)).all()
    for record in records:
        record.ciphertext = fernet.rotate(record.ciphertext.encode()).decode()
        session.add(record)
    session.flush()
    return len(records)
