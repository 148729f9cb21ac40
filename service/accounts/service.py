"""Use cases of the register: request, decide, steward, look up."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, or_, select

from service import clock
from service.accounts.models import (
    Account,
    AccountAuthorization,
    AccountPublic,
    AccountRequest,
    AccountSteward,
    AccountUpdate,
    AuthorizationPublic,
    DirectoryEntry,
    ReviewFilter,
)
from service.audit import service as audit
from service.audit.models import AuditEntry
from service.db import first_or_404
from service.errors import Conflict, Invalid, NotFound, refusal
from service.settings import get_settings
from service.users import service as users
from service.users.models import User
from workflows import account_lifecycle as lifecycle
from workflows import stewardship
from workflows.account_lifecycle import AccountAction, AccountStatus
from workflows.platforms import Platform
from workflows.profile_urls import (
    ProfileRef,
    ProfileUrlError,
    normalize_handle,
    parse_profile_url,
    profile_url,
)
from workflows.stewardship import Flag, ReviewState, Standing

AUDIT_SUBJECT = "account"  # how the audit log names an entry of the register (credentials too)
REVIEW_MATCHES = {
    ReviewFilter.due: frozenset({ReviewState.due, ReviewState.overdue}),
    ReviewFilter.overdue: frozenset({ReviewState.overdue}),
}


def resolve_reference(
    *, url: str | None = None, platform: Platform | str | None = None, handle: str | None = None
) -> ProfileRef:
    """Turn what a person pasted into a (platform, handle); unknown spellings are a 422."""
    try:
        if url:
            return parse_profile_url(url)
        if platform and handle:
            return normalize_handle(platform, handle)
    except ProfileUrlError as error:
        raise Invalid(str(error)) from error
    raise Invalid("Give either 'url', or both 'platform' and 'handle'.")


def account_state(account: Account) -> dict[str, object]:
    return {
        "platform": account.platform,
        "handle": account.handle,
        "status": account.status,
        "display_name": account.display_name,
        "authorized_by_id": account.authorized_by_id,
        "authorized_at": account.authorized_at,
        "review_due": account.review_due,
    }


def find_by_reference(session: Session, ref: ProfileRef) -> Account | None:
    return session.exec(
        select(Account).where(
            Account.platform == ref.platform,
            or_(Account.handle_key == ref.key, Account.platform_account_id == ref.handle),
        )
    ).first()


def _new_account(ref: ProfileRef, *, display_name: str, purpose: str) -> Account:
    now = clock.now()
    return Account(
        platform=ref.platform,
        handle=ref.handle,
        handle_key=ref.key,
        platform_account_id=ref.handle if ref.by_id else None,
        url=profile_url(ref),
        display_name=display_name.strip(),
        purpose=purpose.strip(),
        status=AccountStatus.requested,
        created_at=now,
        updated_at=now,
    )


def request_account(session: Session, requester: User, data: AccountRequest) -> Account:
    ref = resolve_reference(url=data.url, platform=data.platform, handle=data.handle)
    existing = find_by_reference(session, ref)
    if existing is not None:
        raise Conflict(
            f"{ref.platform} account @{existing.handle} is already in the register "
            f"(status: {existing.status}).",
            account_id=existing.id,
        )
    account = _new_account(ref, display_name=data.display_name, purpose=data.purpose)
    account.owner_id = account.requested_by_id = requester.id
    session.add(account)
    session.flush()
    _add_steward_row(session, account, requester)
    audit.record(
        session,
        actor=requester.email,
        action="account.requested",
        subject_type=AUDIT_SUBJECT,
        subject_id=account.id,
        after=account_state(account),
    )
    return account


def get_account(session: Session, account_id: int, *, for_update: bool = False) -> Account:
    query = select(Account).where(Account.id == account_id)
    return first_or_404(session, query, f"No account with id {account_id}.", for_update=for_update)


def list_accounts(
    session: Session,
    *,
    status: AccountStatus | None = None,
    platform: Platform | None = None,
    review: ReviewFilter | None = None,
    flag: Flag | None = None,
) -> list[Account]:
    """The register, filtered; `review` and `flag` keep the official accounts whose standing
    (workflows.stewardship) matches."""
    query = select(Account)
    if status is not None:
        query = query.where(Account.status == status)
    if platform is not None:
        query = query.where(Account.platform == platform)
    if review is not None or flag is not None:
        query = query.where(Account.status == AccountStatus.authorized)
    found = list(session.exec(query.order_by(col(Account.platform), col(Account.handle_key))).all())
    if review is None and flag is None:
        return found
    wanted = REVIEW_MATCHES[review] if review is not None else None
    standings = standings_of(session, found)
    return [
        account
        for account, standing in zip(found, standings, strict=True)
        if (wanted is None or standing.review in wanted)
        and (flag is None or flag in standing.flags)
    ]


def stewardship_policy() -> stewardship.Policy:
    settings = get_settings()
    return stewardship.Policy(
        grace_days=settings.review_grace_days,
        min_stewards=settings.min_stewards,
        dormant_after_days=settings.dormant_after_days,
    )


def active_steward_counts(session: Session, account_ids: Sequence[int]) -> dict[int, int]:
    rows = session.exec(
        select(AccountSteward.account_id)
        .join(User, col(User.id) == AccountSteward.user_id)
        .where(col(AccountSteward.account_id).in_(account_ids), col(User.active).is_(True))
    ).all()
    counts = dict.fromkeys(account_ids, 0)
    for account_id in rows:
        counts[account_id] += 1
    return counts


def standings_of(
    session: Session, accounts: Sequence[Account], now: datetime | None = None
) -> list[Standing]:
    """Each account's review state and warnings, in order; one query however many."""
    counts = active_steward_counts(session, [a.id for a in accounts if a.id is not None])
    policy, now = stewardship_policy(), now or clock.now()
    return [
        stewardship.standing(
            stewardship.Facts(
                status=account.status,
                review_due=account.review_due,
                active_stewards=counts.get(account.id or 0, 0),
                authorized_at=account.authorized_at,
                last_activity_at=account.last_activity_at,
                activity_checked_at=account.activity_checked_at,
            ),
            now,
            policy,
        )
        for account in accounts
    ]


