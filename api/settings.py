"""Settings read from the environment, so secrets never live in the repository."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.secret_files import fill_from_files

REPO_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str) -> AliasChoices:
    """Accept `NAME` and `QD_NAME` from the environment, and the field name in code."""
    return AliasChoices(name, f"QD_{name}", name.lower())


class Settings(BaseSettings):
    """Every knob of the gateway and case service; see docs/architecture.md for the table."""

    model_config = SettingsConfigDict(env_prefix="QD_", extra="ignore", populate_by_name=True)

    # production: the gateway and every key CLI refuse development keys and key files kept
    # under the data directory or beside the database (api/crypto/production.py).
    env: Literal["development", "production"] = "development"
    var_dir: Path = REPO_ROOT / "var"
    database_url: str | None = None
    master_keys: SecretStr = SecretStr("")
    hash_key: SecretStr = SecretStr("")
    service_token: SecretStr = SecretStr("")
    rasa_token: SecretStr = SecretStr("")
    # Any secret may be given as a file instead (Docker's *_FILE convention; api/secret_files.py).
    master_keys_file: Path | None = None
    hash_key_file: Path | None = None
    service_token_file: Path | None = None
    rasa_token_file: Path | None = None
    smtp_password_file: Path | None = None
    # Backups (api/backup): the server seals them to the public half; the secret half (or a
    # file holding it) is given only to restore and is otherwise kept off the server.
    backup_public_key: str = ""
    backup_key: SecretStr = SecretStr("")
    backup_key_file: Path | None = None
    org: str = "stonewater"
    org_dir: Path = REPO_ROOT / "orgs"
    # One Rasa address, or several separated by commas (QD_RASA_URLS: the workers; the gateway
    # routes each sender to one of them). QD_RASA_URLS wins over QD_RASA_URL.
    rasa_url: str = Field(
        default="http://127.0.0.1:5005",
        validation_alias=AliasChoices("QD_RASA_URLS", "QD_RASA_URL", "rasa_url"),
    )
    actions_url: str = "http://127.0.0.1:5055"
    # The private listener (loopback) that alone serves /internal/*; None: one listener serves
    # all (api/internal_listener.py). `make run` sets it (ops/gateway.py).
    internal_port: int | None = Field(default=None, gt=0, lt=65536)
    # Addresses of the reverse proxy whose X-Forwarded-For/-Proto the gateway believes, comma-
    # separated; empty: none, each request's address is its connection's (ops/gateway.py).
    forwarded_allow_ips: str = ""
    rasa_timeout_seconds: float = 20.0
    session_idle_minutes: int = 30
    # The web chat clears itself after this long without a key press, click or reply (a warning
    # comes a minute before), so an unattended screen does not keep a disclosure.
    chat_idle_seconds: int = Field(default=300, gt=60)
    # The web chat waits this long for Rasa; then a holding reply with 999 and the helpline
    # answers, and Rasa's reply reaches the page later (channels/web/pending.py).
    chat_wait_seconds: float = Field(default=4.0, gt=0)
    # Web chat limits (channels/web/limits.py, counted per gateway process), far above what a
    # person in crisis sends; quick exit and danger words are never limited. Web reports from
    # one address in a UTC day past the last number are stored but page nobody, and are marked
    # for review in the triage queue.
    web_chat_messages_per_minute_per_sender: int = Field(default=30, gt=0)
    web_chat_messages_per_minute_per_address: int = Field(default=120, gt=0)
    web_chat_new_conversations_per_hour_per_address: int = Field(default=20, gt=0)
    web_chat_reports_per_day_per_address: int = Field(default=5, gt=0)
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    # starttls, tls (implicit, usually port 465) or none (a loopback relay only); unset: none to
    # a loopback relay, else starttls. QD_SMTP_STARTTLS is the older spelling (true: starttls,
    # false: none). Certificates and host names are always checked, against the system's CAs
    # or only QD_SMTP_CA_FILE's (a private relay).
    smtp_tls: Literal["starttls", "tls", "none"] | None = None
    smtp_starttls: bool | None = None
    smtp_ca_file: Path | None = None
    smtp_from: str = "quietdoor@localhost"
    alert_emails: str = ""
    outbox_poll_seconds: float = Field(default=5.0, gt=0)
    outbox_retry_base_seconds: float = Field(default=30.0, gt=0)
    outbox_retry_max_seconds: float = Field(default=3600.0, gt=0)
    smtp_timeout_seconds: float = Field(default=15.0, gt=0)
    staff_base_url: str = "http://127.0.0.1:8000"
    staff_session_idle_minutes: int = Field(default=30, gt=0)
    staff_session_absolute_hours: int = Field(default=12, gt=0)
    acknowledge_within_minutes: int = Field(default=120, gt=0)

    # Messaging channels. The names without QD_ are the ones Twilio's and Telegram's own guides
    # use; either spelling works. A channel whose settings are missing is off (see `channels/`).
    public_base_url: str | None = Field(default=None, validation_alias=_env("PUBLIC_BASE_URL"))
    twilio_account_sid: str | None = Field(
        default=None, validation_alias=_env("TWILIO_ACCOUNT_SID")
    )
    twilio_auth_token: SecretStr | None = Field(
        default=None, validation_alias=_env("TWILIO_AUTH_TOKEN")
    )
    twilio_auth_token_file: Path | None = Field(
        default=None, validation_alias=_env("TWILIO_AUTH_TOKEN_FILE")
    )
    twilio_from_number: str | None = Field(
        default=None, validation_alias=_env("TWILIO_FROM_NUMBER")
    )
    twilio_api_base_url: str | None = Field(
        default=None, validation_alias=_env("TWILIO_API_BASE_URL")
    )
    telegram_bot_token: SecretStr | None = Field(
        default=None, validation_alias=_env("TELEGRAM_BOT_TOKEN")
    )
    telegram_secret_token: SecretStr | None = Field(
        default=None, validation_alias=_env("TELEGRAM_SECRET_TOKEN")
    )
    telegram_bot_token_file: Path | None = Field(
        default=None, validation_alias=_env("TELEGRAM_BOT_TOKEN_FILE")
    )
    telegram_secret_token_file: Path | None = Field(
        default=None, validation_alias=_env("TELEGRAM_SECRET_TOKEN_FILE")
    )
    telegram_api_base_url: str = Field(
        default="https://api.telegram.org/bot", validation_alias=_env("TELEGRAM_API_BASE_URL")
    )
    messaging_rasa_timeout_seconds: float = Field(default=10.0, gt=0)
    # How long a webhook waits for Rasa before answering with the holding line (the reply
    # follows through the channel's API); an emergency never waits.
    messaging_answer_wait_seconds: float = Field(default=3.0, gt=0)
    messaging_keep_minutes: float = Field(default=15.0, gt=0)
    messaging_retry_seconds: float = Field(default=30.0, gt=0)
    messaging_contact_hours: float = Field(default=48.0, gt=0)
    inbox_poll_seconds: float = Field(default=5.0, gt=0)

    # Retention (SECURITY.md 4): a closed case is deleted, with its data key, this long after
    # closure (6 years); a follow-up code stops working this long after it was issued.
    retention_closed_case_days: int = Field(default=2190, gt=0)
    follow_up_code_days: int = Field(default=90, gt=0)
    retention_poll_hours: float = Field(default=24.0, gt=0)

    @model_validator(mode="after")
    def _read_secret_files(self) -> Settings:
        """Secrets given as `*_FILE`; SecretFileError (not a validation error) names the fix."""
        fill_from_files(self)
        return self

    @property
    def resolved_database_url(self) -> str:
        """SQLite under var/ unless a database is named, so one machine needs no server."""
        return self.database_url or f"sqlite:///{self.var_dir / 'quietdoor.db'}"

    @property
    def alert_email_list(self) -> list[str]:
        return [a.strip() for a in self.alert_emails.split(",") if a.strip()]


@lru_cache
def get_settings() -> Settings:
    """One Settings per process; tests call get_settings.cache_clear() after changing the env."""
    return Settings()


async def current_settings() -> Settings:
    """FastAPI dependency: get_settings() on the event loop (tests override this one).

    FastAPI runs a plain function dependency in a worker thread: for every message, the
    emergency one too, a wait for a thread and then for the loop to take the result back.
    """
    return get_settings()
