"""One settings object, read from the environment once.

Durations arrive in milliseconds (the seed's convention) and are exposed as `timedelta`.
A bad value raises `ConfigError` naming the variable; the CLI turns that into exit code 2.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from canvas.errors import ConfigError

# Fixed, not a setting. Here (not in canvas.accounts, which uses it) so retention can read it too.
OAUTH_STATE_TTL_S = 15 * 60  # Canvas's codes live 10 minutes; allow a slow sign-in at the school's IdP


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore", populate_by_name=True)

    database_url: str | None = Field(default=None, validation_alias=_env("DATABASE_URL"))
    data_dir: Path = Field(default=Path(".data"), validation_alias=_env("CANVAS_DATA_DIR"))
    sync_interval_ms: int = Field(default=7_200_000, gt=0, validation_alias=_env("CANVAS_SYNC_INTERVAL"))
    sync_batch_size: int = Field(default=3, ge=1, le=100, validation_alias=_env("CANVAS_SYNC_BATCH_SIZE"))
    sync_max_retries: int = Field(default=3, ge=1, le=20, validation_alias=_env("CANVAS_SYNC_MAX_RETRIES"))
    sync_stale_after_ms: int = Field(
        default=3_600_000, gt=0, validation_alias=_env("CANVAS_SYNC_STALE_AFTER")
    )
    allowed_hosts: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), validation_alias=_env("CANVAS_ALLOWED_HOSTS")
    )
    canvas_token: SecretStr | None = Field(default=None, validation_alias=_env("CANVAS_TOKEN"))
    request_timeout_s: float = Field(default=30.0, gt=0, validation_alias=_env("CANVAS_REQUEST_TIMEOUT"))
    # Canvas pre-charges 50 units per in-flight request against a 600 high-water mark: 3 is safe.
    max_in_flight: int = Field(default=3, ge=1, le=8, validation_alias=_env("CANVAS_MAX_IN_FLIGHT"))
    # A worker that stops renewing for this long loses the user to another worker.
    lease_seconds: float = Field(default=60.0, ge=1, le=3600, validation_alias=_env("CANVAS_SYNC_LEASE_SECONDS"))
    # A whole sync (every request, retries included) ends within this; a hung Canvas fails the run
    # here instead of holding "Syncing" for minutes (a student's sync takes a few seconds).
    sync_deadline_s: float = Field(default=45.0, ge=1, le=3600, validation_alias=_env("CANVAS_SYNC_DEADLINE_SECONDS"))
    retry_backoff_ms: int = Field(default=1000, ge=0, le=60_000, validation_alias=_env("CANVAS_RETRY_BACKOFF_MS"))
    min_request_interval_ms: int = Field(default=0, ge=0, le=10_000,
                                         validation_alias=_env("CANVAS_MIN_REQUEST_INTERVAL_MS"))
    # A school's budget toward its Canvas: requests per second per Canvas host, summed over every
    # worker replica (shared through PostgreSQL; canvas.db.budget). Off (None) for personal use.
    host_max_rps: float | None = Field(default=None, gt=0, le=10_000, validation_alias=_env("CANVAS_HOST_MAX_RPS"))
    # Permits taken per database round trip; 1 is exact, more saves round trips on big fleets.
    host_permit_batch: int = Field(default=1, ge=1, le=50, validation_alias=_env("CANVAS_HOST_PERMIT_BATCH"))
    # The demo's simulated Canvas listens here (0: any free port) so demo accounts survive restarts.
    demo_port: int = Field(default=8765, ge=0, le=65535, validation_alias=_env("CANVAS_DEMO_PORT"))
    dashboard_mode: Literal["personal", "shared"] = Field(
        default="personal", validation_alias=_env("CANVAS_DASHBOARD_MODE")
    )
    key_file: Path | None = Field(default=None, validation_alias=_env("CANVAS_KEY_FILE"))
    # Shared mode: the Canvas developer key (OAuth2 authorization-code flow) and whether students may
    # paste personal access tokens instead (Canvas's terms require OAuth for apps used by many people).
    oauth_client_id: str | None = Field(default=None, validation_alias=_env("CANVAS_OAUTH_CLIENT_ID"))
    oauth_client_secret: SecretStr | None = Field(default=None,
                                                  validation_alias=_env("CANVAS_OAUTH_CLIENT_SECRET"))
    oauth_redirect_uri: str | None = Field(default=None, validation_alias=_env("CANVAS_OAUTH_REDIRECT_URI"))
    allow_pasted_tokens: bool = Field(default=False, validation_alias=_env("CANVAS_ALLOW_PASTED_TOKENS"))
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", validation_alias=_env("CANVAS_LOG_LEVEL")
    )
    # Retention (canvas.db.retention, run hourly by the worker): how much history the database keeps.
    # Sync runs past the window go, except each user's last few and latest successful ones.
    retain_sync_runs_days: int = Field(default=14, ge=1, le=3650, validation_alias=_env("CANVAS_RETAIN_SYNC_RUNS_DAYS"))
    retain_sync_runs_per_user: int = Field(default=20, ge=1, le=10_000,
                                           validation_alias=_env("CANVAS_RETAIN_SYNC_RUNS_PER_USER"))
    # Score snapshots: every change inside the first window, then the last one of each (UTC) day, and
    # past the second window only each course's latest (the next sync compares against it).
    retain_score_changes_days: int = Field(default=14, ge=1, le=3650,
                                           validation_alias=_env("CANVAS_RETAIN_SCORE_CHANGES_DAYS"))
    retain_score_history_days: int = Field(default=400, ge=1, le=36_500,
                                           validation_alias=_env("CANVAS_RETAIN_SCORE_HISTORY_DAYS"))
    # Notifications (canvas.notify): change events kept this long; sent/failed outbox rows this long (longer
    # than the longest reminder lead time, 14 days, so a reminder is never queued twice).
    retain_changes_days: int = Field(default=90, ge=1, le=3650, validation_alias=_env("CANVAS_RETAIN_CHANGES_DAYS"))
    retain_notifications_days: int = Field(default=30, ge=15, le=3650,
                                           validation_alias=_env("CANVAS_RETAIN_NOTIFICATIONS_DAYS"))
    # A sender holds a message this long; Apprise's call is bounded well below it (notify_timeout_s).
    notify_lease_seconds: float = Field(default=60.0, ge=2, le=3600,
                                        validation_alias=_env("CANVAS_NOTIFY_LEASE_SECONDS"))
    notify_max_attempts: int = Field(default=5, ge=1, le=20, validation_alias=_env("CANVAS_NOTIFY_MAX_ATTEMPTS"))
    # First retry after this long, then doubling (capped at 1 h).
    notify_retry_base_ms: int = Field(default=30_000, ge=0, le=3_600_000,
                                      validation_alias=_env("CANVAS_NOTIFY_RETRY_BASE_MS"))
    notify_poll_ms: int = Field(default=2000, ge=50, le=60_000, validation_alias=_env("CANVAS_NOTIFY_POLL_MS"))

    @property
    def notify_timeout_s(self) -> float:
        """Apprise's whole-call bound: a third of the lease, so a live sender never loses its message."""
        return max(1.0, min(20.0, self.notify_lease_seconds / 3))

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(h.strip().lower() for h in value.split(",") if h.strip())
        return value

    @field_validator("database_url")
    @classmethod
    def _psycopg_driver(cls, value: str | None) -> str | None:
        # SQLAlchemy needs the driver named; accept the common spellings operators paste.
        if value is None:
            return None
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix):]
        if not value.startswith("postgresql+psycopg://"):
            raise ValueError("must be a postgresql:// URL (PostgreSQL is the only database)")
        return value

    @field_validator("retain_score_history_days")
    @classmethod
    def _history_covers_changes(cls, value: int, info: ValidationInfo) -> int:
        changes = info.data.get("retain_score_changes_days")
        if changes is not None and value < changes:
            raise ValueError(f"must be at least CANVAS_RETAIN_SCORE_CHANGES_DAYS ({changes})")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @property
    def sync_interval(self) -> timedelta:
        return timedelta(milliseconds=self.sync_interval_ms)

    @property
    def stale_after(self) -> timedelta:
        return timedelta(milliseconds=self.sync_stale_after_ms)


_ALIASES = {
    name: str(field.validation_alias.choices[0])  # type: ignore[union-attr]
    for name, field in Settings.model_fields.items()
}


def load_settings(**overrides: Any) -> Settings:
    """Build settings from the environment (plus overrides), or raise ConfigError naming the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "?"
        var = _ALIASES.get(field, field)
        raise ConfigError(f"{var}: {err['msg']}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, loaded once."""
    return load_settings()