def _details(account: Account) -> dict[str, object]:
    return {
        **account_state(account),
        "purpose": account.purpose,
        "notes": account.notes,
        "owner_id": account.owner_id,
    }


def update_account(session: Session, account_id: int, data: AccountUpdate, actor: User) -> Account:
    account = get_account(session, account_id, for_update=True)
    before = {
        **account_state(account),
        "purpose": account.purpose,
        "notes": account.notes,
        "owner_id": account.owner_id,
    }
    for field in ("display_name", "purpose", "notes"):
        value = getattr(data, field)
        if value is not None:
            setattr(account, field, value.strip())
    if data.owner is not None:
        account.owner_id = users.get_by_email(session, data.owner).id
    account.updated_at = clock.now()
    session.add(account)
    session.flush()
    audit.record(
        session,
        actor=actor.email,
        action="account.updated",
        subject_type=AUDIT_SUBJECT,
        subject_id=account.id,
        before=before,
        after={
            **account_state(account),
            "purpose": account.purpose,
            "notes": account.notes,
            "owner_id": account.owner_id,
        },
    )
    return account


def _apply(account: Account, target: AccountStatus, actor: User | None) -> None:
    now = clock.now()
    if target is AccountStatus.authorized and account.status is AccountStatus.requested:
        account.authorized_by_id = actor.id if actor else None
        account.authorized_at = now
        account.review_due = now + timedelta(days=get_settings().review_period_days)
    account.status = target
    account.updated_at = now


def record_authorization(
    session: Session, account: Account, kind: str, actor: User | None, reason: str
) -> AccountAuthorization:
    """The authorization history: the first authorization and every re-authorization."""
    assert account.id is not None and account.review_due is not None
    row = AccountAuthorization(
        account_id=account.id,
        kind=kind,
        actor_id=actor.id if actor else None,
        at=clock.now(),
        review_due=account.review_due,
        reason=reason.strip(),
    )
    session.add(row)
    session.flush()
    return row


def decide(
    session: Session, account_id: int, action: AccountAction, actor: User, reason: str
) -> Account:
    account = get_account(session, account_id, for_update=True)
    decision = lifecycle.decide(account.status, action, actor.role)
    if isinstance(decision, lifecycle.Refused):
        raise refusal(decision.kind, decision.reason)
    before = account_state(account)
    _apply(account, decision.new_status, actor)
    session.add(account)
    session.flush()
    if action is AccountAction.authorize:
        record_authorization(session, account, "authorized", actor, reason)
    audit.record(
        session,
        actor=actor.email,
        action=f"account.{action}",
        subject_type=AUDIT_SUBJECT,
        subject_id=account.id,
        before=before,
        after={**account_state(account), "reason": reason.strip()},
    )
    return account


def register_official(
    session: Session, *, actor: str, ref: ProfileRef, display_name: str
) -> Account:
    """The superintendent's own declaration (institution import): authorized as it stands."""
    account = find_by_reference(session, ref)
    if account is None:
        account = _new_account(ref, display_name=display_name, purpose="")
        session.add(account)
        session.flush()
    before = account_state(account)
    declared = "declared official in the institution profile"
    if account.status is not AccountStatus.authorized:
        account.status = AccountStatus.requested
        _apply(account, AccountStatus.authorized, actor=None)
        session.add(account)
        session.flush()
        record_authorization(session, account, "authorized", None, declared)
    account.display_name = display_name.strip() or account.display_name
    after = account_state(account)
    if after != before:
        session.add(account)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="account.authorize",
            subject_type=AUDIT_SUBJECT,
            subject_id=account.id,
            before=before,
            after={**after, "reason": declared},
        )
    return account


def _add_steward_row(session: Session, account: Account, user: User) -> None:
    assert account.id is not None and user.id is not None
    session.add(AccountSteward(account_id=account.id, user_id=user.id, added_at=clock.now()))
    session.flush()


