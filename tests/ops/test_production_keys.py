"""QD_ENV=production never runs on development keys or on keys kept beside the data they open,
and every secret may come from a `*_FILE` only its owner can read."""

from __future__ import annotations

import base64
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from api.audit.__main__ import main as audit_main
from api.crypto.__main__ import main as crypto_main
from api.crypto.production import unsafe_key_problems
from api.db import migrate
from api.retention.__main__ import main as retention_main
from api.secret_files import DEV_SECRETS_FILE, SecretFileError
from api.settings import Settings
from api.staff.cli import main as staff_main
from api.startup_checks import StartupRefused
from ops import dev_secrets
from tests.ops.production_settings import production_settings, random_key

SECRET_VARIABLES = (
    "QD_MASTER_KEYS", "QD_HASH_KEY", "QD_SERVICE_TOKEN", "QD_RASA_TOKEN", "QD_ENV", "QD_VAR_DIR",
    "QD_DATABASE_URL",
)  # fmt: skip


def secret_file(path: Path, value: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value + "\n", encoding="utf-8")
    path.chmod(mode)
    return path


pytestmark = pytest.mark.usefixtures("clean_environment")


@pytest.fixture
def development(var_dir: Path) -> dict[str, str]:
    """What `make run` generated under var/ while the landlord was trying the product out."""
    return dev_secrets.ensure(var_dir / DEV_SECRETS_FILE)


@pytest.fixture
def production(var_dir: Path) -> Callable[..., Settings]:
    """Production settings with the landlord's own keys; tests change one thing."""
    return partial(production_settings, var_dir)


def starts(settings: Settings) -> bool:
    """Whether the gateway gets through its start-up (checks, workers) with these settings, on a
    database `make migrate` brought to head (a production gateway never migrates)."""
    migrate(settings)
    try:
        with TestClient(create_app(settings), base_url="https://testserver"):
            return True
    except StartupRefused:
        return False


def refusal(settings: Settings) -> str:
    with pytest.raises(StartupRefused) as refused, TestClient(create_app(settings)):
        pass
    return str(refused.value)


# --- the gateway ---------------------------------------------------------------------------


def test_production_starts_with_its_own_keys(
    production: Callable[..., Settings], development: dict[str, str]
) -> None:
    assert starts(production())


@pytest.mark.parametrize(
    ("field", "variable"),
    [
        ("master_keys", "QD_MASTER_KEYS"),
        ("hash_key", "QD_HASH_KEY"),
        ("service_token", "QD_SERVICE_TOKEN"),
        ("rasa_token", "QD_RASA_TOKEN"),
    ],
)
def test_production_refuses_a_development_secret(
    production: Callable[..., Settings], development: dict[str, str], field: str, variable: str
) -> None:
    message = refusal(production(**{field: development[variable]}))
    assert variable in message and "development value" in message and DEV_SECRETS_FILE in message
    assert all(value.split(":")[-1] not in message for value in development.values())


def test_a_development_master_key_is_recognised_among_others_and_however_encoded(
    production: Callable[..., Settings], development: dict[str, str]
) -> None:
    key_id, _, key = development["QD_MASTER_KEYS"].partition(":")
    recoded = base64.urlsafe_b64encode(base64.b64decode(key)).decode().rstrip("=")
    listed = production(master_keys=f"prod2:{random_key()},{key_id}:{recoded}")
    assert any("QD_MASTER_KEYS" in problem for problem in unsafe_key_problems(listed))


def test_development_mode_still_runs_on_the_development_keys(
    production: Callable[..., Settings], development: dict[str, str]
) -> None:
    assert starts(
        production(
            env="development",
            master_keys=development["QD_MASTER_KEYS"],
            hash_key=development["QD_HASH_KEY"],
        )
    )


def test_production_refuses_missing_keys(production: Callable[..., Settings]) -> None:
    message = refusal(production(master_keys=SecretStr(""), hash_key=SecretStr("")))
    assert "QD_MASTER_KEYS is not set" in message and "QD_HASH_KEY is not set" in message


@pytest.mark.parametrize("where", ["data directory", "database's directory"])
def test_production_refuses_a_key_file_kept_beside_the_data(
    production: Callable[..., Settings], tmp_path: Path, var_dir: Path, where: str
) -> None:
    database_dir = tmp_path / "db"
    database_dir.mkdir()
    folder = var_dir / "keys" if where == "data directory" else database_dir
    key_file = secret_file(folder / "hash-key", random_key())
    settings = production(
        hash_key=SecretStr(""),
        hash_key_file=key_file,
        database_url=f"sqlite:///{database_dir / 'quietdoor.db'}",
    )
    message = refusal(settings)
    assert "QD_HASH_KEY_FILE" in message and where in message


def test_production_starts_with_key_files_kept_elsewhere(
    production: Callable[..., Settings], tmp_path: Path
) -> None:
    secrets = tmp_path / "secrets"
    settings = production(
        master_keys=SecretStr(""),
        hash_key=SecretStr(""),
        master_keys_file=secret_file(secrets / "master-keys", f"prod1:{random_key()}"),
        hash_key_file=secret_file(secrets / "hash-key", random_key()),
    )
    assert starts(settings)


