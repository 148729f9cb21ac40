"""One typed settings class: every knob is an `IMPRIMATUR_*` variable or a `.env` line."""

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-only-secret-change-me"  # noqa: S105 - refused in production


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IMPRIMATUR_", env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = "development"
    database_url: str = "sqlite:///./var/imprimatur.db"
    media_dir: Path = Path("./var/media")
    base_url: str = "http://127.0.0.1:8000"
    secret_key: str = DEVELOPMENT_SECRET
    demo: bool = False

    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_scopes: str = "openid email profile"
    oidc_staff_domain: str | None = Field(
        default=None,
        description="Users signing in with an email of this domain are provisioned as staff.",
    )

    review_period_days: int = Field(default=365, ge=1)
    session_days: int = Field(default=7, ge=1)

    @model_validator(mode="after")
    def _refuse_development_secret_in_production(self) -> "Settings":
        if self.environment == "production" and self.secret_key == DEVELOPMENT_SECRET:
            raise ValueError("IMPRIMATUR_SECRET_KEY must be set in production")
        return self

    @property
    def sqlalchemy_url(self) -> str:
        """psycopg 3 is the PostgreSQL driver; accept the plain `postgresql://` spelling too."""
        for prefix in ("postgresql://", "postgres://"):
            if self.database_url.startswith(prefix):
                return "postgresql+psycopg://" + self.database_url.removeprefix(prefix)
        return self.database_url

    @property
    def secure_cookies(self) -> bool:
        """Cookies are Secure everywhere except a plain-HTTP localhost (the demo, tests)."""
        host = urlsplit(self.base_url).hostname or ""
        return host not in {"localhost", "127.0.0.1", "::1", "testserver"}

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)


@lru_cache
def get_settings() -> Settings:
    return Settings()
