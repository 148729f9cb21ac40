"""One typed settings class: every knob is an `IMPRIMATUR_*` variable or a `.env` line."""

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-only-secret-change-me"  # noqa: S105 - refused in production  # nosec B105
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IMPRIMATUR_", env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = "development"
    database_url: str = "sqlite:///./var/imprimatur.db"
    # Connections a process keeps open, and may open beyond that under load (PostgreSQL). Their
    # sum bounds the requests and jobs in the database at once; keep it, times the processes,
    # under the server's max_connections.
    database_pool_size: int = Field(default=5, ge=1)
    database_max_overflow: int = Field(default=10, ge=0)
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
    review_grace_days: int = Field(default=30, ge=0, description="Overdue beyond this: flagged.")
    min_stewards: int = Field(default=2, ge=1)
    dormant_after_days: int = Field(default=180, ge=1)
    dormancy_interval_seconds: float = Field(default=86400, gt=0)
    escalate_after_hours: float = Field(default=72, gt=0)
    approval_valid_days_after_schedule: int = Field(default=7, ge=1)
    approval_valid_days_unscheduled: int = Field(default=30, ge=1)
    approval_check_interval_seconds: float = Field(default=900, gt=0)
    # Public reports per client address, "N/seconds"; screenshots up to this size.
    report_rate_limit: str = Field(default="5/3600", pattern=r"^\d+/\d+$")
    report_max_screenshot_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    session_days: int = Field(default=7, ge=1)

    smtp_host: str | None = None  # no host: mail stays queued in the outbox, nothing is sent
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    mail_from: str = "imprimatur@localhost"

    student_number_pattern: str | None = Field(
        default=None, description="Regex of the institution's student ids, blocked in posts."
    )
    public_phone_numbers: list[str] = Field(
        default_factory=list, description="The institution's own public numbers, allowed in posts."
    )
    max_upload_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Largest request body that is not an upload (JSON, forms); larger is 413.",
    )

    credential_keys: SecretStr | None = Field(
        default=None,
        description="Comma-separated Fernet keys; the first encrypts, all decrypt (rotation).",
    )
    publish_lease_seconds: float = Field(default=600, gt=0)

    jobs_backend: Literal["embedded", "celery"] = "embedded"
    redis_url: str = "redis://127.0.0.1:6379/0"
    celery_queue: str = "imprimatur"
    celery_visibility_timeout: int = Field(default=3600, ge=1)
    # A Celery worker serves its own /metrics here (jobs run there, not in the api).
    worker_metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # Requests per platform and credential, "N/seconds", shared by every worker.
    rate_limits: dict[str, str] = Field(
        default_factory=lambda: {
            "x": "300/900",
            "facebook": "200/3600",
            "instagram": "200/3600",
            "simulated": "1000/1",
            "default": "100/900",
        }
    )
    publish_interval_seconds: float = Field(default=30, gt=0)
    mail_interval_seconds: float = Field(default=60, gt=0)
    reminder_interval_seconds: float = Field(default=3600, gt=0)
    # How often to look for platforms due a scan (each is scanned every scan_interval_minutes).
    scan_check_interval_seconds: float = Field(default=60, gt=0)

    @model_validator(mode="after")
    def _refuse_development_secret_in_production(self) -> "Settings":
        if self.environment == "production" and (
            self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key) < MIN_SECRET_LENGTH
        ):
            raise ValueError(
                f"IMPRIMATUR_SECRET_KEY must be set in production, at least "
                f"{MIN_SECRET_LENGTH} characters"
            )
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

    # --- platform connectors ---
    x_bearer_token: SecretStr | None = None
    x_consumer_key: str | None = None
    x_consumer_secret: SecretStr | None = None
    meta_app_id: str | None = None
    meta_app_secret: SecretStr | None = None
    meta_app_token: SecretStr | None = Field(
        default=None, description="Graph API token for reads; default: app id|app secret."
    )
    meta_graph_version: str = Field(default="v25.0", pattern=r"^v?\d+\.\d+$")
    instagram_business_account_id: str | None = None
    simulated_profiles_path: Path | None = None
    simulated_published_path: Path | None = Path("./var/simulated-published.jsonl")
    simulated_latency_seconds: float = Field(default=0, ge=0, le=60)
    connector_timeout_seconds: float = Field(default=20, gt=0)

    # --- impersonation scans ---
    scan_call_budget: int = Field(
        default=200, ge=1, description="Platform API calls one scan run may make at most."
    )
    scan_interval_minutes: int = Field(default=360, ge=1)
    lookalike_cap: int = Field(
        default=250, ge=0, le=5000, description="Lookalike handles generated per official handle."
    )
    finding_notify_threshold: float = Field(
        default=0.6,
        ge=0,
        le=1,
        description="New or reopened findings scoring at least this go into the run's digest.",
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
