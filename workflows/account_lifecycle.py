"""Account lifecycle (DESIGN.md): requested → authorized ⇄ suspended → revoked, or rejected.

Only the superintendent moves an account; the policy reserves "official" presence to them.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class AccountStatus(StrEnum):
    requested = "requested"
    authorized = "authorized"
    rejected = "rejected"
    suspended = "suspended"
    revoked = "revoked"


class AccountAction(StrEnum):
    authorize = "authorize"
    reject = "reject"
    suspend = "suspend"
    reinstate = "reinstate"
    revoke = "revoke"


DECIDING_ROLE = "superintendent"

_TRANSITIONS: dict[AccountAction, tuple[frozenset[AccountStatus], AccountStatus]] = {
    AccountAction.authorize: (frozenset({AccountStatus.requested}), AccountStatus.authorized),
    AccountAction.reject: (frozenset({AccountStatus.requested}), AccountStatus.rejected),
    AccountAction.suspend: (frozenset({AccountStatus.authorized}), AccountStatus.suspended),
    AccountAction.reinstate: (frozenset({AccountStatus.suspended}), AccountStatus.authorized),
    AccountAction.revoke: (
        frozenset({AccountStatus.authorized, AccountStatus.suspended}),
        AccountStatus.revoked,
    ),
}


@dataclass(frozen=True)
class Allowed:
    new_status: AccountStatus


@dataclass(frozen=True)
class Refused:
    kind: Literal["forbidden", "conflict"]
    reason: str


def decide(status: AccountStatus, action: AccountAction, actor_role: str) -> Allowed | Refused:
    if actor_role != DECIDING_ROLE:
        return Refused(
            "forbidden",
            f"Only the superintendent may {action} an account (policy: Official Use).",
        )
    sources, target = _TRANSITIONS[action]
    if status not in sources:
        allowed_from = " or ".join(sorted(sources))
        return Refused(
            "conflict", f"Cannot {action} an account that is {status}; it must be {allowed_from}."
        )
    return Allowed(target)
