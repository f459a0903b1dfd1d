"""QD_ENV=production refuses http addresses, alert e-mail without verified TLS and a missing
prebuilt model, each with a message naming the fix, and starts nothing when it refuses."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect

from api import startup_checks
from api.app import create_app
from api.db import get_engine, migrate
from api.production_transport import insecure_transport_problems
from api.settings import Settings
from api.startup_checks import StartupRefused, startup_refusals
from ops import run
from ops.preflight import MODEL_FILES, refusals
from ops.stack import Stack
from tests.ops.production_settings import production_settings, random_key

pytestmark = pytest.mark.usefixtures("clean_environment")


@pytest.mark.parametrize(
    ("field", "variable", "address"),
    [
        ("public_base_url", "PUBLIC_BASE_URL", "http://chat.landlord.example"),
        ("staff_base_url", "QD_STAFF_BASE_URL", "http://staff.landlord.example"),
        ("staff_base_url", "QD_STAFF_BASE_URL", "http://127.0.0.1:8000"),  # the default
    ],
)
def test_production_refuses_an_http_address(
    var_dir: Path, field: str, variable: str, address: str
) -> None:
    problems = insecure_transport_problems(production_settings(var_dir, **{field: address}))
    assert len(problems) == 1
    assert problems[0].startswith(f"{variable} ({address}) is not https") and "TLS" in problems[0]


def test_development_allows_http_addresses(var_dir: Path) -> None:
    settings = production_settings(
        var_dir, env="development", public_base_url="http://localhost:8000"
    )
    assert insecure_transport_problems(settings) == []


def test_production_accepts_https_addresses_and_verified_smtp(var_dir: Path) -> None:
    for tls in ("starttls", "tls"):
        settings = production_settings(var_dir, smtp_host="127.0.0.1", smtp_tls=tls)
        assert insecure_transport_problems(settings) == []


@pytest.mark.parametrize(
    "smtp", [{"smtp_tls": "none"}, {"smtp_starttls": False}, {}], ids=["none", "old", "unset"]
)
def test_production_refuses_plain_text_alert_email_even_to_a_loopback_relay(
    var_dir: Path, smtp: dict[str, object]
) -> None:
    settings = production_settings(var_dir, smtp_host="localhost", **smtp)
    problems = insecure_transport_problems(settings)
    assert len(problems) == 1 and "plain text" in problems[0]
    assert "QD_SMTP_TLS=starttls or tls" in problems[0]
    development = production_settings(var_dir, env="development", smtp_host="localhost", **smtp)
    assert startup_refusals(development) == []


def test_plain_text_across_a_network_is_refused_once_not_twice(var_dir: Path) -> None:
    settings = production_settings(var_dir, smtp_host="mail.landlord.example", smtp_tls="none")
    refusals = startup_refusals(settings)
    assert sum("plain text" in reason for reason in refusals) == 1


def test_a_production_gateway_with_an_http_address_refuses_and_touches_nothing(
    var_dir: Path,
) -> None:
    settings = production_settings(var_dir, public_base_url="http://chat.landlord.example")
    migrate(settings)
    with pytest.raises(StartupRefused) as refused, TestClient(create_app(settings)):
        pass
    assert "PUBLIC_BASE_URL (http://chat.landlord.example) is not https" in str(refused.value)


def test_the_checks_command_prints_each_reason_and_fails(
    var_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in {
        "QD_ENV": "production",
        "QD_VAR_DIR": str(var_dir),
        "QD_MASTER_KEYS": f"prod1:{random_key()}",
        "QD_HASH_KEY": random_key(),
        "QD_STAFF_BASE_URL": "http://staff.landlord.example",
    }.items():
        monkeypatch.setenv(name, value)
    assert startup_checks.main() == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("QD_STAFF_BASE_URL (http://")
    assert (
        lines[1].startswith("the database has never been migrated") and "make migrate" in lines[1]
    )
    assert inspect(get_engine(Settings())).get_table_names() == []


def production_environment(var_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A landlord's production environment for `make serve`, the database migrated."""
    settings = production_settings(var_dir)
    migrate(settings)
    for name, value in {
        "QD_ENV": "production",
        "QD_VAR_DIR": str(var_dir),
        "QD_MASTER_KEYS": settings.master_keys.get_secret_value(),
        "QD_HASH_KEY": settings.hash_key.get_secret_value(),
        "QD_SERVICE_TOKEN": settings.service_token.get_secret_value(),
        "QD_RASA_TOKEN": settings.rasa_token.get_secret_value(),
        "QD_STAFF_BASE_URL": "https://staff.landlord.example",
    }.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def nothing_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    def start(self: Stack) -> None:
        raise AssertionError("a process was started")

    monkeypatch.setattr(Stack, "start", start)


@pytest.mark.usefixtures("nothing_starts")
def test_serve_refuses_to_start_without_the_prebuilt_models(
    var_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    production_environment(var_dir, monkeypatch)
    assert run.main() == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == len(MODEL_FILES)
    for line, model in zip(lines, MODEL_FILES, strict=True):
        assert line.startswith(f"Not starting: {var_dir / model} is missing")
        assert "make model" in line and "never trains" in line
    assert not (var_dir / "logs").exists()


def ship_models(var_dir: Path) -> None:
    """Stand-ins for the files `make model` built elsewhere and the landlord copied here."""
    for model in MODEL_FILES:
        (var_dir / model).parent.mkdir(parents=True, exist_ok=True)
        (var_dir / model).write_bytes(b"prebuilt")


def test_serve_passes_its_checks_with_shipped_models_and_a_migrated_database(
    var_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    production_environment(var_dir, monkeypatch)
    ship_models(var_dir)
    assert refusals(var_dir, dict(os.environ)) == []


@pytest.mark.usefixtures("nothing_starts")
def test_serve_refuses_before_starting_anything_when_the_gateway_would(
    var_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    production_environment(var_dir, monkeypatch)
    ship_models(var_dir)
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://chat.landlord.example")
    assert run.main() == 2
    err = capsys.readouterr().err
    assert err.startswith("Not starting: PUBLIC_BASE_URL (http://chat.landlord.example)")
    assert len(err.splitlines()) == 1
    assert not (var_dir / "logs").exists()