# --- the commands that open keys -------------------------------------------------------------

COMMANDS: dict[str, Callable[[], int]] = {
    "staff-user": lambda: staff_main(
        ["create-user", "--email", "lead@landlord.example", "--role", "manager"]
    ),
    "rotate-keys": lambda: crypto_main(["rotate"]),
    "audit-verify": lambda: audit_main(["verify"]),
    "retention": lambda: retention_main([]),
}


@pytest.mark.parametrize("command", COMMANDS)
def test_every_key_command_refuses_development_keys_in_production(
    command: str,
    development: dict[str, str],
    var_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """As if the development file had been copied into the environment (an EnvironmentFile)."""
    monkeypatch.setenv("QD_ENV", "production")
    monkeypatch.setenv("QD_VAR_DIR", str(var_dir))
    monkeypatch.setenv("QD_MASTER_KEYS", development["QD_MASTER_KEYS"])
    monkeypatch.setenv("QD_HASH_KEY", development["QD_HASH_KEY"])
    assert COMMANDS[command]() == 2
    error = capsys.readouterr().err
    assert "development value" in error and development["QD_HASH_KEY"] not in error
    assert not (var_dir / "quietdoor.db").exists()  # stopped before touching the database


@pytest.mark.parametrize("command", COMMANDS)
def test_every_key_command_says_which_secret_file_is_unsafe(
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    loose = secret_file(tmp_path / "hash-key", random_key(), mode=0o644)
    monkeypatch.setenv("QD_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("QD_MASTER_KEYS", f"k1:{random_key()}")
    monkeypatch.setenv("QD_HASH_KEY_FILE", str(loose))
    assert COMMANDS[command]() == 2
    assert f"QD_HASH_KEY_FILE ({loose}) can be read or written by other users" in (
        capsys.readouterr().err
    )


# --- *_FILE secrets ---------------------------------------------------------------------------


def test_a_secret_file_is_read_without_its_trailing_newline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN_FILE", str(secret_file(tmp_path / "t", "twilio-token")))
    monkeypatch.setenv("QD_SMTP_PASSWORD_FILE", str(secret_file(tmp_path / "p", "smtp pass ")))
    settings = Settings()
    assert settings.twilio_auth_token is not None and settings.smtp_password is not None
    assert settings.twilio_auth_token.get_secret_value() == "twilio-token"
    assert settings.smtp_password.get_secret_value() == "smtp pass "  # only the newline goes


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620])
def test_a_secret_file_others_can_reach_is_refused(tmp_path: Path, mode: int) -> None:
    loose = secret_file(tmp_path / "telegram", "bot-token", mode=mode)
    with pytest.raises(SecretFileError, match=f"TELEGRAM_BOT_TOKEN_FILE .*chmod 600 {loose}"):
        Settings(telegram_bot_token_file=loose)


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "cannot be read"), ("", "is empty")],
)
def test_a_missing_or_empty_secret_file_is_refused(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "token"
    if content is not None:
        secret_file(path, content)
    with pytest.raises(SecretFileError, match=f"QD_SERVICE_TOKEN_FILE .*{message}"):
        Settings(service_token_file=path)


def test_a_secret_and_its_file_must_agree(tmp_path: Path) -> None:
    path = secret_file(tmp_path / "rasa", "from-the-file")
    assert Settings(rasa_token="from-the-file", rasa_token_file=path).rasa_token.get_secret_value()
    with pytest.raises(SecretFileError, match="QD_RASA_TOKEN and QD_RASA_TOKEN_FILE"):
        Settings(rasa_token="something-else", rasa_token_file=path)


# --- the development secrets file -------------------------------------------------------------


def test_production_neither_makes_nor_reads_the_development_file(
    var_dir: Path, development: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QD_ENV", "production")
    env = dev_secrets.environment(var_dir / DEV_SECRETS_FILE)
    assert not set(development) & set(env)
    fresh = var_dir.parent / "fresh" / DEV_SECRETS_FILE
    dev_secrets.environment(fresh)
    assert not fresh.exists()


def test_a_secret_given_as_a_file_is_not_taken_from_the_development_file_and_reaches_rasa(
    var_dir: Path, development: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token_file = secret_file(tmp_path / "secrets" / "rasa-token", "rasa-token-from-the-store")
    monkeypatch.setenv("QD_RASA_TOKEN_FILE", str(token_file))
    env = dev_secrets.environment(var_dir / DEV_SECRETS_FILE)
    assert env["QD_RASA_TOKEN"] == "rasa-token-from-the-store"  # for Rasa, which reads only this
    assert env["QD_HASH_KEY"] == development["QD_HASH_KEY"]  # development fills the rest
    for name, value in env.items():
        if name.startswith("QD_RASA_TOKEN"):
            monkeypatch.setenv(name, value)
    assert Settings().rasa_token.get_secret_value() == "rasa-token-from-the-store"


def test_running_a_command_with_an_unreadable_secret_file_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QD_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("QD_MASTER_KEYS_FILE", str(tmp_path / "nowhere"))
    assert dev_secrets.main(["true"]) == 2
    assert "QD_MASTER_KEYS_FILE" in capsys.readouterr().err