def steward_emails(session: Session, account_ids: Sequence[int]) -> dict[int, list[str]]:
    rows = session.exec(
        select(AccountSteward.account_id, User.email)
        .join(User, col(User.id) == AccountSteward.user_id)
        .where(col(AccountSteward.account_id).in_(account_ids))
        .order_by(col(User.email))
    ).all()
    emails: dict[int, list[str]] = {account_id: [] for account_id in account_ids}
    for account_id, email in rows:
        emails[account_id].append(email)
    return emails


def add_steward(session: Session, account_id: int, email: str, actor: User) -> Account:
    account = get_account(session, account_id, for_update=True)
    steward = users.get_by_email(session, email)
    if session.get(AccountSteward, (account_id, steward.id)) is not None:
        raise Conflict(f"{steward.email} already stewards this account.")
    if not steward.active:
        raise Conflict(f"{steward.email} is deactivated and cannot steward an account.")
    _add_steward_row(session, account, steward)
    audit.record(
        session,
        actor=actor.email,
        action="account.steward_added",
        subject_type=AUDIT_SUBJECT,
        subject_id=account_id,
        after={"steward": steward.email},
    )
    return account


def remove_steward(session: Session, account_id: int, email: str, actor: User) -> Account:
    account = get_account(session, account_id, for_update=True)
    steward = users.get_by_email(session, email)
    row = session.get(AccountSteward, (account_id, steward.id))
    if row is None:
        raise NotFound(f"{steward.email} does not steward this account.")
    drop_steward(session, row, steward.email, actor=actor.email)
    return account


def drop_steward(
    session: Session, row: AccountSteward, email: str, *, actor: str, reason: str = ""
) -> None:
    session.delete(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="account.steward_removed",
        subject_type=AUDIT_SUBJECT,
        subject_id=row.account_id,
        before={"steward": email},
        after={"reason": reason} if reason else None,
    )


def to_public(session: Session, accounts: Sequence[Account]) -> list[AccountPublic]:
    """Attach stewards and people's emails; two queries however many accounts."""
    ids = [a.id for a in accounts if a.id is not None]
    stewards = steward_emails(session, ids)
    people_ids = {
        uid for a in accounts for uid in (a.owner_id, a.requested_by_id, a.authorized_by_id) if uid
    }
    emails = dict(
        session.exec(select(User.id, User.email).where(col(User.id).in_(people_ids))).all()
    )
    return [
        AccountPublic.model_validate(
            account,
            update={
                "stewards": stewards.get(account.id or 0, []),
                "owner": emails.get(account.owner_id),
                "requested_by": emails.get(account.requested_by_id),
                "authorized_by": emails.get(account.authorized_by_id),
                "review_state": standing.review,
                "flags": list(standing.flags),
            },
        )
        for account, standing in zip(accounts, standings_of(session, accounts), strict=True)
    ]


@dataclass(frozen=True)
class AccountRecord:
    """What the account page shows: the entry, what happened to it, what may happen next."""

    account: AccountPublic
    history: list[AuditEntry]
    actions: list[AccountAction]
    authorizations: list[AuthorizationPublic]
    may_reauthorize: bool


def available_actions(status: AccountStatus, actor: User) -> list[AccountAction]:
    """The decisions `actor` may take on an account in `status`, as the lifecycle rules them."""
    return [
        action
        for action in AccountAction
        if isinstance(lifecycle.decide(status, action, actor.role), lifecycle.Allowed)
    ]


def history(session: Session, account_id: int, *, limit: int) -> list[AuditEntry]:
    """The account's audit entries, newest first."""
    where = audit.AuditFilter(subject_type=AUDIT_SUBJECT, subject_id=str(account_id))
    return audit.list_entries(session, where, limit=limit, offset=0)


def authorizations(session: Session, account_id: int) -> list[AuthorizationPublic]:
    """Every authorization and re-authorization of the account, newest first."""
    rows = session.exec(
        select(AccountAuthorization, User.email)
        .join(User, col(User.id) == AccountAuthorization.actor_id, isouter=True)
        .where(AccountAuthorization.account_id == account_id)
        .order_by(col(AccountAuthorization.at).desc(), col(AccountAuthorization.id).desc())
    ).all()
    return [AuthorizationPublic.model_validate(row, update={"actor": email}) for row, email in rows]


def account_record(
    session: Session, account_id: int, viewer: User, *, history_limit: int = 50
) -> AccountRecord:
    account = get_account(session, account_id)
    reauthorize = stewardship.may_reauthorize(account.status, viewer.role)
    return AccountRecord(
        account=to_public(session, [account])[0],
        history=history(session, account_id, limit=history_limit),
        actions=available_actions(account.status, viewer),
        authorizations=authorizations(session, account_id),
        may_reauthorize=isinstance(reauthorize, lifecycle.Allowed),
    )


def official_account(session: Session, ref: ProfileRef) -> Account | None:
    account = find_by_reference(session, ref)
    return account if account and account.status is AccountStatus.authorized else None


def directory_entry(account: Account) -> DirectoryEntry:
    return DirectoryEntry.model_validate(account, update={"official_since": account.authorized_at})


def directory(session: Session) -> list[DirectoryEntry]:
    return [directory_entry(a) for a in list_accounts(session, status=AccountStatus.authorized)]
