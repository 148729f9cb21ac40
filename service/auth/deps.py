"""Who is calling, and whether their role may call this route.

Every route declares its access with exactly one of `require(...)` or `PUBLIC`; the
route-table test fails for a route that declares neither. The declared roles are kept on the
dependency function (`ACCESS_ATTRIBUTE`) so the test can read them back.
"""

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import Depends, Request
from sqlmodel import Session

from service.auth import service as auth
from service.auth.service import SESSION_KEY
from service.db import DbSession
from service.errors import Forbidden, Unauthenticated
from service.users.models import Role, User

ACCESS_ATTRIBUTE = "imprimatur_access"
PUBLIC_ACCESS: frozenset[Role] = frozenset()


def _bearer_secret(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated("Use 'Authorization: Bearer <token>'.")
    return secret.strip()


VIEWER_STATE = "viewer"


def _caller(request: Request, session: Session) -> User | None:
    secret = _bearer_secret(request)
    if secret is not None:
        user = auth.user_for_token(session, secret)
        if user is None:
            raise Unauthenticated("The token is invalid, expired or revoked.")
        return user
    session_secret = request.session.get(SESSION_KEY)
    if isinstance(session_secret, str):
        return auth.user_for_web_session(session, session_secret)
    return None


def signed_in_user(request: Request, session: DbSession) -> User | None:
    """The caller, from a bearer token or else the web session; a bad token is an error.

    A detached copy stays on the request so an error page, rendered after the transaction
    has rolled back, still shows who is signed in."""
    user = _caller(request, session)
    if user is not None:
        setattr(request.state, VIEWER_STATE, User.model_validate(user.model_dump()))
    return user


def _declare(dependency: Callable[..., Any], roles: frozenset[Role]) -> None:
    setattr(dependency, ACCESS_ATTRIBUTE, roles)


def require(*roles: Role | Iterable[Role]) -> Callable[[Request, Session], User]:
    """A dependency that yields the caller if their role is one of `roles` (401/403 otherwise).

    Use it as `Annotated[User, Depends(require(...))]`, one named alias per permission.
    """
    allowed = frozenset(
        role for group in roles for role in ([group] if isinstance(group, Role) else group)
    )

    def caller_with_role(request: Request, session: DbSession) -> User:
        user = signed_in_user(request, session)
        if user is None:
            raise Unauthenticated("Sign in or send a bearer token.")
        if user.role not in allowed:
            needed = ", ".join(sorted(allowed))
            raise Forbidden(f"This needs the role {needed}; you are {user.role}.")
        return user

    _declare(caller_with_role, allowed)
    return caller_with_role


async def _anyone() -> None:
    """Open to the public, on purpose. Async, so that it costs the public routes (which take
    anonymous traffic) no trip through the thread pool."""


_declare(_anyone, PUBLIC_ACCESS)
PUBLIC = Depends(_anyone)


def access_of(dependency: Callable[..., Any]) -> frozenset[Role] | None:
    declared: frozenset[Role] | None = getattr(dependency, ACCESS_ATTRIBUTE, None)
    return declared
