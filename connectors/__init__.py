"""Platform connectors: the only code that talks to social platforms.

    from connectors import get, Credentials, PublishRequest, RateLimited
    x = get("x")
    profiles = x.lookup_handles(["mntc_official", "mntc0fficial"])
    print(x.api_calls)

Errors are `ConnectorError` subclasses: `AuthError`, `RateLimited(retry_at, partial)`,
`NotFound`, `PermissionMissing(feature)`, `PlatformError(status, retryable)` and
`ConnectorNotConfigured`. Connectors never sleep or retry; the caller decides.
"""

from connectors.base import (
    AuthError,
    Connector,
    ConnectorError,
    ConnectorNotConfigured,
    Credentials,
    MediaFile,
    NotFound,
    PermissionMissing,
    PlatformError,
    Profile,
    Published,
    PublishRequest,
    RateLimited,
)
from connectors.registry import FACTORIES, configured, get

__all__ = [
    "FACTORIES",
    "AuthError",
    "Connector",
    "ConnectorError",
    "ConnectorNotConfigured",
    "Credentials",
    "MediaFile",
    "NotFound",
    "PermissionMissing",
    "PlatformError",
    "Profile",
    "PublishRequest",
    "Published",
    "RateLimited",
    "configured",
    "get",
]
