""".env.example lists what a landlord sets, and every name in it is one the product reads."""

from __future__ import annotations

from pathlib import Path

from api.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


def _names() -> list[str]:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    return [line.split("=", 1)[0] for line in lines if "=" in line and not line.startswith("#")]


def _accepted_names() -> set[str]:
    names = set()
    for field_name, field in Settings.model_fields.items():
        names.add(f"QD_{field_name.upper()}")
        alias = field.validation_alias
        names.update(getattr(alias, "choices", []) if alias else [])
    return names


def test_the_messaging_settings_are_listed() -> None:
    required = {
        "PUBLIC_BASE_URL",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_FROM_NUMBER",
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_SECRET_TOKEN",
        "TELEGRAM_API_BASE_URL",
    }
    assert required <= set(_names())


def test_every_listed_name_is_a_setting_the_product_reads() -> None:
    unknown = set(_names()) - _accepted_names()
    assert unknown == set()
