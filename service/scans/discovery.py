"""What a scan searches for, from the database: the institution as scoring sees it, the
register (never reported), and the plan of API calls, one step per call.

The plan is deterministic (same institution and register, same steps in the same order) and
each step has a stable key, so a continued run skips the steps it already made.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

from sqlmodel import Session, col, select

from connectors import Profile
from service import media
from service.accounts.models import Account
from service.institution.models import Institution
from service.settings import get_settings
from workflows.account_lifecycle import AccountStatus
from workflows.impersonation import (
    FingerprintCache,
    ImageFingerprint,
    InstitutionProfile,
    OfficialAccount,
)
from workflows.lookalikes import discovery_plan
from workflows.platforms import Platform
from workflows.profile_urls import handle_key

# In the register, so never reported: authorized, suspended, and requested (already on its way
# to the superintendent). Rejected and revoked accounts are fair game again.
REGISTERED = (AccountStatus.authorized, AccountStatus.suspended, AccountStatus.requested)


@dataclass(frozen=True)
class Step:
    kind: Literal["query", "lookup"]
    key: str
    query: str = ""
    handles: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        if self.kind == "query":
            return f'search "{self.query}"'
        return f"look up {len(self.handles)} handles"


@dataclass(frozen=True)
class Register:
    """The register as exclusions: (platform, handle key) and (platform, platform id)."""

    handles: frozenset[tuple[Platform, str]]
    ids: frozenset[tuple[Platform, str]]

    def holds(self, profile: Profile) -> bool:
        key = (profile.platform, handle_key(profile.platform, profile.handle))
        return key in self.handles or (profile.platform, profile.platform_id) in self.ids


def register(session: Session) -> Register:
    rows = session.exec(select(Account).where(col(Account.status).in_(list(REGISTERED)))).all()
    return Register(
        frozenset((a.platform, a.handle_key) for a in rows),
        frozenset((a.platform, a.platform_account_id) for a in rows if a.platform_account_id),
    )


def institution_profile(
    session: Session, cache: FingerprintCache
) -> tuple[InstitutionProfile, list[str]] | None:
    """The institution with its logos fingerprinted and its authorized accounts; and the names
    a bio may claim (name, aliases, domains). None before any institution profile exists."""
    institution = session.get(Institution, 1)
    if institution is None:
        return None
    logos: list[ImageFingerprint] = []
    for logo in institution.logos:
        try:
            found = cache.fingerprint(media.read_stored(str(logo.get("path", ""))))
        except OSError:
            continue
        if found is not None:
            logos.append(found)
    authorized = session.exec(
        select(Account)
        .where(Account.status == AccountStatus.authorized)
        .order_by(col(Account.platform), col(Account.handle_key))
    ).all()
    profile = InstitutionProfile(
        name=institution.name,
        aliases=tuple(institution.aliases),
        domains=tuple(institution.domains),
        location=institution.location,
        campuses=tuple(institution.campuses),
        departments=tuple(institution.departments),
        logos=tuple(logos),
        official_accounts=tuple(
            OfficialAccount(a.platform, a.handle, a.display_name) for a in authorized
        ),
    )
    return profile, [institution.name, *institution.aliases, *institution.domains]


def with_account_image(
    institution: InstitutionProfile, profile: Profile, image: ImageFingerprint
) -> InstitutionProfile:
    """A registered account met by the scan lends its avatar: a copy of it is evidence too."""
    key = handle_key(profile.platform, profile.handle)
    accounts = tuple(
        replace(a, image=image) if (a.platform, a.key) == (profile.platform, key) else a
        for a in institution.official_accounts
    )
    return replace(institution, official_accounts=accounts)


def _batch_key(handles: Iterable[str]) -> str:
    joined = "\n".join(h.casefold() for h in handles)
    return "lookup:" + hashlib.sha256(joined.encode()).hexdigest()[:24]


def plan_steps(
    institution: InstitutionProfile, platform: Platform | None, batch_size: int
) -> list[Step]:
    """Keyword searches first (they also meet the official accounts, whose avatars then count
    as references), then lookalike handles in the connector's largest batches.

    `platform` None is a connector serving every platform (the simulated one): the plan covers
    every platform of the register.
    """
    platforms = (
        [platform]
        if platform is not None
        else sorted({a.platform for a in institution.official_accounts})
    )
    plans = discovery_plan(institution, platforms, cap=get_settings().lookalike_cap)
    queries: dict[str, str] = {}
    handles: dict[str, str] = {}
    for plan in plans.values():
        for query in plan.queries:
            queries.setdefault(query.casefold(), query)
        for handle in (*plan.official_elsewhere, *(v.handle for v in plan.lookalikes)):
            handles.setdefault(handle.casefold(), handle)
    steps = [Step("query", f"query:{key}", query=q) for key, q in queries.items()]
    listed = list(handles.values())
    size = max(batch_size, 1)
    # A lookup call costs the same half full: top the last batch up with the plans' fillers.
    fillers = {
        f.handle.casefold(): f.handle
        for plan in plans.values()
        for f in plan.fillers
        if f.handle.casefold() not in handles
    }
    listed += list(fillers.values())[: -len(listed) % size]
    for start in range(0, len(listed), size):
        batch = tuple(listed[start : start + size])
        steps.append(Step("lookup", _batch_key(batch), handles=batch))
    return steps
