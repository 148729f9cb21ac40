"""OpenID Connect sign-in: authorization code flow with PKCE, against any standard issuer.

The issuer only proves who someone is; whether they may use Imprimatur is decided here, from
the user register. The ID token's `email` claim is the link between the two, so a token
without one (or with `email_verified: false`) gets no one in.
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx2
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client.errors import MismatchingStateError
from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App
from joserfc.errors import JoseError as IdTokenError
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse

from service.auth import service as auth
from service.errors import DomainError, Forbidden, NotFound, Unauthenticated
from service.settings import Settings, get_settings
from service.users import service as users
from service.users.models import Role, User

CLIENT_NAME = "oidc"
CALLBACK_PATH = "/auth/callback"
NEXT_KEY = "next"
OIDC_ACTOR = "oidc"
MAX_NEXT_LENGTH = 2000
NAME_MAX_LENGTH = 200
_STATE_ATTRIBUTE = "oidc_client"


class IssuerUnavailable(DomainError):
    """The identity provider could not be reached: our side is fine, theirs is not."""

    status_code = 502
    code = "issuer_unavailable"


@dataclass(frozen=True)
class Identity:
    email: str
    name: str


def _client_key(settings: Settings) -> tuple[str | None, ...]:
    return (
        settings.oidc_issuer,
        settings.oidc_client_id,
        settings.oidc_client_secret,
        settings.oidc_scopes,
    )


def build_client(settings: Settings) -> StarletteOAuth2App:
    """A fresh client; it caches the issuer's metadata and keys, so keep one per app."""
    if not settings.oidc_enabled:
        raise NotFound(
            "Sign-in is not configured: set IMPRIMATUR_OIDC_ISSUER, IMPRIMATUR_OIDC_CLIENT_ID "
            "and IMPRIMATUR_OIDC_CLIENT_SECRET."
        )
    assert settings.oidc_issuer is not None
    oauth = OAuth()
    return oauth.register(
        CLIENT_NAME,
        server_metadata_url=settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        client_kwargs={"scope": settings.oidc_scopes, "code_challenge_method": "S256"},
    )


def client_for(app: Any, settings: Settings) -> StarletteOAuth2App:
    """The app's client, rebuilt when the OIDC settings change (tests, reconfiguration)."""
    key = _client_key(settings)
    cached: tuple[tuple[str | None, ...], StarletteOAuth2App] | None = getattr(
        app.state, _STATE_ATTRIBUTE, None
    )
    if cached is not None and cached[0] == key:
        return cached[1]
    client = build_client(settings)
    setattr(app.state, _STATE_ATTRIBUTE, (key, client))
    return client


def safe_next(candidate: str | None) -> str:
    """Only a path on this site: anything else would make /login an open redirect."""
    if not candidate or len(candidate) > MAX_NEXT_LENGTH:
        return "/"
    if not candidate.startswith("/") or candidate.startswith("//") or "\\" in candidate:
        return "/"
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in candidate):
        return "/"
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc:
        return "/"
    return candidate


def callback_url(settings: Settings) -> str:
    return settings.base_url.rstrip("/") + CALLBACK_PATH


async def _load_metadata(client: StarletteOAuth2App) -> dict[str, Any]:
    try:
        metadata: dict[str, Any] = await client.load_server_metadata()
    except (httpx2.HTTPError, ValueError) as error:
        raise IssuerUnavailable(
            f"The identity provider did not answer ({type(error).__name__}); try again later."
        ) from error
    return metadata


def _refuse_templated_issuer(metadata: dict[str, Any]) -> None:
    """Entra ID's /common and /organizations issuers accept any tenant's accounts, whose email
    claims those tenants' admins can set at will: that would let outsiders in as anyone."""
    if "{" in str(metadata.get("issuer", "")):
        raise NotFound(
            "Sign-in is misconfigured: IMPRIMATUR_OIDC_ISSUER is a multi-tenant endpoint; use "
            "your tenant's own issuer (https://login.microsoftonline.com/<tenant-id>/v2.0)."
        )


async def redirect_to_issuer(
    client: StarletteOAuth2App, request: Request, settings: Settings, next_path: str | None
) -> RedirectResponse:
    """Remember where to go afterwards, then hand the browser to the issuer."""
    _refuse_templated_issuer(await _load_metadata(client))
    request.session[NEXT_KEY] = safe_next(next_path)
    try:
        response: RedirectResponse = await client.authorize_redirect(
            request, callback_url(settings)
        )
    except httpx2.HTTPError as error:
        raise IssuerUnavailable("The identity provider did not answer; try again later.") from error
    return response


def _refusal(error: Exception) -> Unauthenticated:
    if isinstance(error, MismatchingStateError):
        return Unauthenticated(
            "This sign-in attempt is unknown, expired or already used; start again at /login."
        )
    reason = getattr(error, "error", None) or type(error).__name__
    return Unauthenticated(
        "The identity provider did not confirm the sign-in; start again at /login.",
        reason=str(reason),
    )


async def exchange_code(client: StarletteOAuth2App, request: Request) -> dict[str, Any]:
    """The verified ID token claims; every way this can fail is the caller's 401, not our 500."""
    try:
        token: dict[str, Any] = await client.authorize_access_token(request)
    except (AuthlibBaseError, IdTokenError) as error:
        raise _refusal(error) from error
    except httpx2.HTTPError as error:
        raise IssuerUnavailable("The identity provider did not answer; try again later.") from error
    userinfo = token.get("userinfo")
    if not isinstance(userinfo, dict):
        raise Unauthenticated(
            "The identity provider returned no ID token; the 'openid' scope must be requested."
        )
    return userinfo


def identity_from_claims(claims: dict[str, Any]) -> Identity:
    """The email is what links the issuer's account to ours, so it must be present and trusted."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise Unauthenticated(
            "The identity provider did not share an email address; it must release the "
            "'email' claim in the ID token."
        )
    if claims.get("email_verified") in (False, "false"):
        raise Unauthenticated(f"The identity provider has not verified {email}.")
    name = claims.get("name")
    return Identity(
        email=users.normalize_email(email),
        name=name[:NAME_MAX_LENGTH] if isinstance(name, str) else "",
    )


def _in_staff_domain(email: str, staff_domain: str | None) -> bool:
    if not staff_domain:
        return False
    domain = email.rpartition("@")[2]
    return domain.lower() == staff_domain.strip().lstrip("@").lower()


def _not_provisioned(email: str) -> Forbidden:
    return Forbidden(f"{email} is not provisioned in Imprimatur; ask the superintendent.")


def sign_in(session: Session, email: str, name: str) -> User:
    """Only people in the register get in; the staff domain, if set, is registered on sight."""
    user = users.find_by_email(session, email)
    if user is None:
        if not _in_staff_domain(email, get_settings().oidc_staff_domain):
            raise _not_provisioned(users.normalize_email(email))
        return users.add_user(session, actor=OIDC_ACTOR, email=email, role=Role.staff, name=name)
    if not user.active:
        raise Forbidden(f"{user.email} is deactivated in Imprimatur; ask the superintendent.")
    return user


def complete_sign_in(request: Request, session: Session, identity: Identity, days: int) -> str:
    """Start a fresh server-side session (ending any earlier one); returns where to go next."""
    user = sign_in(session, identity.email, identity.name)
    destination = safe_next(request.session.get(NEXT_KEY))
    auth.switch_web_session(session, request.session, user, days=days)
    return destination
